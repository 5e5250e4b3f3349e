// Word alignment of short answers (src/scoring/align.ts): the LCS, and when a later near-identical answer is a copy.
import { describe, expect, test } from "bun:test"
import { alignment, detectCopiedParts, detectEditedCopies, lcsLength, type AlignCandidate } from "../../src/scoring/align.ts"
import { contentUnits, words } from "../../src/scoring/lexical.ts"

const cfg = { alignShare: 0.75, alignMinWords: 6, alignMaxWords: 150, commonEntities: 2, addedShare: 0.3 }
const cand = (index: number, text: string, latencyMs: number, entity = index): AlignCandidate => ({
  index,
  uid: index,
  entity,
  latencyMs,
  tokens: words(text),
  units: new Set(contentUnits(text).keys()),
  own: true,
  stray: false
})

describe("word alignment", () => {
  test("lcsLength and alignment", () => {
    expect(lcsLength("a b c d".split(" "), "a x c d".split(" "))).toBe(3)
    expect(lcsLength([], ["a"])).toBe(0)
    expect(alignment("a b c d".split(" "), "a b c d".split(" "))).toBe(1)
    expect(alignment("a b c d".split(" "), "a c".split(" "))).toBeCloseTo(4 / 6, 12)
  })

  const original = "The quick brown fox jumps over the lazy dog near the quiet river bank"
  const edited = "The quick brown fox leaps over lazy dog near the quiet river bank"
  // other short answers in the round: alignment needs enough voices to say what is common
  const others = [cand(7, "Seven sleepy cats dream about warm milk under a purple moon tonight", 900), cand(8, "Rain falls softly on old copper roofs while children laugh inside warm kitchens", 1100)]

  test("a later answer with a few words edited copies the faster one; the faster one is no copy", () => {
    const found = detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200), ...others], cfg)
    expect([...found.keys()]).toEqual([1])
    expect(found.get(1)!.of).toBe(0)
  })

  test("the same short answer from three entities is common ground, not a copy", () => {
    const found = detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200), cand(2, original, 1500), ...others], cfg)
    expect(found.size).toBe(0)
  })

  test("one entity's own answers never copy each other; long answers are left to the 3-gram test", () => {
    expect(detectEditedCopies([cand(0, original, 1000, 5), cand(1, edited, 1200, 5), ...others, cand(9, "Green hills roll gently toward a distant sea of golden wheat fields", 950)], cfg).size).toBe(0)
    expect(detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200), ...others], { ...cfg, alignMaxWords: 10 }).size).toBe(0)
  })

  test("with fewer than 4 entities' short answers, alignment says nothing (two models writing the same line)", () => {
    expect(detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200)], cfg).size).toBe(0)
  })
})

describe("copied parts (a run of a faster answer)", () => {
  const parts = { minWords: 6, commonEntities: 2 }
  const whole =
    "We present a speech recognition system built with end-to-end deep learning. It replaces hand-engineered pipelines with a recurrent network trained on many GPUs."
  const first = "We present a speech recognition system built with end-to-end deep learning."
  const part = (index: number, text: string, latencyMs: number, entity = index) => ({ index, uid: index, entity, latencyMs, tokens: words(text), run: ` ${words(text).join(" ")} ` })
  const unrelated = part(5, "A different answer about something else entirely, written in other words by another model.", 700)

  test("a truncation sent after its source copies it; the source is no copy", () => {
    const found = detectCopiedParts([part(0, whole, 1000), part(1, first, 1200), unrelated], parts)
    expect([...found.keys()]).toEqual([1])
    expect(found.get(1)!.of).toBe(0)
    // at the same latency the part still copies the whole (the fuller answer is the original)
    expect([...detectCopiedParts([part(0, whole, 1000), part(1, first, 1000)], parts).keys()]).toEqual([1])
  })

  test("a part sent before the longer answer is no copy of it", () => {
    expect(detectCopiedParts([part(0, whole, 1000), part(1, first, 800)], parts).size).toBe(0)
  })

  test("a sentence that longer answers begin with is no common ground: its truncation still copies", () => {
    const longer = (k: number) => `${first} ${"It goes on with a long explanation of the network, its training data and its results.".repeat(k)}`
    const round = [part(0, whole, 1000), part(1, first, 1200), part(2, longer(2), 900), part(3, longer(3), 1500)]
    expect([...detectCopiedParts(round, parts).keys()]).toEqual([1])
    // … but two other entities answering with (nearly) that sentence alone make it common ground
    expect(detectCopiedParts([...round, part(4, first, 1300), part(6, `${first} Yes.`, 1400)], parts).has(1)).toBe(false)
  })

  test("common ground: a part two other entities also hold as (nearly) their whole answer is not a copy", () => {
    expect(detectCopiedParts([part(0, whole, 1000), part(1, first, 1200), part(2, `${first} And then some more words of its own.`, 1500)], parts).size).toBe(0)
    expect(detectCopiedParts([part(0, whole, 1000), part(1, first, 1200), part(2, first, 600)], parts).size).toBe(0)
  })

  test("short runs coincide honestly; one entity's answers never copy each other", () => {
    expect(detectCopiedParts([part(0, "Yes. The sender is interested in chatbots.", 1000), part(1, "Yes.", 1200)], parts).size).toBe(0)
    expect(detectCopiedParts([part(0, whole, 1000, 3), part(1, first, 1200, 3)], parts).size).toBe(0)
  })

  test("order-independent", () => {
    const xs = [part(0, whole, 1000), part(1, first, 1200), unrelated]
    expect([...detectCopiedParts([...xs].reverse(), parts)]).toEqual([...detectCopiedParts(xs, parts)])
  })
})
