// Word alignment of short answers (src/scoring/align.ts): the LCS, and when a later near-identical answer is a copy.
import { describe, expect, test } from "bun:test"
import { alignment, detectEditedCopies, lcsLength, type AlignCandidate } from "../../src/scoring/align.ts"
import { contentUnits, words } from "../../src/scoring/lexical.ts"

const cfg = { alignShare: 0.75, alignMinWords: 6, alignMaxWords: 150, commonEntities: 2, addedShare: 0.3 }
const cand = (index: number, text: string, latencyMs: number, entity = index): AlignCandidate => ({
  index,
  uid: index,
  entity,
  latencyMs,
  tokens: words(text),
  units: new Set(contentUnits(text).keys()),
  own: true
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
