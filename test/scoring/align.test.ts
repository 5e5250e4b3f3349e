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

  test("a later answer with a few words edited copies the faster one; the faster one is no copy", () => {
    const found = detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200)], cfg)
    expect([...found.keys()]).toEqual([1])
    expect(found.get(1)!.of).toBe(0)
  })

  test("the same short answer from three entities is common ground, not a copy", () => {
    const found = detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200), cand(2, original, 1500)], cfg)
    expect(found.size).toBe(0)
  })

  test("one entity's own answers never copy each other; long answers are left to the 3-gram test", () => {
    expect(detectEditedCopies([cand(0, original, 1000, 5), cand(1, edited, 1200, 5)], cfg).size).toBe(0)
    expect(detectEditedCopies([cand(0, original, 1000), cand(1, edited, 1200)], { ...cfg, alignMaxWords: 10 }).size).toBe(0)
  })
})
