// The copy record across rounds (src/scoring/copyRecord.ts) and what scoreRound does with it: a clean hotkey's
// short copy evidence is forgiven once, a copier loses the common-ground excuse, long copies are never forgiven,
// a hotkey whose answers mostly missed their prompts loses the close-in-meaning excuse.
import { describe, expect, test } from "bun:test"
import type { ScoringConfig } from "../../src/scoring/config.ts"
import { CopyRecord, DEFAULT_COPY_RECORD, mergeOutcome, type RoundOutcome } from "../../src/scoring/copyRecord.ts"
import { NoveltyMemory } from "../../src/scoring/novelty.ts"
import { around, prose, type SynthResponse } from "../fixtures/rounds/synthetic.ts"
import { CODE_PROMPT, C_SENTENCE, PROMPT_TEXT, config, miner, onTopic, scene, score } from "./roundScene.ts"

const c = DEFAULT_COPY_RECORD
const feed = (record: CopyRecord, hotkey: string, outcomes: ReadonlyArray<RoundOutcome>) => {
  for (const o of outcomes) record.record(new Map([[hotkey, o]]))
}

describe("CopyRecord", () => {
  test("unknown until enough paid rounds; clean without copy evidence; a copier at half its rounds", () => {
    const record = new CopyRecord(c.window, 100)
    expect(record.standing("a", c)).toBe("unknown")
    feed(record, "a", ["paid", "paid", "paid", "paid"])
    expect(record.standing("a", c)).toBe("unknown")
    feed(record, "a", ["paid"])
    expect(record.standing("a", c)).toBe("clean")
    feed(record, "a", ["copy"])
    expect(record.standing("a", c)).toBe("unknown")
    feed(record, "b", ["copy", "paid", "other"])
    expect(record.standing("b", c)).toBe("unknown") // too few rounds to call it a copier
    feed(record, "b", ["copy"])
    expect(record.standing("b", c)).toBe("copier")
  })

  test("astray once half of 8+ remembered rounds missed their prompts; a copier's record says copier first", () => {
    const record = new CopyRecord(c.window, 100)
    feed(record, "a", ["astray", "paid", "astray", "paid", "astray", "paid", "astray"])
    expect(record.standing("a", c)).toBe("unknown") // 7 rounds: too few
    feed(record, "a", ["paid"])
    expect(record.standing("a", c)).toBe("astray")
    feed(record, "a", ["paid"])
    expect(record.standing("a", c)).toBe("clean") // 4 astray of 9, and 5 paid without copy evidence
    feed(record, "b", ["copy", "astray", "copy", "astray", "astray", "astray", "astray", "astray"])
    expect(record.standing("b", c)).toBe("astray") // 6 of 8 astray; 2 copies are under half
    feed(record, "b", ["copy", "copy", "copy", "copy"])
    expect(record.standing("b", c)).toBe("copier")
  })

  test("the window slides: copy evidence is forgotten after `window` later rounds", () => {
    const record = new CopyRecord(c.window, 100)
    feed(record, "a", ["copy", "copy", "copy", "copy"])
    expect(record.standing("a", c)).toBe("copier")
    feed(record, "a", Array.from({ length: c.window - 1 }, () => "paid" as const))
    expect(record.standing("a", c)).toBe("unknown")
    feed(record, "a", ["paid"])
    expect(record.standing("a", c)).toBe("clean")
  })

  test("bounded: the least recently seen hotkeys are forgotten first; a round merges a hotkey's answers to its worst", () => {
    const record = new CopyRecord(c.window, 2)
    record.record(new Map([["a", "paid"], ["b", "paid"]]))
    record.record(new Map([["a", "paid"], ["c", "paid"]]))
    expect(record.size).toBe(2)
    feed(record, "a", ["paid", "paid", "paid"])
    expect(record.standing("a", c)).toBe("clean")
    feed(record, "b", ["paid"]) // b was forgotten: one round on record
    expect(record.standing("b", c)).toBe("unknown")
    const round = new Map<string, RoundOutcome>()
    for (const o of ["paid", "copy", "other"] as const) mergeOutcome(round, "a", o)
    mergeOutcome(round, "b", "other")
    mergeOutcome(round, "b", "paid")
    expect([...round]).toEqual([["a", "copy"], ["b", "paid"]])
  })
})

/** Five paid rounds for uids 1–6 on other prompts, so their hotkeys have clean records. */
const cleanHistory = (memory: NoveltyMemory, uids: ReadonlyArray<number>) => {
  for (let k = 0; k < 5; k++) {
    const s = scene(500 + k)
    const res = score({ id: `h${k}`, prompt: s.prompt, promptText: `${PROMPT_TEXT} (${k})`, responses: uids.map((u) => s.honest(u, 1000 + 100 * u)) }, config, memory)
    for (const u of uids) expect(miner(res, u).filtered).toBeNull()
  }
}

describe("scoreRound with a copy record", () => {
  const sentenceRound = (seed: number, id: string) => {
    const s = scene(seed)
    const same = (uid: number, latencyMs: number): SynthResponse => ({ uid, vec: around(s.dir, 0.1, s.r), text: C_SENTENCE, latencyMs })
    return { id, prompt: s.prompt, promptText: CODE_PROMPT, responses: [same(1, 1000), same(2, 1100), same(3, 1200), s.honest(5, 2500), s.honest(6, 2600)] }
  }

  test("a clean hotkey writing the same short sentence as a faster model is paid once; an unknown one and a repeat are copies", () => {
    const alone = score(sentenceRound(12, "s0"))
    expect([miner(alone, 2).filtered, miner(alone, 3).filtered]).toEqual(["copy", "copy"])
    const memory = new NoveltyMemory()
    cleanHistory(memory, [1, 2, 5, 6])
    const first = score(sentenceRound(12, "s1"), config, memory)
    expect(miner(first, 2).filtered).toBeNull()
    expect(miner(first, 2).reward).toBeGreaterThan(0)
    expect(miner(first, 3).filtered).toBe("copy") // no record: judged on this round alone
    // the forgiven evidence is on record: the next one in the window is not forgiven
    const second = score(sentenceRound(13, "s2"), config, memory)
    expect(miner(second, 2).filtered).toBe("copy")
  })

  test("without a copyRecord in the config every round is judged alone", () => {
    const { copyRecord: _, ...novelty } = config.novelty
    const plain: ScoringConfig = { ...config, novelty }
    const memory = new NoveltyMemory()
    for (let k = 0; k < 5; k++) {
      const s = scene(500 + k)
      score({ id: `h${k}`, prompt: s.prompt, promptText: `${PROMPT_TEXT} (${k})`, responses: [1, 2, 5, 6].map((u) => s.honest(u, 1000 + 100 * u)) }, plain, memory)
    }
    expect(miner(score(sentenceRound(12, "s1"), plain, memory), 2).filtered).toBe("copy")
  })

  test("a clean hotkey's copy of a long answer is never forgiven", () => {
    const memory = new NoveltyMemory()
    cleanHistory(memory, [1, 2, 5, 6])
    const s = scene(14)
    const long = `${prose(s.r, 120)} ${prose(s.r, 40)}`
    const res = score(
      {
        id: "l1",
        prompt: s.prompt,
        promptText: PROMPT_TEXT,
        responses: [{ uid: 1, vec: s.dir, text: long, latencyMs: 1000 }, { uid: 2, vec: s.dir, text: long, latencyMs: 1200 }, s.honest(5), s.honest(6)]
      },
      config,
      memory
    )
    expect(miner(res, 2).filtered).toBe("copy")
  })

  test("an astray hotkey gets no close-in-meaning excuse: its terse answer of low coverage is off topic", () => {
    const round = (memory?: NoveltyMemory) => {
      const s = scene(1)
      const responses = [s.honest(1, 3000), s.honest(2, 2500), s.honest(3, 4000), s.honest(10, 3500), { uid: 11, vec: around(s.dir, 0.4, s.r), text: "Chlorophyll matters.", latencyMs: 3000 }]
      return score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses }, config, memory)
    }
    expect(miner(round(), 11).filtered).toBeNull()
    const memory = new NoveltyMemory()
    feed(memory.copyRecord, "hk-11", ["astray", "astray", "astray", "astray", "paid", "paid", "paid", "paid"])
    const res = round(memory)
    expect(miner(res, 11).filtered).toBe("off_topic")
    expect(miner(res, 11).note).toContain("its recent answers mostly missed their prompts")
    for (const uid of [1, 2, 3, 10]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
  })

  test("an astray hotkey's answer must cover astrayCoverage of the round's median, a bar above the one for every far answer", () => {
    const s = scene(7)
    const responses = [1, 2, 3, 4, 5, 6].map((u) => s.honest(u, 2000 + 100 * u))
    const partial: SynthResponse = { uid: 11, vec: around(s.dir, 0.4, s.r), text: onTopic(s.r, 0.55), latencyMs: 2500 }
    const round = { prompt: s.prompt, promptText: PROMPT_TEXT, responses: [...responses, partial] }
    const astrayMemory = () => {
      const memory = new NoveltyMemory()
      feed(memory.copyRecord, "hk-11", ["astray", "astray", "astray", "astray", "paid", "paid", "paid", "paid"])
      return memory
    }
    // the partial answer covers between half the median and the median
    const plain = score(round)
    const covOf = (uid: number) => miner(plain, uid).axes.coverage ?? 0
    const sorted = [1, 2, 3, 4, 5, 6, 11].map(covOf).sort((a, b) => a - b)
    const ratio = covOf(11) / sorted[3]!
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(0.75)
    // astray, under the bar every far answer has (astrayCoverage absent): still paid
    const { astrayCoverage: _, ...withoutBar } = c
    const lenient: ScoringConfig = { ...config, novelty: { ...config.novelty, copyRecord: withoutBar } }
    expect(miner(score(round, lenient, astrayMemory()), 11).filtered).toBeNull()
    // with the shipped bar (0.75 of the median) it is off topic; the honest answers are untouched
    const strict = score(round, config, astrayMemory())
    expect(config.novelty.copyRecord?.astrayCoverage).toBe(0.75)
    expect(miner(strict, 11).filtered).toBe("off_topic")
    for (const uid of [1, 2, 3, 4, 5, 6]) expect([uid, miner(strict, uid).filtered]).toEqual([uid, null])
  })

  test("a copier by its record gets no common-ground excuse: the sentence four models wrote is its copy", () => {
    const four = (seed: number, id: string) => {
      const round = sentenceRound(seed, id)
      const s = scene(seed + 100)
      return { ...round, responses: [...round.responses, { uid: 4, vec: around(s.dir, 0.1, s.r), text: C_SENTENCE, latencyMs: 1300 }] }
    }
    const alone = score(four(20, "c0"))
    for (const uid of [1, 2, 3, 4]) expect([uid, miner(alone, uid).filtered]).toEqual([uid, null])
    const memory = new NoveltyMemory()
    // four rounds in which uid 9 hands back uid 1's long answer 200 ms later
    for (let k = 0; k < 4; k++) {
      const s = scene(600 + k)
      const original = s.honest(1, 1000)
      const res = score(
        { id: `p${k}`, prompt: s.prompt, promptText: `${PROMPT_TEXT} (${k})`, responses: [original, s.honest(5), s.honest(6), { ...original, uid: 4, latencyMs: 1200 }] },
        config,
        memory
      )
      expect(miner(res, 4).filtered).toBe("copy")
    }
    const res = score(four(20, "c1"), config, memory)
    expect(miner(res, 4).filtered).toBe("copy")
    expect(miner(res, 4).note).toContain("a copier by its record")
    for (const uid of [1, 2, 3]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
  })
})
