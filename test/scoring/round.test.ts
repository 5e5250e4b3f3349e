// Unit cases of scoreRound: every filter reason, every axis, entity weighting, task weights, config loading.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { DEFAULT_SCORING_CONFIG_PATH, decodeScoringConfig, loadScoringConfig, type ScoringConfigError } from "../../src/domain/ScoringConfig.ts"
import { speedScore, textQuality, toolAgreement, validateToolCalls } from "../../src/scoring/axes.ts"
import type { ScoringConfig } from "../../src/scoring/config.ts"
import { NoveltyMemory, normalizeText, textHash } from "../../src/scoring/novelty.ts"
import { explain, isIdentityIp, scoreRound } from "../../src/scoring/round.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import type { MinerScore, RoundResult, ToolSpec } from "../../src/scoring/types.ts"
import {
  answerDirection,
  around,
  buildRound,
  orthogonalTo,
  prose,
  randomUnit,
  rng,
  withCosine,
  type SynthResponse,
  type SynthRound
} from "../fixtures/rounds/synthetic.ts"

const DIM = 64
const config = DEFAULT_SCORING_CONFIG

const score = (round: SynthRound, cfg: ScoringConfig = config, memory?: NoveltyMemory): RoundResult => {
  const { input, emb } = buildRound(round)
  return scoreRound(input, emb, cfg, memory)
}
const miner = (res: RoundResult, uid: number): MinerScore => {
  const m = res.miners.find((x) => x.uid === uid)
  if (m === undefined) throw new Error(`uid ${uid} not in result`)
  return m
}

/** A scene: a prompt, an answer direction and helpers to make honest answers. */
const scene = (seed: number) => {
  const r = rng(seed)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const honest = (uid: number, latencyMs = 2000, extra: Partial<SynthResponse> = {}): SynthResponse => ({
    uid,
    vec: around(dir, 0.4, r),
    text: prose(r),
    latencyMs,
    ...extra
  })
  const offTopic = (uid: number, latencyMs = 5): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, r), prompt, dir), text: prose(r), latencyMs })
  return { r, prompt, dir, honest, offTopic }
}

const WEATHER: ToolSpec = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer" } },
    required: ["city"]
  }
}

describe("filters", () => {
  test("error, empty, irrelevant, low_quality, copy and out_of_consensus each earn exactly 0 with their reason", () => {
    const s = scene(1)
    const a = s.honest(1, 3000)
    const res = score({
      prompt: s.prompt,
      responses: [
        a,
        s.honest(2, 2500),
        s.honest(3, 4000),
        { uid: 4, vec: s.dir, text: "", latencyMs: null, finishReason: null, error: "Timeout" },
        { uid: 5, vec: s.dir, text: " \n ", latencyMs: 3 },
        s.offTopic(6),
        { uid: 7, vec: around(s.dir, 0.2, s.r), text: "buy buy buy ".repeat(30), latencyMs: 100 },
        { uid: 8, vec: a.vec, text: a.text, latencyMs: 3100 },
        // on topic (cos to prompt well above the floor) but far from the honest cluster
        { uid: 9, vec: orthogonalTo(withCosine(s.prompt, 0.5, s.r), s.dir), text: prose(s.r), latencyMs: 50 }
      ]
    })
    const want: Record<number, string | null> = { 1: null, 2: null, 3: null, 4: "error", 5: "empty", 6: "irrelevant", 7: "low_quality", 8: "copy", 9: "out_of_consensus" }
    for (const [uid, reason] of Object.entries(want)) {
      const m = miner(res, Number(uid))
      expect(m.filtered).toBe(reason as MinerScore["filtered"])
      if (reason !== null) expect(m.reward).toBe(0)
      else expect(m.reward).toBeGreaterThan(0)
    }
    expect(res.consensus).toEqual([1, 2, 3])
    expect(miner(res, 8).note).toContain("copy of faster uid 1")
    expect(res.miners.reduce((x, m) => x + m.reward, 0)).toBeCloseTo(1, 12)
    expect(res.best).toBe(res.miners.reduce((b, m) => (m.reward > b.reward ? m : b)).uid)
    const lines = explain(res)
    expect(lines.some((l) => l.includes("uid 6") && l.includes("FILTERED irrelevant"))).toBe(true)
    expect(lines.at(-1)).toBe("consensus: uids 1, 2, 3")
  })

  test("answers shorter than minAnswerChars are low_quality; a paraphrase at cos ≥ copyCosine is an L2 copy", () => {
    const s = scene(2)
    const a = s.honest(1, 1000)
    const near = around(a.vec, 0.05, s.r) // cos ≈ 0.9988 with a, different text
    const res = score({
      prompt: s.prompt,
      responses: [a, s.honest(2), { uid: 3, vec: near, text: prose(s.r), latencyMs: 1500 }, { uid: 4, vec: around(s.dir, 0.3, s.r), text: "k", latencyMs: 10 }]
    })
    expect(miner(res, 3).filtered).toBe("copy")
    expect(miner(res, 3).note).toMatch(/cos 0\.99/)
    expect(miner(res, 4).filtered).toBe("low_quality")
  })

  test("copy direction follows latency (the faster one is the original); equal latency: the lower uid", () => {
    const s = scene(3)
    const a = s.honest(5, 2000)
    const fast = score({ prompt: s.prompt, responses: [a, s.honest(6), { ...a, uid: 2, latencyMs: 1500 }] })
    expect(miner(fast, 5).filtered).toBe("copy")
    expect(miner(fast, 2).filtered).toBeNull()
    const tie = score({ prompt: s.prompt, responses: [a, s.honest(6), { ...a, uid: 9, latencyMs: 2000 }] })
    expect(miner(tie, 9).filtered).toBe("copy")
    expect(miner(tie, 5).filtered).toBeNull()
  })

  test("short identical answers are not copies (honest factual answers coincide)", () => {
    const s = scene(4)
    const v = around(s.dir, 0.1, s.r)
    const res = score({ prompt: s.prompt, responses: [1, 2, 3].map((uid) => ({ uid, vec: v, text: "Paris.", latencyMs: 500 * uid })) })
    for (const m of res.miners) expect(m.filtered).toBeNull()
    expect(res.consensus).toEqual([1, 2, 3])
  })

  test("invalid tool calls: unknown tool, bad JSON, non-object, missing required, wrong type, enum, no tools offered", () => {
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":"Paris","unit":"celsius","days":3}' }], [WEATHER])).toBeNull()
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":"Paris","extra":1}' }], [WEATHER])).toBeNull()
    expect(validateToolCalls([{ name: "get_wether", arguments: '{"city":"Paris"}' }], [WEATHER])).toContain("unknown tool")
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":' }], [WEATHER])).toContain("not valid JSON")
    expect(validateToolCalls([{ name: "get_weather", arguments: '["Paris"]' }], [WEATHER])).toContain("not a JSON object")
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"unit":"celsius"}' }], [WEATHER])).toContain('missing required "city"')
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":42}' }], [WEATHER])).toContain("expected string")
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":"Paris","days":2.5}' }], [WEATHER])).toContain("expected integer")
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":"Paris","unit":"kelvin"}' }], [WEATHER])).toContain("not one of")
    expect(validateToolCalls([{ name: "get_weather", arguments: '{"city":"Paris"}' }], [])).toContain("offered no tools")
    const strict: ToolSpec = { name: "f", parameters: { type: "object", properties: { a: { type: "array", items: { type: "number" } } }, additionalProperties: false } }
    expect(validateToolCalls([{ name: "f", arguments: '{"a":[1,2.5]}' }], [strict])).toBeNull()
    expect(validateToolCalls([{ name: "f", arguments: '{"a":[1,"x"]}' }], [strict])).toContain("$.a[1]")
    expect(validateToolCalls([{ name: "f", arguments: '{"b":1}' }], [strict])).toContain('unexpected key "b"')
  })

  test("tool-call answers with the same lead-in text are not copies of each other (the right call is the same)", () => {
    const s = scene(6)
    const call = [{ name: "get_weather", arguments: JSON.stringify({ city: "Paris", unit: "celsius" }) }]
    const lead = "I will look up the current weather in Paris for you right now."
    const res = score({
      prompt: s.prompt,
      tools: [WEATHER],
      responses: [1, 2, 3].map((uid) => ({ uid, vec: s.dir, text: lead, latencyMs: 500 + uid * 100, finishReason: "tool_calls", toolCalls: call }))
    })
    for (const uid of [1, 2, 3]) expect(miner(res, uid).filtered).toBeNull()
    expect(res.consensus).toEqual([1, 2, 3])
  })

  test("a tool-call answer replayed with the faster miner's call ids is a copy; fresh ids are not", () => {
    const s = scene(7)
    const call = (id: string) => [{ id, name: "get_weather", arguments: JSON.stringify({ city: "Paris", unit: "celsius" }) }]
    const res = score({
      prompt: s.prompt,
      tools: [WEATHER],
      responses: [
        { uid: 1, vec: s.dir, text: "", latencyMs: 600, finishReason: "tool_calls", toolCalls: call("call_a1b2c3") },
        { uid: 2, vec: s.dir, text: "", latencyMs: 700, finishReason: "tool_calls", toolCalls: call("call_x9y8z7") },
        { uid: 3, vec: s.dir, text: "", latencyMs: 900, finishReason: "tool_calls", toolCalls: call("call_a1b2c3") }
      ]
    })
    expect(miner(res, 3).filtered).toBe("copy")
    expect(miner(res, 3).reward).toBe(0)
    expect(miner(res, 1).filtered).toBeNull()
    expect(miner(res, 2).filtered).toBeNull()
  })

  test("tool-call round: valid calls form the consensus, an invalid call is filtered, a text-only answer is out", () => {
    const s = scene(5)
    const call = (city: string) => [{ name: "get_weather", arguments: JSON.stringify({ city, unit: "celsius" }) }]
    const res = score({
      prompt: s.prompt,
      tools: [WEATHER],
      responses: [
        { uid: 1, vec: s.dir, text: "", latencyMs: 900, finishReason: "tool_calls", toolCalls: call("Paris") },
        { uid: 2, vec: s.dir, text: "", latencyMs: 1200, finishReason: "tool_calls", toolCalls: call("Paris") },
        { uid: 3, vec: s.dir, text: "", latencyMs: 1100, finishReason: "tool_calls", toolCalls: call("paris") },
        { uid: 4, vec: s.dir, text: "", latencyMs: 100, finishReason: "tool_calls", toolCalls: [{ name: "get_weather", arguments: '{"town":"Paris"}' }] },
        s.honest(5, 800)
      ]
    })
    expect(miner(res, 4).filtered).toBe("invalid_tool_calls")
    expect(miner(res, 4).note).toContain('missing required "city"')
    expect(res.consensus).toEqual([1, 2, 3])
    expect(miner(res, 5).filtered).toBe("out_of_consensus")
    for (const uid of [1, 2, 3]) {
      expect(miner(res, uid).axes["relevance"]).toBe(1)
      expect(miner(res, uid).axes["completion"]).toBe(1)
    }
    expect(toolAgreement(call("Paris"), call("paris"))).toBe(1) // string values compared trimmed + lowercased
    expect(toolAgreement(call("Paris"), call("Lyon"))).toBeCloseTo(0.5 + 0.5 * (1 / 3), 12)
  })
})

describe("axes", () => {
  test("relevance ramps from relevanceFloor to relevanceFull; completion follows finish_reason", () => {
    const s = scene(6)
    const { relevanceFloor: lo, relevanceFull: hi } = config.thresholds
    const mid = (lo + hi) / 2
    const res = score({
      prompt: s.prompt,
      responses: [
        { uid: 1, vec: withCosine(s.prompt, mid, s.r), text: prose(s.r), latencyMs: 1000 },
        { uid: 2, vec: withCosine(s.prompt, 0.95, s.r), text: prose(s.r), latencyMs: 1000, finishReason: "length" },
        { uid: 3, vec: withCosine(s.prompt, 0.9, s.r), text: prose(s.r), latencyMs: 1000, finishReason: null },
        { uid: 4, vec: withCosine(s.prompt, 0.9, s.r), text: prose(s.r), latencyMs: 1000, finishReason: "content_filter" }
      ]
    })
    expect(miner(res, 1).axes["relevance"]).toBeCloseTo(0.5, 5)
    expect(miner(res, 2).axes["relevance"]).toBe(1)
    expect(miner(res, 1).axes["completion"]).toBe(1)
    expect(miner(res, 2).axes["completion"]).toBe(0.5)
    expect(miner(res, 3).axes["completion"]).toBe(config.completion.unknown)
    expect(miner(res, 4).axes["completion"]).toBe(0)
  })

  test("speed: seed-003 tiers of the optimal time blended with the group median, monotone", () => {
    const opt = 4000
    expect(speedScore(4000, 4000, opt, config)).toBe(1) // tier 1, at the median
    expect(speedScore(8000, 8000, opt, config)).toBeCloseTo(0.5 * 0.8 + 0.5, 12)
    expect(speedScore(20000, 20000, opt, config)).toBeCloseTo(0.5 * 0.6 + 0.5, 12)
    expect(speedScore(20001, 20001, opt, config)).toBeCloseTo(0.5 * 0.3 + 0.5, 12)
    expect(speedScore(8000, 4000, opt, config)).toBeCloseTo(0.5 * 0.8 + 0.5 * 0.5, 12) // twice the median
    expect(speedScore(null, 4000, opt, config)).toBe(0)
    let prev = Infinity
    for (let t = 1; t < 60000; t += 97) {
      const v = speedScore(t, 3000, opt, config)
      expect(v).toBeLessThanOrEqual(prev)
      prev = v
    }
  })

  test("availability is taken from the response (1 when unknown) and enters the score", () => {
    const s = scene(7)
    const a = s.honest(1, 2000)
    const b = s.honest(2, 2000)
    const base = score({ prompt: s.prompt, responses: [a, b] })
    const flaky = score({ prompt: s.prompt, responses: [a, { ...b, availability: 0.2 }] })
    expect(miner(base, 2).axes["availability"]).toBe(1)
    expect(miner(flaky, 2).axes["availability"]).toBeCloseTo(0.2, 12)
    expect(miner(flaky, 2).reward).toBeLessThan(miner(base, 2).reward)
  })

  test("consensus axis: closer to the cluster scores higher; a miner's own entity does not vouch for it", () => {
    const s = scene(8)
    const centre = [1, 2, 3].map((uid) => ({ uid, vec: around(s.dir, 0.25, s.r), text: prose(s.r), latencyMs: 2000 }))
    const edge = { uid: 4, vec: around(s.dir, 0.6, s.r), text: prose(s.r), latencyMs: 2000 }
    const res = score({ prompt: s.prompt, responses: [...centre, edge] })
    expect(res.consensus).toEqual([1, 2, 3, 4])
    for (const uid of [1, 2, 3]) expect(miner(res, uid).axes["consensus"]!).toBeGreaterThan(miner(res, 4).axes["consensus"]!)
    // two near-identical answers from one entity vouch for each other only with entity weighting off
    const twins = [10, 11].map((uid) => ({ uid, vec: around(s.dir, 0.2, s.r), text: prose(s.r), latencyMs: 2000, ip: "9.9.9.9" }))
    const mixed = [...twins, { uid: 12, vec: around(s.dir, 0.6, s.r), text: prose(s.r), latencyMs: 2000 }]
    const on = score({ prompt: s.prompt, responses: mixed })
    const off = score({ prompt: s.prompt, responses: mixed }, { ...config, entityWeighting: false })
    for (const r of [on, off]) expect(r.miners.every((m) => m.filtered === null)).toBe(true)
    expect(off.miners.find((m) => m.uid === 10)!.axes["consensus"]!).toBeGreaterThan(on.miners.find((m) => m.uid === 10)!.axes["consensus"]!)
  })

  test("accuracy: skipped without a reference (its weight moves to consensus), cosine to the reference with one", () => {
    const s = scene(9)
    const ref = around(s.dir, 0.1, s.r)
    const good = { uid: 1, vec: around(ref, 0.1, s.r), text: prose(s.r), latencyMs: 2000 }
    const fair = { uid: 2, vec: around(ref, 0.7, s.r), text: prose(s.r), latencyMs: 2000 }
    const noRef = score({ prompt: s.prompt, responses: [good, fair] })
    expect(miner(noRef, 1).axes["accuracy"]).toBeUndefined()
    const w = config.axes
    const wsum = Object.entries(w).filter(([k]) => k !== "novelty").reduce((x, [, v]) => x + v, 0)
    expect(noRef.weights!["consensus"]).toBeCloseTo((w["consensus"]! + w["accuracy"]!) / wsum, 12)
    const withRef = score({ prompt: s.prompt, reference: { text: "the reference", vec: ref }, responses: [good, fair] })
    expect(miner(withRef, 1).axes["accuracy"]!).toBeGreaterThan(miner(withRef, 2).axes["accuracy"]!)
    expect(withRef.weights!["accuracy"]).toBeCloseTo(w["accuracy"]! / wsum, 12)
  })

  test("seed-003 task weights: transcription with a reference uses 0.65/0.25/0.10 exactly; unknown task → chat", () => {
    const s = scene(10)
    const ref = around(s.dir, 0.1, s.r)
    const rs = [s.honest(1), s.honest(2)]
    const tr = score({ prompt: s.prompt, taskType: "transcription", reference: { text: "ref", vec: ref }, responses: rs })
    expect(tr.taskType).toBe("transcription")
    expect(tr.weights).toEqual({ accuracy: 0.65, speed: 0.25, completion: 0.1 })
    const trNoRef = score({ prompt: s.prompt, taskType: "transcription", responses: rs })
    expect(trNoRef.weights!["consensus"]).toBeCloseTo(0.65, 12)
    expect(score({ prompt: s.prompt, taskType: "poetry", responses: rs }).taskType).toBe("chat")
  })

  test("quality heuristic: prose and code pass, loops / symbol soup / blobs fail", () => {
    const floor = config.thresholds.qualityFloor
    expect(textQuality("Photosynthesis turns light, water and carbon dioxide into glucose and oxygen in the chloroplasts.")).toBe(1)
    expect(textQuality("for (let i = 0; i < n; i++) { total += values[i] * weights[i] }")).toBeGreaterThan(floor)
    expect(textQuality("the answer is ".repeat(40))).toBeLessThan(floor)
    expect(textQuality("!!! ??? ### $$$ %%% ^^^ &&& *** ((( )))")).toBeLessThan(floor)
    expect(textQuality("QmFzZTY0IGVuY29kZWQgYmxvYiB0aGF0IGlzIG5vdCBhbiBhbnN3ZXIgYXQgYWxsIGp1c3Qgbm9pc2U=")).toBeLessThan(floor)
    expect(textQuality("")).toBe(0)
  })

  test("novelty: skipped without memory; falls toward 0 near another hotkey's earlier answer; exact replay is a copy", () => {
    const s = scene(11)
    const a = s.honest(1, 1000)
    const b = s.honest(2, 1200)
    expect(miner(score({ prompt: s.prompt, responses: [a, b] }), 1).axes["novelty"]).toBeUndefined()
    const memory = new NoveltyMemory()
    score({ prompt: s.prompt, responses: [a, b] }, config, memory)
    expect(memory.size).toBe(2)
    const close = withCosine(a.vec, 0.935, s.r) // between noveltySoftCosine (0.9) and copyCosine (0.97)
    const res = score(
      {
        prompt: s.prompt,
        responses: [
          { ...a, text: prose(s.r) }, // the same hotkey answering again: never a copy of itself
          { uid: 3, vec: close, text: prose(s.r), latencyMs: 900 },
          { uid: 4, vec: b.vec, text: b.text.toUpperCase(), latencyMs: 50 } // L1: same normalized text as uid 2's earlier answer
        ]
      },
      config,
      memory
    )
    expect(miner(res, 1).filtered).toBeNull()
    expect(miner(res, 1).axes["novelty"]).toBe(1)
    expect(miner(res, 3).axes["novelty"]!).toBeGreaterThan(0)
    expect(miner(res, 3).axes["novelty"]!).toBeLessThan(1)
    expect(miner(res, 4).filtered).toBe("copy")
    expect(miner(res, 4).note).toContain("same text as uid 2")
    // a different prompt does not see the first prompt's answers
    const other = score({ prompt: randomUnit(DIM, s.r), promptText: "another prompt", responses: [{ ...b, uid: 4, hotkey: "hk-4" }, s.honest(5)] }, config, memory)
    expect(miner(other, 4).filtered).not.toBe("copy")
  })

  test("the memory is bounded per prompt and in total", () => {
    const m = new NoveltyMemory({ capacity: 5, perPrompt: 3 })
    const v = Float32Array.of(1, 0)
    const e = (k: number) => ({ hotkey: `h${k}`, uid: k, roundId: "r", hash: textHash(normalizeText(`t${k}`)), vec: v })
    m.record("p1", [e(1), e(2), e(3), e(4)])
    expect(m.size).toBe(3)
    m.record("p2", [e(5), e(6), e(7)])
    expect(m.size).toBe(5)
    expect(m.lookup("p1", "x", e(2).hash, null).exact).toBeNull() // evicted
    expect(m.lookup("p2", "x", e(7).hash, null).exact?.uid).toBe(7)
    expect(m.lookup("p2", "h7", e(7).hash, null).exact).toBeNull() // own answers are not copies
  })
})

describe("entity weighting", () => {
  const farm = (withSybilWeighting: boolean, shared: "ip" | "coldkey") => {
    const s = scene(12)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const sybils = [1, 2, 3].map((uid) => ({
      uid,
      vec: around(sybilDir, 0.2, s.r),
      text: prose(s.r),
      latencyMs: 300,
      ...(shared === "ip" ? { ip: "6.6.6.6" } : { coldkey: "ck-farm" })
    }))
    const honest = [s.honest(10, 3000), s.honest(11, 3500)]
    return score({ prompt: s.prompt, responses: [...sybils, ...honest] }, { ...config, entityWeighting: withSybilWeighting })
  }

  test("3 sybils on one IP vs 2 independent honest miners: the honest pair is the consensus", () => {
    const res = farm(true, "ip")
    expect(res.consensus).toEqual([10, 11])
    for (const uid of [1, 2, 3]) expect(miner(res, uid).filtered).toBe("out_of_consensus")
    expect(miner(res, 10).reward + miner(res, 11).reward).toBeCloseTo(1, 12)
  })

  test("loopback addresses are no identity (local simulations share the host); a public IP is", () => {
    expect(isIdentityIp("127.0.0.1")).toBe(false)
    expect(isIdentityIp("::1")).toBe(false)
    expect(isIdentityIp("in-process")).toBe(false)
    expect(isIdentityIp("")).toBe(false)
    expect(isIdentityIp("6.6.6.6")).toBe(true)
    expect(isIdentityIp("2001:db8::1")).toBe(true)
  })

  test("paid miners of one entity split one share: three hotkeys on one coldkey earn what one honest miner earns", () => {
    const s = scene(21)
    const same = { latencyMs: 2000 }
    const res = score({
      prompt: s.prompt,
      responses: [
        s.honest(1, same.latencyMs),
        s.honest(2, same.latencyMs),
        ...[10, 11, 12].map((uid) => s.honest(uid, same.latencyMs, { coldkey: "ck-farm" }))
      ]
    })
    expect(res.consensus).toEqual([1, 2, 10, 11, 12])
    const farm = [10, 11, 12].reduce((a, uid) => a + miner(res, uid).reward, 0)
    const honest = (miner(res, 1).reward + miner(res, 2).reward) / 2
    // equal-quality answers: the farm's three hotkeys together get about one miner's share
    expect(farm).toBeLessThan(honest * 1.25)
    expect(farm).toBeGreaterThan(honest * 0.75)
    expect(res.miners.reduce((a, m) => a + m.reward, 0)).toBeCloseTo(1, 12)
    // without entity weighting the farm takes three shares (the reference's behaviour)
    const plain = score({ prompt: s.prompt, responses: [s.honest(1), s.honest(2), ...[10, 11, 12].map((uid) => s.honest(uid, 2000, { coldkey: "ck-farm" }))] }, { ...config, entityWeighting: false })
    expect([10, 11, 12].reduce((a, uid) => a + miner(plain, uid).reward, 0)).toBeGreaterThan(0.45)
  })

  test("a shared coldkey also makes one entity", () => {
    expect(farm(true, "coldkey").consensus).toEqual([10, 11])
  })

  test("without entity weighting the farm wins by headcount (the reference's failure mode)", () => {
    expect(farm(false, "ip").consensus).toEqual([1, 2, 3])
  })

  test("one entity alone is no consensus: 3 sybils + 1 honest are each judged against the prompt", () => {
    const s = scene(13)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const res = score({
      prompt: s.prompt,
      responses: [...[1, 2, 3].map((uid) => ({ uid, vec: around(sybilDir, 0.2, s.r), text: prose(s.r), latencyMs: 300, ip: "6.6.6.6" })), s.honest(10)]
    })
    expect(res.consensus).toEqual([])
    for (const m of res.miners) {
      expect(m.filtered).toBeNull()
      expect(m.axes["consensus"]).toBeUndefined()
    }
  })
})

describe("config loading", () => {
  const fail = (u: unknown) => Effect.runPromise(Effect.flip(decodeScoringConfig(u, "test.json")))
  const base = JSON.parse(JSON.stringify(config)) as Record<string, unknown>

  test("config/scoring.v1.json decodes to the built-in default", async () => {
    const loaded = await Effect.runPromise(loadScoringConfig())
    expect(loaded).toEqual(config)
    expect(DEFAULT_SCORING_CONFIG_PATH.endsWith("config/scoring.v1.json")).toBe(true)
  })

  test("bad values, unknown keys, unknown axes and broken rules name the key", async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...base, thresholds: { ...config.thresholds, relevanceFloor: 3 } }, "thresholds.relevanceFloor", /between -1 and 1/],
      [{ ...base, thresholds: { ...config.thresholds, relevanceFlor: 0.2 } }, "thresholds.relevanceFlor", /excess/],
      [{ ...base, axes: { ...config.axes, charisma: 1 } }, "axes.charisma", /unknown axis/],
      [{ ...base, taskTypes: { ...config.taskTypes, x: { optimalMs: 1, axes: { speed: 0 } } } }, "taskTypes.x.axes", /all be 0/],
      [{ ...base, defaultTaskType: "nope" }, "defaultTaskType", /not one of taskTypes/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: 0.5 }, { upTo: 2, score: 0.9 }] } }, "speed.tiers.1.score", /faster is never worse/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: "x" }] } }, "speed.tiers.0.score", /number/],
      [{ ...base, version: undefined }, "version", /number/],
      [{ ...base, thresholds: { ...config.thresholds, noveltySoftCosine: 0.99 } }, "thresholds.noveltySoftCosine", /below copyCosine/]
    ]
    for (const [u, key, msg] of cases) {
      const e: ScoringConfigError = await fail(u)
      expect(e._tag).toBe("ScoringConfigError")
      expect(e.path).toBe("test.json")
      expect(e.key).toBe(key)
      expect(e.message).toMatch(msg)
    }
  })

  test("a missing file and invalid JSON fail with the file named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-cfg-"))
    const missing = await Effect.runPromise(Effect.flip(loadScoringConfig(join(dir, "none.json"))))
    expect(missing.key).toBe("(file)")
    expect(missing.path).toBe(join(dir, "none.json"))
    const broken = join(dir, "broken.json")
    writeFileSync(broken, '{"version": 1,')
    const bad = await Effect.runPromise(Effect.flip(loadScoringConfig(broken)))
    expect(bad.key).toBe("(json)")
    expect(bad.path).toBe(broken)
  })
})
