// Unit cases of scoreRound: every filter reason, every axis, entity weighting, task weights, config loading.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { DEFAULT_SCORING_CONFIG_PATH, decodeScoringConfig, loadScoringConfig, type ScoringConfigError } from "../../src/domain/ScoringConfig.ts"
import { speedScore } from "../../src/scoring/axes.ts"
import { taskProfile, type ScoringConfig } from "../../src/scoring/config.ts"
import { NoveltyMemory, normalizeText, textHash } from "../../src/scoring/novelty.ts"
import { explain, isIdentityIp, scoreRound } from "../../src/scoring/round.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import { textQuality } from "../../src/scoring/textQuality.ts"
import { toolAgreement, validateToolCalls } from "../../src/scoring/tools.ts"
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

const TOPIC = "chlorophyll absorbs sunlight inside chloroplasts converting carbon dioxide water into glucose releasing oxygen through stomata during daylight".split(" ")
const OTHER = "medieval castles had thick stone walls moats drawbridges towers where archers defended against sieges".split(" ")

/** An answer on the scene's topic: most of the topic's facts in order, a few words of its own. */
const onTopic = (r: () => number, keep = 0.85): string => {
  const out: Array<string> = []
  for (const w of TOPIC) if (r() < keep) out.push(w)
  out.push(...prose(r, 8).split(" "))
  return `${out.join(" ")}.`
}
const offTopicText = (r: () => number): string => `${OTHER.filter(() => r() < 0.9).join(" ")} ${Math.floor(r() * 1e9).toString(36)}.`

/** A scene: a prompt, an answer direction and helpers to make honest answers. */
const scene = (seed: number) => {
  const r = rng(seed)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const honest = (uid: number, latencyMs = 2000, extra: Partial<SynthResponse> = {}): SynthResponse => ({
    uid,
    vec: around(dir, 0.4, r),
    text: onTopic(r),
    latencyMs,
    ...extra
  })
  const offTopic = (uid: number, latencyMs = 5): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, r), prompt, dir), text: offTopicText(r), latencyMs })
  return { r, prompt, dir, honest, offTopic }
}

const PROMPT_TEXT = "Explain how plants make their food from light, step by step, for a curious student."
/** A short question that several models answer with the same sentence of their own words. */
const CODE_PROMPT = 'Identify the programming language used to write the given code.\n\nif (20 > 18) { printf("20 is greater than 18"); }'
const C_SENTENCE = "The given code is written in the C programming language."

const WEATHER: ToolSpec = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer" } },
    required: ["city"]
  }
}

describe("filters", () => {
  test("a terse answer in its own words, close in meaning to the others, is paid by its low coverage, not zeroed as incomplete", () => {
    const s = scene(1)
    const res = score({
      prompt: s.prompt,
      promptText: PROMPT_TEXT,
      responses: [s.honest(1, 3000), s.honest(2, 2500), s.honest(3, 4000), s.honest(10, 3500), { uid: 11, vec: around(s.dir, 0.4, s.r), text: "Chlorophyll matters.", latencyMs: 3000 }]
    })
    const terse = miner(res, 11)
    expect(terse.filtered).toBeNull()
    expect(terse.reward).toBeGreaterThan(0)
    for (const uid of [1, 2, 3, 10]) expect(terse.reward).toBeLessThan(miner(res, uid).reward)
  })

  test("a terse answer far in meaning from the long ones is paid when the others wrote its words too; three words no one wrote are off topic", () => {
    const s = scene(2)
    const far = (uid: number, text: string): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir), text, latencyMs: 900 })
    const responses = [s.honest(1, 3000), s.honest(2, 2500), s.honest(3, 4000), s.honest(10, 3500)]
    const res = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [...responses, far(11, "Chlorophyll absorbs sunlight."), far(12, "Medieval castle drawbridges.")] })
    const terse = miner(res, 11)
    expect(terse.filtered).toBeNull()
    expect(terse.reward).toBeGreaterThan(0)
    for (const uid of [1, 2, 3, 10]) expect(terse.reward).toBeLessThan(miner(res, uid).reward)
    expect(miner(res, 12).filtered).not.toBeNull()
    expect(miner(res, 12).reward).toBe(0)
  })

  test("a terse answer the others say inside their answers is their answer in brief; one they only open with is not", () => {
    const s = scene(3)
    const far = (uid: number, text: string): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir), text, latencyMs: 900 })
    // every honest answer opens with a lead-in and holds the topic's words in its sentences
    const responses = [1, 2, 3, 4, 5].map((u) => ({ ...s.honest(u, 2000 + 100 * u), text: `Certainly! ${onTopic(s.r, 1)}` }))
    const res = score({
      prompt: s.prompt,
      promptText: PROMPT_TEXT,
      responses: [...responses, far(11, "Glucose."), far(12, "Oxygen, chlorophyll."), far(13, "Certainly!")]
    })
    // (12: a word pair no one else wrote side by side, "oxygen chlorophyll", does not make its words its own)
    for (const uid of [11, 12]) {
      expect(miner(res, uid).filtered).toBeNull()
      expect(miner(res, uid).reward).toBeGreaterThan(0)
      for (const u of [1, 2, 3, 4, 5]) expect(miner(res, uid).reward).toBeLessThan(miner(res, u).reward)
    }
    // "Certainly!" is how the others begin, not what they answer
    expect(miner(res, 13).filtered).toBe("incomplete")
    expect(miner(res, 13).reward).toBe(0)
  })

  test("two models' tables of the prompt's own facts are no copies of each other: the facts' word sequences come from the prompt", () => {
    const s = scene(5)
    const promptText =
      "Prepare a table of the participants. The conference was attended by Professor Crew Purdie (cpurdie@email.com), " +
      "Teacher Oliver Malachi (oliver@email.com) and Parent Kolby Reese (kolbyreese82@email.com)."
    const rows = "| Crew Purdie | Professor | cpurdie@email.com |\n| Oliver Malachi | Teacher | oliver@email.com |\n| Kolby Reese | Parent | kolbyreese82@email.com |"
    const table = (uid: number, header: string, latencyMs: number): SynthResponse => ({ uid, vec: around(s.dir, 0.3, s.r), text: `${header}\n${rows}`, latencyMs })
    const res = score({
      prompt: s.prompt,
      promptText,
      responses: [table(1, "| Name | Role | Email |", 1200), table(2, "| Participant | Role | Email |", 1500), s.honest(3, 2000), s.honest(4, 2200), s.honest(5, 2500)]
    })
    expect(miner(res, 2).filtered).toBeNull()
    expect(miner(res, 2).reward).toBeGreaterThan(0)
  })

  test("word salad of the topic's own words earns 0 even when it embeds close to the others (no one wrote its word pairs)", () => {
    const s = scene(4)
    const salad: SynthResponse = { uid: 9, vec: around(s.dir, 0.2, s.r), text: `${[...TOPIC].reverse().join(" ")} ${[...TOPIC].reverse().join(" ")}.`, latencyMs: 900 }
    const round = { prompt: s.prompt, promptText: PROMPT_TEXT, responses: [1, 2, 3, 4, 5, 6].map((u) => s.honest(u, 2000 + 100 * u)).concat(salad) }
    const res = score(round)
    expect(miner(res, 9).filtered).toBe("low_quality")
    expect(miner(res, 9).note).toContain("word salad")
    for (const u of [1, 2, 3, 4, 5, 6]) expect(miner(res, u).filtered).toBeNull()
    // without the strict share (a v2 file of an earlier release) the cosine alone decides, and this one passes
    const { wordSaladStrictShare: _, ...lenient } = config.content
    expect(miner(score(round, { ...config, content: lenient }), 9).filtered).toBeNull()
  })

  test("error, empty, echo, low_quality, copy, no_content and incomplete each earn exactly 0 with their reason", () => {
    const s = scene(1)
    const a = s.honest(1, 3000)
    const res = score({
      prompt: s.prompt,
      promptText: PROMPT_TEXT,
      responses: [
        a,
        s.honest(2, 2500),
        s.honest(3, 4000),
        s.honest(10, 3500),
        { uid: 4, vec: s.dir, text: "", latencyMs: null, finishReason: null, error: "Timeout" },
        { uid: 5, vec: s.dir, text: " \n ", latencyMs: 3 },
        s.offTopic(6),
        { uid: 7, vec: around(s.dir, 0.2, s.r), text: "buy buy buy ".repeat(30), latencyMs: 100 },
        { uid: 8, vec: a.vec, text: a.text.replace(TOPIC[3]!, "indeed"), latencyMs: 3100 },
        { uid: 9, vec: s.prompt, text: PROMPT_TEXT, latencyMs: 50 },
        // a fragment of another miner's answer (close in meaning, so only being a part of another makes it incomplete)
        { uid: 11, vec: around(s.dir, 0.4, s.r), text: `${a.text.split(" ")[0]}.`, latencyMs: 50 }
      ]
    })
    const want: Record<number, string | null> = {
      1: null, 2: null, 3: null, 10: null, 4: "error", 5: "empty", 6: "no_content", 7: "low_quality", 8: "copy", 9: "echo", 11: "incomplete"
    }
    for (const [uid, reason] of Object.entries(want)) {
      const m = miner(res, Number(uid))
      expect([uid, m.filtered]).toEqual([uid, reason as MinerScore["filtered"]])
      if (reason !== null) expect(m.reward).toBe(0)
      else expect(m.reward).toBeGreaterThan(0)
    }
    expect(miner(res, 8).note).toContain("copy of faster uid 1")
    expect(res.miners.reduce((x, m) => x + m.reward, 0)).toBeCloseTo(1, 12)
    expect(res.best).toBe(res.miners.reduce((b, m) => (m.reward > b.reward ? m : b)).uid)
    const lines = explain(res)
    expect(lines.some((l) => l.includes("uid 6") && l.includes("FILTERED no_content"))).toBe(true)
  })

  test("the prompt's words reshuffled are an echo; an answer that quotes a few of the prompt's words is not", () => {
    const s = scene(2)
    const shuffled = PROMPT_TEXT.split(" ").reverse().join(" ")
    const res = score({
      prompt: s.prompt,
      promptText: PROMPT_TEXT,
      responses: [s.honest(1), s.honest(2), { uid: 3, vec: s.prompt, text: shuffled, latencyMs: 10 }, { uid: 4, vec: s.honest(4).vec, text: `Plants make food from light: ${onTopic(s.r)}`, latencyMs: 900 }]
    })
    expect(miner(res, 3).filtered).toBe("echo")
    expect(miner(res, 4).filtered).toBeNull()
    // a short prompt's words moved around keep some of its word sequences, and are still its words handed back
    const short = score({
      prompt: s.prompt,
      promptText: "Who wears short shorts?",
      responses: [s.honest(1), s.honest(2), { uid: 3, vec: s.prompt, text: "wears short shorts? Who", latencyMs: 10 }]
    })
    expect(miner(short, 3).filtered).toBe("echo")
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

  test("the first sentence of another answer, sent later, is a copy; near-identical semantics with other words is not", () => {
    const s = scene(4)
    const long = `${onTopic(s.r)} ${onTopic(s.r)} Then the plant stores the sugar as starch for the night.`
    const a = { ...s.honest(1, 2000), text: long }
    const first = long.split(". ")[0]!
    const res = score({
      prompt: s.prompt,
      responses: [a, s.honest(2), s.honest(3), { uid: 4, vec: around(a.vec, 0.05, s.r), text: first, latencyMs: 2200 }, { uid: 5, vec: around(a.vec, 0.02, s.r), text: onTopic(s.r), latencyMs: 2300 }]
    })
    expect(miner(res, 4).filtered).toBe("copy")
    expect(miner(res, 5).filtered).toBeNull() // cos ≈ 0.999 to uid 1, but its own words
  })

  test("a quoted sentence taken from a faster answer that quotes the prompt is a copy (no word sequence of its own to compare)", () => {
    const s = scene(6)
    const passage = "The committee approved the new bridge design after three public hearings. Construction starts in the spring and ends two years later."
    const promptText = `Quote the sentences of this text that say when the work happens.\n\n${passage}`
    const quoting = { ...s.honest(1, 2000), text: `The text says: "${passage}" So the work runs for two years from the spring.` }
    const quote = "The committee approved the new bridge design after three public hearings."
    const res = score({
      prompt: s.prompt,
      promptText,
      responses: [quoting, s.honest(2), s.honest(3), { uid: 4, vec: around(quoting.vec, 0.05, s.r), text: quote, latencyMs: 2200 }]
    })
    expect(miner(res, 4).filtered).toBe("copy")
    expect(miner(res, 4).note).toContain("a part of faster uid 1")
    // sent first, the same sentence is the model's own quote
    expect(miner(score({ prompt: s.prompt, promptText, responses: [quoting, s.honest(2), s.honest(3), { uid: 4, vec: around(quoting.vec, 0.05, s.r), text: quote, latencyMs: 1500 }] }), 4).filtered).not.toBe("copy")
  })

  test("the same corrections made independently are common ground: a corrected text others wrote in their own variants is no copy", () => {
    const s = scene(7)
    const promptText =
      "Rewrite the given text and correct grammar, spelling, and punctuation errors.\n\nIf you'd told me year ago that today I would finish a marathon, I would of laughed. Your support had a huge affect on me!"
    const corrected = "If you'd told me a year ago that I would finish a marathon today, I would have laughed! Your support had a huge effect on me."
    const variant = (uid: number, text: string, latencyMs: number): SynthResponse => ({ uid, vec: around(s.dir, 0.1, s.r), text, latencyMs })
    const responses = [
      variant(1, corrected, 1000),
      variant(2, corrected, 1200),
      // the same corrections, worded a little differently and followed by a note of what was fixed
      variant(3, `${corrected.replace("you'd", "you had")} Three errors fixed.`, 1500),
      variant(4, `${corrected.replace("you'd", "you would have")} All errors are fixed now.`, 1700)
    ]
    const res = score({ prompt: s.prompt, promptText, responses })
    for (const uid of [1, 2, 3, 4]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
    // with no one else writing it, the identical later text is a copy of the faster one
    expect(miner(score({ prompt: s.prompt, promptText, responses: responses.slice(0, 2).concat(s.honest(8), s.honest(9)) }), 2).filtered).toBe("copy")
  })

  test("short identical answers are not copies, and text that two other entities hold is common ground", () => {
    const s = scene(5)
    const v = around(s.dir, 0.1, s.r)
    const short = score({ prompt: s.prompt, responses: [1, 2, 3].map((uid) => ({ uid, vec: v, text: "Paris.", latencyMs: 500 * uid })) })
    for (const m of short.miners) expect(m.filtered).toBeNull()
    // a corrected text: most of its word sequences are the prompt's, so near-duplicates from 2+ others are common ground
    const passage = onTopic(rng(99), 1)
    const promptText = `Correct the spelling in this text: ${passage.replace("glucose", "glucsoe").replace("oxygen", "oxigen")}`
    const common = score({ prompt: s.prompt, promptText, responses: [1, 2, 3, 4].map((uid) => ({ uid, vec: v, text: passage, latencyMs: 500 * uid })) })
    for (const m of common.miners) expect(m.filtered).toBeNull()
    // an answer of its own making is never common ground: copiers of one answer are copies, however many
    const own = score({ prompt: s.prompt, responses: [1, 2, 3, 4].map((uid) => ({ uid, vec: v, text: passage, latencyMs: 500 * uid })) })
    expect(own.miners.filter((m) => m.filtered === "copy").map((m) => m.uid)).toEqual([2, 3, 4])
  })

  test("a one-sentence answer in its own words that three entities besides the fastest wrote is common ground; two copiers of it are copies", () => {
    const s = scene(12)
    const promptText = CODE_PROMPT
    const same = (uid: number, latencyMs: number): SynthResponse => ({ uid, vec: around(s.dir, 0.1, s.r), text: C_SENTENCE, latencyMs })
    const others = [s.honest(8, 2500), s.honest(9, 2600)]
    const four = score({ prompt: s.prompt, promptText, responses: [same(1, 1000), same(2, 1100), same(3, 1200), same(4, 1300), ...others] })
    for (const uid of [1, 2, 3, 4]) expect([uid, miner(four, uid).filtered]).toEqual([uid, null])
    // the fastest and two later ones: the later two would only vouch for each other
    const three = score({ prompt: s.prompt, promptText, responses: [same(1, 1000), same(2, 1100), same(3, 1200), ...others] })
    expect([miner(three, 2).filtered, miner(three, 3).filtered]).toEqual(["copy", "copy"])
    expect(miner(three, 1).filtered).not.toBe("copy")
  })

  test("one text sent to different prompts is a constant answer once the memory has seen it", () => {
    const memory = new NoveltyMemory()
    const canned = "Thank you for your question here is a detailed and helpful answer with the most important points and a summary"
    for (const [k, seed] of [[0, 31], [1, 32]] as const) {
      const s = scene(seed)
      const res = score(
        { id: `r${k}`, prompt: s.prompt, promptText: `prompt number ${k} about plants`, responses: [s.honest(1), s.honest(2), s.honest(3), { uid: 9, vec: s.dir, text: canned, latencyMs: 10 }] },
        config,
        memory
      )
      if (k === 1) {
        expect(miner(res, 9).filtered).toBe("constant")
        expect(miner(res, 9).note).toContain("round r0")
      }
    }
  })

  test("an answer in other words with the meaning of the others is kept; one with neither their content nor meaning is off topic", () => {
    const s = scene(6)
    const res = score({
      prompt: s.prompt,
      responses: [
        s.honest(1), s.honest(2), s.honest(3), s.honest(4),
        { uid: 5, vec: s.offTopic(5).vec, text: `${TOPIC.slice(0, 2).join(" ")} ${offTopicText(s.r)}`, latencyMs: 100 },
        { uid: 6, vec: around(s.dir, 0.2, s.r), text: `${TOPIC.slice(0, 6).join(" ")} ${prose(s.r, 10)}`, latencyMs: 100 }
      ]
    })
    expect(miner(res, 5).filtered).toBe("off_topic")
    expect(miner(res, 6).filtered).toBeNull()
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
    expect(miner(res, 5).filtered).toBe("off_topic")
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

describe("entity weighting", () => {
  const farm = (withSybilWeighting: boolean, shared: "ip" | "coldkey") => {
    const s = scene(12)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const sybils = [1, 2, 3].map((uid) => ({
      uid,
      vec: around(sybilDir, 0.2, s.r),
      text: onTopic(s.r),
      latencyMs: 300,
      ...(shared === "ip" ? { ip: "6.6.6.6" } : { coldkey: "ck-farm" })
    }))
    const honest = [s.honest(10, 3000), s.honest(11, 3500)]
    return score({ prompt: s.prompt, responses: [...sybils, ...honest] }, { ...config, entityWeighting: withSybilWeighting })
  }

  test("3 sybils on one IP vs 2 independent honest miners: the honest pair is the consensus, the farm earns one share", () => {
    const res = farm(true, "ip")
    expect(res.consensus).toEqual([10, 11])
    const farmTotal = [1, 2, 3].reduce((x, uid) => x + miner(res, uid).reward, 0)
    const honestMean = (miner(res, 10).reward + miner(res, 11).reward) / 2
    // three hotkeys of one operator earn about what one miner earns, not three shares
    expect(farmTotal).toBeLessThan(honestMean * 1.5)
    expect(farmTotal).toBeLessThan(0.5)
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
    const farm = [10, 11, 12].reduce((a, uid) => a + miner(res, uid).reward, 0)
    const honest = (miner(res, 1).reward + miner(res, 2).reward) / 2
    // equal-quality answers: the farm's three hotkeys together get about one miner's share
    expect(farm).toBeLessThan(honest * 1.25)
    expect(farm).toBeGreaterThan(honest * 0.75)
    expect(res.miners.reduce((a, m) => a + m.reward, 0)).toBeCloseTo(1, 12)
    // each farm hotkey carries its entity share (seed 003's performance records split points by it)
    for (const uid of [10, 11, 12]) expect(miner(res, uid).entityShare).toBeCloseTo(1 / 3, 12)
    expect(miner(res, 1).entityShare).toBeUndefined()
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

  test("one entity alone is no consensus: 3 sybils + 1 honest, the farm's hotkeys never vouch for each other", () => {
    const s = scene(13)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const res = score({
      prompt: s.prompt,
      responses: [...[1, 2, 3].map((uid) => ({ uid, vec: around(sybilDir, 0.2, s.r), text: onTopic(s.r), latencyMs: 300, ip: "6.6.6.6" })), s.honest(10)]
    })
    expect(res.consensus).toEqual([])
    const farmTotal = [1, 2, 3].reduce((x, uid) => x + miner(res, uid).reward, 0)
    expect(farmTotal).toBeLessThan(miner(res, 10).reward * 1.5)
  })
})

describe("config loading", () => {
  const fail = (u: unknown) => Effect.runPromise(Effect.flip(decodeScoringConfig(u, "test.json")))
  const base = JSON.parse(JSON.stringify(config)) as Record<string, unknown>

  test("config/scoring.v2.json decodes to the built-in default; v1 still loads, its cosines as the default calibration", async () => {
    const loaded = await Effect.runPromise(loadScoringConfig())
    expect(loaded).toEqual(config)
    expect(DEFAULT_SCORING_CONFIG_PATH.endsWith("config/scoring.v2.json")).toBe(true)
    const v1Path = join(import.meta.dir, "../../config/scoring.v1.json")
    const v1 = await Effect.runPromise(loadScoringConfig(v1Path))
    const raw = JSON.parse(readFileSync(v1Path, "utf8")) as { thresholds: { relevanceFloor: number; consensusDistance: number } }
    expect(v1.version).toBe(1)
    expect(v1.calibration["default"]!.relevanceFloor).toBe(raw.thresholds.relevanceFloor)
    expect(v1.calibration["default"]!.consensusDistance).toBe(raw.thresholds.consensusDistance)
    expect(v1.lexical).toEqual(config.lexical)
    const s = scene(40)
    const res = score({ prompt: s.prompt, responses: [s.honest(1), s.honest(2), s.honest(3)] }, v1)
    expect(res.miners.reduce((x, m) => x + m.reward, 0)).toBeCloseTo(1, 12)
  })

  test("bad values, unknown keys, unknown axes and broken rules name the key", async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...base, calibration: { default: { ...config.calibration["default"]!, relevanceFloor: 3 } } }, "calibration.default.relevanceFloor", /between -1 and 1/],
      [{ ...base, thresholds: { ...config.thresholds, relevanceFlor: 0.2 } }, "thresholds.relevanceFlor", /excess/],
      [{ ...base, calibration: { "use-lite": config.calibration["default"]! } }, "calibration", /needs a "default"/],
      [{ ...base, lexical: { ...config.lexical, copyShare: 2 } }, "lexical.copyShare", /between 0 and 1/],
      [{ ...base, axes: { ...config.axes, charisma: 1 } }, "axes.charisma", /unknown axis/],
      [{ ...base, taskTypes: { ...config.taskTypes, x: { optimalMs: 1, axes: { speed: 0 } } } }, "taskTypes.x.axes", /all be 0/],
      [{ ...base, defaultTaskType: "nope" }, "defaultTaskType", /not one of taskTypes/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: 0.5 }, { upTo: 2, score: 0.9 }] } }, "speed.tiers.1.score", /faster is never worse/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: "x" }] } }, "speed.tiers.0.score", /number/],
      [{ ...base, version: 3 }, "version", /2/],
      [{ ...base, calibration: { default: { ...config.calibration["default"]!, accuracyFull: 0.1 } } }, "calibration.default.accuracyFull", /above accuracyFloor/]
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
    writeFileSync(broken, '{"version": 2,')
    const bad = await Effect.runPromise(Effect.flip(loadScoringConfig(broken)))
    expect(bad.key).toBe("(json)")
    expect(bad.path).toBe(broken)
  })
})
