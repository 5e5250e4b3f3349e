// The in-process transport: thousands of simulated miners without sockets, time driven by TestClock.
import { expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { inProcessFromBrains, makeInProcessTransport } from "../../src/miners/InProcessTransport.ts"
import { type BehaviourName, makeSimBrains, type Mix } from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import type { InferenceRequest } from "../../src/domain/Inference.ts"
import { itEffect } from "../support/effect.ts"

const corpus = loadCorpus()
const request = (prompt: string): InferenceRequest => ({
  challengeId: "load",
  prompt,
  messages: [{ role: "user", content: prompt }],
  model: null,
  max_tokens: null,
  temperature: null,
  top_p: null,
  tools: [],
  tool_choice: null
})

const mix: Mix = { honest: 0.5, "fast-junk": 0.1, copycat: 0.1, slow: 0.1, flaky: 0.1, malformed: 0.05, offline: 0.05 }

/** One round against all miners under TestClock; returns per-miner outcomes. */
const round = (count: number, seed: number, prompt: string, timeoutMs: number) =>
  Effect.gen(function*() {
    const brains = makeSimBrains({
      count,
      mix,
      seed,
      corpus,
      behaviourOptions: { malformed: { kinds: ["invalid-json", "wrong-types"] } }
    })
    const { targets, lookup } = inProcessFromBrains(brains)
    const transport = makeInProcessTransport({ lookup, validatorHotkey: "validator" })
    const fiber = yield* Effect.forkChild(
      Effect.all(targets.map((t) => Effect.result(transport.query(t, request(prompt), timeoutMs))), {
        concurrency: "unbounded"
      })
    )
    yield* TestClock.adjust(timeoutMs + 1)
    const results = yield* Fiber.join(fiber)
    return brains.map((b, i) => ({ behaviour: b.behaviour, result: results[i] }))
  })

itEffect("2000 in-process miners: one round in bounded time, outcomes follow behaviours", () =>
  Effect.gen(function*() {
    const started = performance.now()
    const timeoutMs = 12_000
    const outcomes = yield* round(2000, 42, "What is a black hole?", timeoutMs)
    const wall = performance.now() - started
    expect(wall).toBeLessThan(10_000)
    const by = new Map<BehaviourName, { ok: number; errors: Record<string, number>; maxLatency: number }>()
    for (const { behaviour, result } of outcomes) {
      const s = by.get(behaviour) ?? { ok: 0, errors: {}, maxLatency: 0 }
      if (result?._tag === "Success") {
        s.ok++
        s.maxLatency = Math.max(s.maxLatency, result.success.latencyMs)
        expect(result.success.latencyMs).toBeLessThanOrEqual(timeoutMs)
      } else if (result?._tag === "Failure") {
        s.errors[result.failure.reason] = (s.errors[result.failure.reason] ?? 0) + 1
      }
      by.set(behaviour, s)
    }
    const get = (b: BehaviourName) => by.get(b) ?? { ok: 0, errors: {}, maxLatency: 0 }
    expect(get("honest").ok).toBe(1000)
    expect(get("fast-junk").ok).toBe(200)
    expect(get("fast-junk").maxLatency).toBeLessThan(get("honest").maxLatency)
    // a copycat answers no earlier than the answer it copies: copying a slow miner can time out
    expect(get("copycat").ok + (get("copycat").errors["Timeout"] ?? 0)).toBe(200)
    expect(get("copycat").ok).toBeGreaterThan(150)
    expect(get("offline").errors).toEqual({ ConnectError: 100 })
    expect(get("malformed").errors).toEqual({ Unparsable: 100 })
    // flaky: drops (ConnectError) and hangs (Timeout) around 15% each, the rest answer
    const flaky = get("flaky")
    expect(flaky.ok).toBeGreaterThan(100)
    expect(flaky.errors.ConnectError ?? 0).toBeGreaterThan(10)
    expect(flaky.errors.Timeout ?? 0).toBeGreaterThan(10)
    // slow: mean 9 s, sd 3 s against a 12 s deadline → most answer, some time out
    const slow = get("slow")
    expect(slow.ok).toBeGreaterThan(100)
    expect(slow.errors.Timeout ?? 0).toBeGreaterThan(0)
    console.log(`[inprocess] 2000 miners, one round: ${wall.toFixed(0)} ms wall`)
  }), 20_000)

itEffect("copycats return another miner's answer; same seed → same answers", () =>
  Effect.gen(function*() {
    const a = yield* round(60, 9, "How do vaccines work?", 12_000)
    const b = yield* round(60, 9, "How do vaccines work?", 12_000)
    const texts = (o: typeof a) => o.map(({ result }) => (result?._tag === "Success" ? result.success.responseText : null))
    expect(texts(a)).toEqual(texts(b))
    const honestTexts = new Set(
      a.filter((o) => o.behaviour !== "copycat").flatMap((o) => (o.result?._tag === "Success" ? [o.result.success.responseText] : []))
    )
    const copies = a.filter((o) => o.behaviour === "copycat")
    expect(copies.length).toBeGreaterThan(0)
    const latencyOf = new Map<string, number>()
    for (const o of a) if (o.behaviour !== "copycat" && o.result?._tag === "Success") {
      const t = o.result.success.responseText
      latencyOf.set(t, Math.min(latencyOf.get(t) ?? Infinity, o.result.success.latencyMs))
    }
    for (const c of copies) {
      expect(c.result?._tag).toBe("Success")
      if (c.result?._tag === "Success") {
        expect(honestTexts.has(c.result.success.responseText)).toBe(true)
        // a copy is never delivered before some miner delivered the original
        expect(c.result.success.latencyMs).toBeGreaterThanOrEqual(latencyOf.get(c.result.success.responseText)!)
      }
    }
  }))

itEffect("huge bodies over the cap → BodyTooLarge; non-200 → HttpStatus", () =>
  Effect.gen(function*() {
    const brains = makeSimBrains({
      count: 4,
      mix: { malformed: 1 },
      seed: 1,
      corpus,
      behaviourOptions: { malformed: { kinds: ["huge"], hugeBytes: 10_000 } }
    })
    const { targets, lookup } = inProcessFromBrains(brains)
    const t = makeInProcessTransport({ lookup, validatorHotkey: "v", maxBodyBytes: 5_000 })
    const r = yield* Effect.forkChild(Effect.all(targets.map((x) => Effect.result(t.query(x, request("x"), 5000)))))
    yield* TestClock.adjust(5001)
    const rs = yield* Fiber.join(r)
    expect(rs.map((x) => (x._tag === "Failure" ? x.failure.reason : "ok"))).toEqual(Array(4).fill("BodyTooLarge"))
    const t2 = makeInProcessTransport({
      lookup: () => ({ handler: () => Promise.resolve({ kind: "raw", status: 503, body: "{}", delayMs: 0 }), online: true }),
      validatorHotkey: "v"
    })
    const e = yield* Effect.result(t2.query({ uid: 5, hotkey: "h", ip: "x", port: 0 }, request("x"), 1000))
    expect(e._tag === "Failure" ? [e.failure.reason, e.failure.status] : e._tag).toEqual(["HttpStatus", 503])
    expect(yield* t2.availability({ uid: 5, hotkey: "h", ip: "x", port: 0 }, 100)).toBe(true)
  }))

test("in-process latency follows the TestClock, not the wall clock", async () => {
  // a 60 s reply resolves instantly in wall time once the TestClock is advanced
  const started = performance.now()
  await Effect.runPromise(
    Effect.gen(function*() {
      const t = makeInProcessTransport({
        lookup: () => ({
          handler: () =>
            Promise.resolve({
              kind: "reply",
              reply: { response_text: "late", tool_calls: [], finish_reason: "stop", usage: null },
              delayMs: 60_000
            }),
          online: true
        }),
        validatorHotkey: "v"
      })
      const f = yield* Effect.forkChild(t.query({ uid: 0, hotkey: "h", ip: "x", port: 0 }, request("x"), 90_000))
      yield* TestClock.adjust(60_000)
      const reply = yield* Fiber.join(f)
      expect(reply.latencyMs).toBe(60_000)
      expect(reply.responseText).toBe("late")
    }).pipe(Effect.provide(TestClock.layer()), Effect.scoped)
  )
  expect(performance.now() - started).toBeLessThan(2_000)
})
