// Unit cases of scoreRound: every axis and task weights.
import { describe, expect, test } from "bun:test"
import { speedScore } from "../../src/scoring/axes.ts"
import { taskProfile } from "../../src/scoring/config.ts"
import { NoveltyMemory, normalizeText, textHash } from "../../src/scoring/novelty.ts"
import { textQuality } from "../../src/scoring/textQuality.ts"
import type { MinerScore } from "../../src/scoring/types.ts"
import { around, orthogonalTo, prose, randomUnit, withCosine, type SynthResponse } from "../fixtures/rounds/synthetic.ts"
import { DIM, config, score, miner, TOPIC, onTopic, scene, PROMPT_TEXT, CODE_PROMPT, C_SENTENCE } from "./roundScene.ts"

describe("axes", () => {
  test("relevance ramps from relevanceFloor to relevanceFull; completion follows finish_reason", () => {
    const s = scene(6)
    const { relevanceFloor: lo, relevanceFull: hi } = config.calibration["default"]!
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

  test("consensus axis: closer to the others scores higher; a miner's own entity does not vouch for it", () => {
    const s = scene(8)
    const centre = [1, 2, 3].map((uid) => ({ uid, vec: around(s.dir, 0.25, s.r), text: onTopic(s.r), latencyMs: 2000 }))
    const edge = { uid: 4, vec: around(s.dir, 0.6, s.r), text: onTopic(s.r), latencyMs: 2000 }
    const res = score({ prompt: s.prompt, responses: [...centre, edge] })
    for (const uid of [1, 2, 3]) expect(miner(res, uid).axes["consensus"]!).toBeGreaterThan(miner(res, 4).axes["consensus"]!)
    // two near-identical answers from one entity vouch for each other only with entity weighting off
    const twinVec = around(s.dir, 0.2, s.r)
    const twins = [10, 11].map((uid) => ({ uid, vec: around(twinVec, 0.05, s.r), text: onTopic(s.r), latencyMs: 2000, ip: "9.9.9.9" }))
    const mixed = [...twins, { uid: 12, vec: around(s.dir, 0.6, s.r), text: onTopic(s.r), latencyMs: 2000 }, { uid: 13, vec: around(s.dir, 0.6, s.r), text: onTopic(s.r), latencyMs: 2000 }]
    const on = score({ prompt: s.prompt, responses: mixed })
    const off = score({ prompt: s.prompt, responses: mixed }, { ...config, entityWeighting: false })
    for (const r of [on, off]) expect(r.miners.every((m) => m.filtered === null)).toBe(true)
    expect(off.miners.find((m) => m.uid === 10)!.axes["consensus"]!).toBeGreaterThan(on.miners.find((m) => m.uid === 10)!.axes["consensus"]!)
  })

  test("chat pays no weight on the consensus axis (still reported); tool-call rounds keep it", () => {
    const s = scene(8)
    const centre = [1, 2, 3].map((uid) => ({ uid, vec: around(s.dir, 0.25, s.r), text: onTopic(s.r), latencyMs: 2000 }))
    const edge = { uid: 4, vec: around(s.dir, 0.6, s.r), text: onTopic(s.r), latencyMs: 2000 }
    const chat = score({ prompt: s.prompt, responses: [...centre, edge] })
    expect(chat.taskType).toBe("chat")
    expect(chat.weights!["consensus"]).toBeUndefined()
    expect(miner(chat, 4).axes["consensus"]!).toBeLessThan(miner(chat, 1).axes["consensus"]!)
    // the reward follows the weighted axes alone: the edge answer's lower consensus costs it nothing
    const paid = (m: MinerScore) => Object.entries(chat.weights!).reduce((x, [k, w]) => x + w * m.axes[k]!, 0)
    const total = chat.miners.reduce((x, m) => x + paid(m), 0)
    for (const m of chat.miners) expect(m.reward).toBeCloseTo(paid(m) / total, 12)
    const tool = score({ prompt: s.prompt, taskType: "tool_call", responses: [...centre, edge] })
    expect(tool.weights!["consensus"]!).toBeGreaterThan(0)
  })

  test("accuracy: skipped without a reference (its weight moves to coverage), cosine to the reference with one", () => {
    const s = scene(9)
    const ref = around(s.dir, 0.1, s.r)
    const good = { uid: 1, vec: around(ref, 0.1, s.r), text: onTopic(s.r), latencyMs: 2000 }
    const fair = { uid: 2, vec: around(ref, 0.7, s.r), text: onTopic(s.r), latencyMs: 2000 }
    const noRef = score({ prompt: s.prompt, responses: [good, fair] })
    expect(miner(noRef, 1).axes["accuracy"]).toBeUndefined()
    const w = taskProfile(config, noRef.taskType).weights
    const wsum = Object.entries(w).filter(([k]) => k !== "novelty").reduce((x, [, v]) => x + v, 0)
    expect(noRef.weights!["coverage"]).toBeCloseTo((w["coverage"]! + w["accuracy"]!) / wsum, 12)
    const withRef = score({ prompt: s.prompt, reference: { text: onTopic(s.r, 1), vec: ref }, responses: [good, fair] })
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
    expect(trNoRef.weights!["coverage"]).toBeCloseTo(0.65, 12)
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
    // grid lines and table rules lay out an answer; a text of nothing but them is still junk
    const grid = `Here is the puzzle:\n${"+---+---+---+\n| 7 |   | 3 |\n| 1 | 9 |   |\n".repeat(3)}+---+---+---+`
    expect(textQuality(grid)).toBeGreaterThan(floor)
    expect(textQuality("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |")).toBeGreaterThan(floor)
    expect(textQuality("----|||| ++++ ==== ".repeat(10))).toBeLessThan(floor)
  })

  test("a one-word answer that two other entities gave word for word is common ground, not off topic", () => {
    const s = scene(8)
    const long = (uid: number) => s.honest(uid, 2000 + uid)
    const terse = (uid: number): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir), text: `${TOPIC[0]}`, latencyMs: 900 + uid })
    const res = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [long(1), long(2), long(3), long(4), terse(11), terse(12), terse(13)] })
    for (const uid of [11, 12, 13]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
    // alone, the same far-off one-liner is off topic
    expect(miner(score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [long(1), long(2), long(3), long(4), terse(11)] }), 11).filtered).not.toBeNull()
  })

  test("a one-word answer that an edited copy happens to contain is common ground when two others gave it too", () => {
    const s = scene(9)
    const source: SynthResponse = { ...s.honest(1, 900), text: `${TOPIC.join(" ")} ${prose(s.r, 8)}.` }
    const words = source.text.split(" ")
    // two words of the source replaced by words no one else holds, sent after it
    const edited: SynthResponse = { uid: 2, vec: source.vec, text: [...words.slice(0, 3), "zebra", ...words.slice(4, 8), "quasar", ...words.slice(9)].join(" "), latencyMs: 1100 }
    const terse = (uid: number): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir), text: `${TOPIC[0]}.`, latencyMs: 1500 + uid })
    const others = [3, 4, 5, 6].map((uid) => s.honest(uid, 2000 + uid))
    const res = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [source, edited, ...others, terse(11), terse(12), terse(13)] })
    expect(miner(res, 2).filtered).toBe("copy")
    for (const uid of [11, 12, 13]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
    // alone, the one-word part of the edited copy is copied text
    const alone = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [source, edited, ...others, terse(11)] })
    expect(miner(alone, 2).filtered).toBe("copy")
    expect(miner(alone, 11).note ?? "").toContain("edited copy")
  })

  test("novelty: skipped without memory; falls toward 0 for text another hotkey sent earlier; a replay is a copy", () => {
    const s = scene(11)
    const a = s.honest(1, 1000)
    const b = s.honest(2, 1200)
    const c = s.honest(3, 1300)
    expect(miner(score({ prompt: s.prompt, responses: [a, b] }), 1).axes["novelty"]).toBeUndefined()
    const memory = new NoveltyMemory()
    score({ prompt: s.prompt, responses: [a, b, c] }, config, memory)
    expect(memory.size).toBe(3)
    const half = `${a.text.split(" ").slice(0, 12).join(" ")} ${prose(s.r, 4)}`
    const res = score(
      {
        prompt: s.prompt,
        responses: [
          { ...a, text: onTopic(s.r) }, // the same hotkey answering again: never a copy of itself
          { uid: 4, vec: s.honest(4).vec, text: half, latencyMs: 900 },
          { uid: 5, vec: b.vec, text: b.text.toUpperCase(), latencyMs: 50 }, // same normalized text as uid 2's earlier answer
          s.honest(6)
        ]
      },
      config,
      memory
    )
    expect(miner(res, 1).filtered).toBeNull()
    expect(miner(res, 1).axes["novelty"]).toBeGreaterThan(0.5)
    expect(miner(res, 4).axes["novelty"]!).toBeLessThan(1)
    expect(miner(res, 5).filtered).toBe("copy")
    expect(miner(res, 5).note).toContain("uid 2")
  })

  test("a sentence that three other hotkeys sent to this prompt earlier is common ground; one that only its author sent is a replay", () => {
    const s = scene(13)
    const promptText = CODE_PROMPT
    const same = (uid: number, latencyMs: number): SynthResponse => ({ uid, vec: around(s.dir, 0.1, s.r), text: C_SENTENCE, latencyMs })
    const later = (memory: NoveltyMemory) =>
      score({ id: "r2", prompt: s.prompt, promptText, responses: [same(20, 1000), s.honest(21, 2500), s.honest(22, 2600)] }, config, memory)
    const many = new NoveltyMemory()
    score({ id: "r1", prompt: s.prompt, promptText, responses: [same(1, 1000), same(2, 1100), same(3, 1200), same(4, 1300), s.honest(8, 2500), s.honest(9, 2600)] }, config, many)
    expect(miner(later(many), 20).filtered).not.toBe("copy")
    const one = new NoveltyMemory()
    score({ id: "r1", prompt: s.prompt, promptText, responses: [same(1, 1000), s.honest(8, 2500), s.honest(9, 2600)] }, config, one)
    expect(miner(later(one), 20).filtered).toBe("copy")
    expect(miner(later(one), 20).note).toContain("earlier answer")
  })

  test("the memory is bounded per prompt, in total and per hotkey", () => {
    const m = new NoveltyMemory({ capacity: 5, perPrompt: 3, perHotkey: 2 })
    const prints = (k: number) => Uint32Array.from({ length: 8 }, (_, j) => k * 100 + j)
    const e = (k: number) => ({ hotkey: `h${k}`, uid: k, roundId: "r", hash: textHash(normalizeText(`t${k}`)), shingles: prints(k) })
    const c = { share: 0.8, minShingles: 5 }
    m.record("p1", [e(1), e(2), e(3), e(4)])
    expect(m.size).toBe(3)
    m.record("p2", [e(5), e(6), e(7)])
    expect(m.size).toBe(5)
    expect(m.holders("p1", "x", e(2).hash, prints(2), c)).toEqual([]) // evicted
    expect(m.holders("p2", "x", "other", prints(7), c).map((h) => h.uid)).toEqual([7])
    expect(m.holders("p2", "h7", e(7).hash, prints(7), c)).toEqual([]) // own answers are not copies
    expect(m.constantOf("h7", "p3", e(7).hash, prints(7), c)?.roundId).toBe("r")
    expect(m.constantOf("h7", "p2", e(7).hash, prints(7), c)).toBeNull() // the same prompt again is no constant answer
  })
})
