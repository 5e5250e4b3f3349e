// Simulated miners: corpus, behaviours, mixes, the multi-miner launcher and the CLI.
import { describe, expect, test } from "bun:test"
import { resolve } from "node:path"
import { Effect } from "effect"
import { mulberry32 } from "../../src/domain/random.ts"
import { makeDendriteTransport } from "../../src/miners/Dendrite.ts"
import { devSigner } from "../../src/miners/Signer.ts"
import {
  AnswerBoard,
  assignBehaviours,
  BEHAVIOURS,
  makeBehaviour,
  parseMix,
  sampleLatency
} from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus, nearestEntry, overlap } from "../../src/challenges/Corpus.ts"
import type { SimAction, SimRequest } from "../../src/miners/sim/SimAction.ts"
import { startSimMiners } from "../../src/miners/sim/SimMiners.ts"

const corpus = loadCorpus()
const simReq = (prompt: string, tools: ReadonlyArray<unknown> = []): SimRequest => ({
  validatorHotkey: "v",
  request: { prompt, messages: [], model: null, max_tokens: null, temperature: null, top_p: null, tools, tool_choice: null }
})
const textOf = (a: SimAction) => (a.kind === "reply" || a.kind === "slow-body" ? a.reply.response_text : null)

describe("corpus", () => {
  test("≥ 40 entries with 3 distinct paraphrases and an off-topic decoy; 3 tool prompts", () => {
    expect(corpus.entries.length).toBeGreaterThanOrEqual(40)
    expect(new Set(corpus.entries.map((e) => e.prompt)).size).toBe(corpus.entries.length)
    expect(new Set(corpus.entries.map((e) => e.topic))).toEqual(new Set(["science", "code", "history", "math", "how-to"]))
    for (const e of corpus.entries) {
      expect(e.answers.length).toBe(3)
      expect(new Set(e.answers).size).toBe(3)
      // paraphrases share more vocabulary with each other than with the decoy
      const para = overlap(e.answers[0] ?? "", e.answers[1] ?? "")
      expect(para).toBeGreaterThan(overlap(e.answers[0] ?? "", e.decoy))
    }
    expect(corpus.toolPrompts.length).toBe(3)
  })
  test("unknown prompts map to the nearest corpus prompt by word overlap", () => {
    expect(nearestEntry(corpus, "Explain why the sky appears blue during the day").id).toBe("sci-sky-blue")
    expect(nearestEntry(corpus, "how to change a flat tire on my car").id).toBe("how-change-tire")
    expect(nearestEntry(corpus, "difference between merge and rebase in git").id).toBe("code-git-merge-rebase")
  })
})

describe("behaviours", () => {
  test("honest: paraphrase of the right entry, deterministic per seed, varied across miners", async () => {
    const prompt = "What is a prime number?"
    const entry = corpus.entries.find((e) => e.prompt === prompt)
    const run = async (seed: number, uid: number) =>
      textOf(await makeBehaviour("honest", { uid, seed, corpus })(simReq(prompt)))
    const a = await run(1, 0)
    expect(a).toBe(await run(1, 0))
    const many = new Set(await Promise.all(Array.from({ length: 12 }, (_, uid) => run(1, uid))))
    expect(many.size).toBeGreaterThan(3) // paraphrase + word-level variation
    for (const t of many) {
      const best = Math.max(...(entry?.answers ?? []).map((x) => overlap(x, t ?? "")))
      expect(best).toBeGreaterThan(0.55)
    }
  })
  test("honest answers tool prompts with the expected call", async () => {
    const tp = corpus.toolPrompts[1]
    if (tp === undefined) throw new Error("missing")
    const a = await makeBehaviour("honest", { uid: 0, seed: 1, corpus })(simReq(tp.prompt, tp.tools))
    expect(a.kind).toBe("reply")
    if (a.kind === "reply") {
      expect(a.reply.finish_reason).toBe("tool_calls")
      expect(a.reply.tool_calls[0]?.function.name).toBe(tp.expected.name)
    }
  })
  test("copycat returns another miner's latest answer from the shared board", async () => {
    const board = new AnswerBoard()
    const honest = makeBehaviour("honest", { uid: 1, seed: 5, corpus, board })
    const copy = makeBehaviour("copycat", { uid: 2, seed: 5, corpus, board })
    const before = textOf(await copy(simReq("What is DNA and what does it do?")))
    const h = textOf(await honest(simReq("What is DNA and what does it do?")))
    const after = textOf(await copy(simReq("What is DNA and what does it do?")))
    expect(after).toBe(h)
    expect(before).not.toBe(h) // nothing to copy yet → off-topic decoy
  })
  test("fast-junk is fast and off-topic; malformed, flaky and offline produce their actions", async () => {
    const prompt = "How does compound interest work?"
    const entry = corpus.entries.find((e) => e.prompt === prompt)
    const junk = makeBehaviour("fast-junk", { uid: 3, seed: 2, corpus })
    let maxOverlap = 0
    for (let i = 0; i < 20; i++) {
      const a = await junk(simReq(prompt))
      expect(a.kind === "reply" && a.delayMs < 200).toBe(true)
      for (const ans of entry?.answers ?? []) maxOverlap = Math.max(maxOverlap, overlap(ans, textOf(a) ?? ""))
    }
    expect(maxOverlap).toBeLessThan(0.3)
    const kinds = new Set<string>()
    const flaky = makeBehaviour("flaky", { uid: 4, seed: 2, corpus, flaky: { dropShare: 0.3, hangShare: 0.3 } })
    for (let i = 0; i < 60; i++) kinds.add((await flaky(simReq(`${prompt} ${i}`))).kind)
    expect(kinds).toEqual(new Set(["drop", "hang", "reply"]))
    const mal = makeBehaviour("malformed", { uid: 5, seed: 2, corpus, malformed: { hugeBytes: 1000 } })
    const bodies = new Set<string>()
    for (let i = 0; i < 30; i++) {
      const a = await mal(simReq(`${prompt} ${i}`))
      expect(a.kind).toBe("raw")
      if (a.kind === "raw" && typeof a.body === "string") {
        let parsed: unknown = undefined
        try {
          parsed = JSON.parse(a.body)
        } catch {
          bodies.add("invalid-json")
        }
        if (typeof parsed === "object" && parsed !== null && "response_text" in parsed) {
          bodies.add(typeof parsed.response_text === "number" ? "wrong-types" : "huge")
        }
      }
    }
    expect(bodies).toEqual(new Set(["invalid-json", "wrong-types", "huge"]))
    expect((await makeBehaviour("offline", { uid: 6, seed: 2, corpus })(simReq(prompt))).kind).toBe("drop")
  })
  test("lognormal latency has the configured mean and sd", () => {
    const rng = mulberry32(11)
    const xs = Array.from({ length: 20_000 }, () => sampleLatency(rng, { meanMs: 800, sdMs: 300 }))
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length)
    expect(Math.abs(mean - 800)).toBeLessThan(20)
    expect(Math.abs(sd - 300)).toBeLessThan(20)
    expect(Math.min(...xs)).toBeGreaterThan(0)
  })
})

describe("mixes", () => {
  test("assignment follows shares exactly (largest remainder) and is seeded", () => {
    const mix = parseMix("honest=0.6,copycat=0.1,fast-junk=0.1,slow=0.1,offline=0.1")
    const a = assignBehaviours(50, mix, 3)
    const count = (b: string) => a.filter((x) => x === b).length
    expect([count("honest"), count("copycat"), count("fast-junk"), count("slow"), count("offline")]).toEqual([30, 5, 5, 5, 5])
    expect(assignBehaviours(50, mix, 3)).toEqual(a)
    expect(assignBehaviours(50, mix, 4)).not.toEqual(a)
    expect(assignBehaviours(7, { honest: 1, flaky: 1 }, 1).length).toBe(7)
    expect(() => parseMix("honest=0.5,bogus=0.5")).toThrow(/unknown behaviour/)
    expect(() => parseMix("honest=x")).toThrow(/bad share/)
    expect(BEHAVIOURS.length).toBe(7)
  })
})

describe("startSimMiners", () => {
  test("dendrite miners: honest answer, offline refuses, availability", async () => {
    const sim = await startSimMiners({
      count: 4,
      protocol: "dendrite",
      mix: { honest: 0.5, offline: 0.25, "fast-junk": 0.25 },
      seed: 5,
      latency: { honest: { meanMs: 5, sdMs: 1 } }
    })
    try {
      const d = makeDendriteTransport({ signer: await devSigner("//Validator") })
      expect(new Set(sim.miners.map((m) => m.port)).size).toBe(4)
      for (const m of sim.miners) {
        const r = await Effect.runPromise(Effect.result(d.query(m.target, {
          challengeId: "x",
          prompt: "What is a REST API?",
          messages: [],
          model: null,
          max_tokens: null,
          temperature: null,
          top_p: null,
          tools: [],
          tool_choice: null
        }, 3000)))
        if (m.behaviour === "offline") expect(r._tag === "Failure" ? r.failure.reason : "ok").toBe("ConnectError")
        else expect(r._tag).toBe("Success")
      }
    } finally {
      await sim.stop()
    }
  })

  test("fiber protocol: round trip through startFiberMiner and FiberTransport", async () => {
    const sim = await startSimMiners({
      count: 3,
      protocol: "fiber",
      mix: { honest: 0.67, offline: 0.33 },
      seed: 1,
      latency: { honest: { meanMs: 5, sdMs: 1 } }
    })
    try {
      expect(sim.miners.length).toBe(3)
      const { makeFiberTransport } = await import("../../src/miners/fiber/FiberTransport.ts")
      const t = makeFiberTransport({ signer: await devSigner("//Validator") })
      const prompt = "What was the Magna Carta?"
      const entry = corpus.entries.find((e) => e.prompt === prompt)
      for (const m of sim.miners) {
        const r = await Effect.runPromise(Effect.result(t.query(m.target, {
          challengeId: "f1",
          prompt,
          messages: [],
          model: null,
          max_tokens: null,
          temperature: null,
          top_p: null,
          tools: [],
          tool_choice: null
        }, 5000)))
        if (m.behaviour === "offline") {
          expect(r._tag === "Failure" ? r.failure.reason : "ok").toBe("ConnectError")
        } else {
          expect(r._tag).toBe("Success")
          if (r._tag === "Success") {
            const best = Math.max(...(entry?.answers ?? []).map((x) => overlap(x, r.success.responseText)))
            expect(best).toBeGreaterThan(0.55)
          }
        }
      }
    } finally {
      await sim.stop()
    }
  })
})

describe("scripts/simulate-miners.ts", () => {
  test("prints one JSON line per miner and stops cleanly on SIGTERM", async () => {
    const proc = Bun.spawn(
      [process.execPath, resolve(import.meta.dir, "../../scripts/simulate-miners.ts"), "--count", "3", "--protocol", "dendrite",
        "--port-base", "0", "--mix", "honest=0.67,offline=0.33", "--seed", "9"],
      { stdout: "pipe", stderr: "pipe" }
    )
    const reader = proc.stdout.getReader()
    let out = ""
    const deadline = Date.now() + 15_000
    while (out.split("\n").filter((l) => l.trim() !== "").length < 3 && Date.now() < deadline) {
      const { value, done } = await reader.read()
      if (done) break
      out += new TextDecoder().decode(value)
    }
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { uid: number; port: number; behaviour: string })
    expect(lines.map((l) => l.uid)).toEqual([0, 1, 2])
    expect(lines.filter((l) => l.behaviour === "offline").length).toBe(1)
    const honest = lines.find((l) => l.behaviour === "honest")
    const avail = await fetch(`http://127.0.0.1:${honest?.port}/availability`)
    expect(await avail.json()).toEqual({ available: true })
    proc.kill("SIGTERM")
    expect(await proc.exited).toBe(0)
  }, 20_000)
})
