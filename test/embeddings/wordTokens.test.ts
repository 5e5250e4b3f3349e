// Word-by-word tokenization (workers/wordTokens.ts) against the library's whole-text encoding, and the even
// window sampling of long texts (workers/encoder.ts pickWindows).
import { describe, expect, test } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Tokenizer } from "@huggingface/tokenizers"
import fc from "fast-check"
import { makeTokenIds, wordSplitOf } from "../../workers/wordTokens.ts"
import { pickWindows } from "../../workers/encoder.ts"
import { assertProperty } from "../support/property.ts"
import { MINILM_SHAPE_DIR, USE_LITE_DIR, USE_LITE_REFERENCE, hasMiniLmShape, hasUseLite } from "../support/shared.ts"

describe("pickWindows", () => {
  test("all windows up to the cap; beyond it the first, the last and evenly spaced ones between", () => {
    expect(pickWindows(3, 0)).toEqual([0, 1, 2])
    expect(pickWindows(2, 2)).toEqual([0, 1])
    expect(pickWindows(9, 1)).toEqual([0])
    expect(pickWindows(9, 2)).toEqual([0, 8])
    expect(pickWindows(9, 3)).toEqual([0, 4, 8])
  })

  test("property: min(count, max) distinct ascending indices within range, first and last kept", async () => {
    await assertProperty(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 12 }), (count, max) => {
        const p = pickWindows(count, max)
        expect(p.length).toBe(max === 0 ? count : Math.min(count, max))
        for (let k = 1; k < p.length; k++) expect(p[k]!).toBeGreaterThan(p[k - 1]!)
        expect(p[0]).toBe(0)
        if (p.length > 1) expect(p[p.length - 1]).toBe(count - 1)
      }),
      { numRuns: 300 }
    )
  })
})

describe.skipIf(!hasUseLite)("word-by-word token ids (use-lite's Unigram tokenizer)", () => {
  const json: unknown = hasUseLite ? JSON.parse(readFileSync(join(USE_LITE_DIR, "tokenizer.json"), "utf8")) : {}
  const tok = hasUseLite ? new Tokenizer(json as object, JSON.parse(readFileSync(join(USE_LITE_DIR, "tokenizer_config.json"), "utf8")) as object) : null!
  const vocab = ((json as { model?: { vocab?: Array<[string, number]> } }).model?.vocab ?? []) as Array<[string, number]>
  const whole = (t: string) => tok.encode(t, { add_special_tokens: false }).ids
  const ids = makeTokenIds(tok, json)
  const score = (xs: ReadonlyArray<number>) => xs.reduce((s, id) => s + (id === 0 ? -1e3 : vocab[id]![1]), 0)
  const pieces = (xs: ReadonlyArray<number>) => xs.map((id) => tok.id_to_token(id)).join("")

  test("use-lite's tokenizer qualifies; the reference texts and the edge cases give the library's ids", () => {
    expect(wordSplitOf(json)?.meta).toBe("▁")
    const ref = JSON.parse(readFileSync(USE_LITE_REFERENCE, "utf8")) as { items: Array<{ text: string; input_ids: Array<number> }> }
    for (const item of ref.items) expect(ids(item.text)).toEqual(item.input_ids)
    const edge = ["", " ", "  two  spaces  ", ":) at the start", "a :) inside", "a  :b", "x\u00a0y :z", "\uff1a full-width", "a \uff1ab", "tab\there\nnewline", "é e\u0301 ﬁ"]
    for (const t of edge) expect(ids(t)).toEqual(whole(t))
  })

  test("property: the same pieces as the library, with the same total score (an equally scored tie may differ)", async () => {
    const alphabet = fc.constantFrom("a", "b", "th", "e", "ing", " ", " ", ":", ")", "-", "é", "\u0301", "\u00a0", "\uff1a", "\n", "1", ".")
    await assertProperty(
      fc.property(fc.array(alphabet, { maxLength: 40 }).map((xs) => xs.join("")), (text) => {
        const fast = ids(text)
        const slow = whole(text)
        if (fast.join() === slow.join()) return
        expect(pieces(fast)).toBe(pieces(slow))
        expect(score(fast)).toBeCloseTo(score(slow), 6)
      }),
      { numRuns: 300 }
    )
  })

  test("a remembered word gives the same ids the next time", () => {
    const text = "The guitar: tune it, then play the guitar again."
    expect(ids(text)).toEqual(ids(text))
    expect(ids(text)).toEqual(whole(text))
  })
})

describe.skipIf(!hasMiniLmShape)("other tokenizers are encoded whole", () => {
  test("WordPiece (minilm-l6-shape) does not qualify", () => {
    const file = join(MINILM_SHAPE_DIR, "tokenizer.json")
    if (!existsSync(file)) return
    expect(wordSplitOf(JSON.parse(readFileSync(file, "utf8")))).toBeNull()
  })
})
