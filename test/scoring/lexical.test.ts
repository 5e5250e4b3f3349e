// Content units (lexical.ts): what the pyramid counts as content.
import { describe, expect, test } from "bun:test"
import { contentUnits } from "../../src/scoring/lexical.ts"

const keys = (text: string) => [...contentUnits(text).keys()]

describe("content units", () => {
  test("a numbered list's item numbers are layout, not content; numbers inside the text are content", () => {
    const list = "Options:\n1. Pacific ocean\n2) Atlantic\n  3. Indian ocean"
    expect(keys(list)).not.toContain("1")
    expect(keys(list)).not.toContain("2")
    expect(keys(list)).not.toContain("3")
    expect(keys(list)).toContain("pacif ocean")
    // two lists on different topics share no unit through their numbering
    const other = new Set(keys("1. Bread\n2. Butter\n3. Jam"))
    expect(keys(list).filter((u) => other.has(u))).toEqual([])
    expect(keys("It covers 63 million square miles, about 46 percent.")).toEqual(expect.arrayContaining(["63", "46"]))
    expect(keys("Add 2 eggs.\n3 cups of flour")).toEqual(expect.arrayContaining(["2", "3"]))
  })

  test("every prefix cut between words (or before a list number's dot) has a subset of the units, at the same positions", () => {
    const text = "Steps:\n1. Heat the pan\n2. Add 2 eggs\n10) Serve\n12"
    const full = contentUnits(text)
    for (let k = 0; k <= text.length; k++) {
      if (k < text.length && /[\p{L}\p{N}]/u.test(text[k]!)) continue // a cut inside a word makes a new word
      for (const [u, pos] of contentUnits(text.slice(0, k))) expect(full.get(u)).toBe(pos)
    }
  })
})
