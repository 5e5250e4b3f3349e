// Unit cases of scoreRound: every filter reason.
import { describe, expect, test } from "bun:test"
import { NoveltyMemory } from "../../src/scoring/novelty.ts"
import { explain } from "../../src/scoring/round.ts"
import { toolAgreement, validateToolCalls } from "../../src/scoring/tools.ts"
import type { MinerScore, ToolSpec } from "../../src/scoring/types.ts"
import { around, orthogonalTo, prose, randomUnit, rng, type SynthResponse } from "../fixtures/rounds/synthetic.ts"
import { DIM, config, score, miner, TOPIC, onTopic, offTopicText, scene, PROMPT_TEXT, CODE_PROMPT, C_SENTENCE, WEATHER } from "./roundScene.ts"

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

  test("a terse answer of a word only two others chose is still paid when they say it inside their answers (it covers nothing common)", () => {
    const s = scene(6)
    const far = (uid: number, text: string): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, s.r), s.prompt, s.dir), text, latencyMs: 900 })
    const chose = (uid: number, word: string) => ({ ...s.honest(uid, 2000 + 100 * uid), text: `One fitting word is ${word}, because ${onTopic(s.r)}` })
    const responses = [chose(1, "resilience"), chose(2, "resilience"), chose(3, "photosynthesis"), chose(4, "greenness"), chose(5, "growth"), chose(6, "vitality")]
    const res = score({ prompt: s.prompt, promptText: PROMPT_TEXT, responses: [...responses, far(11, "Resilience"), far(12, "Sturdiness")] })
    expect(miner(res, 11).axes.coverage ?? 0).toBeLessThan(0.05)
    expect(miner(res, 11).filtered).toBeNull()
    expect(miner(res, 11).reward).toBeGreaterThan(0)
    // a word no one else wrote is no one's answer in brief
    expect(miner(res, 12).reward).toBe(0)
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

  test("an answer made of the prompt's words is an edited copy when it aligns with a faster one and holds words no one else wrote", () => {
    const s = scene(21)
    const prompt =
      "Write the Excel function for each description: returns the number of days between two dates; returns the starting position of a text string within another text string; returns the middle number of a set of numbers."
    const at = (uid: number, text: string, latencyMs: number): SynthResponse => ({ ...s.honest(uid, latencyMs), text })
    const source = at(1, "Returns the number of days between two dates: DATEDIF. Returns the starting position of a text string within another text string: FIND. Returns the middle number of a set of numbers: MEDIAN.", 900)
    // two words replaced by words no one else wrote, one dropped, sent after the source
    const edited = at(2, "Returns the number of days between zebra dates: DATEDIF. Returns the starting position of a text string within quasar text string. Returns the middle number of a set of numbers: MEDIAN.", 1100)
    // another model's restatement aligns even closer, but every word of it is one the prompt or another answer holds
    const restated = at(3, "Returns the count of days between two dates: DATEDIF. Returns the starting position of a text string within another text string: FIND. Returns the middle number of a set of numbers: MEDIAN.", 1300)
    const own = [
      "Use DATEDIF to count the days separating two dates, FIND to locate where some text begins, and MEDIAN for the middle value.",
      "DATEDIF gives the gap in days; FIND tells you where a substring starts; MEDIAN picks the central value of a list.",
      "Excel offers DATEDIF for the days between two dates, FIND for where a text string starts, and MEDIAN for the middle number.",
      "I would pick DATEDIF for elapsed days, FIND for the location of text, and MEDIAN when you need the midpoint of numbers."
    ].map((text, k) => at(4 + k, text, 2000 + 100 * k))
    const res = score({ prompt: s.prompt, promptText: prompt, responses: [source, edited, restated, ...own] })
    expect(miner(res, 2).filtered).toBe("copy")
    expect(miner(res, 2).note ?? "").toContain("edited copy of faster uid 1")
    for (const uid of [1, 3, 4, 5, 6, 7]) expect([uid, miner(res, uid).filtered]).toEqual([uid, null])
  })
})
