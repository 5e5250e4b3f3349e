import { describe, expect, test } from "bun:test"
import { contentSupport, type SupportConfig, type SupportInput } from "../../src/scoring/support.ts"

const base: SupportConfig = { pyramidShare: 0.3, pyramidMinEntities: 1, promptUnitWeight: 0.2, lengthBudget: 3, lengthDecay: 1, referenceWeight: 3 }

const unitsOf = (words: ReadonlyArray<string>): Map<string, number> => new Map(words.map((w, i) => [w, i]))
const range = (prefix: string, n: number): Array<string> => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** `mainstream` entities answer with units a0…a9, `fringe` ones with b0…b9: both sets are common in the first pass. */
const round = (mainstream: number, fringe: number): SupportInput => {
  const units = [...Array.from({ length: mainstream }, () => unitsOf(range("a", 10))), ...Array.from({ length: fringe }, () => unitsOf(range("b", 10)))]
  return { units, entity: Int32Array.from(units, (_, i) => i), promptUnits: new Set(), referenceUnits: null }
}

describe("contentSupport: reliability-weighted coverage", () => {
  test("without a reliability power the weighted coverage is the first pass", () => {
    const res = contentSupport(round(6, 4), base)
    expect([...res.weightedCoverage]).toEqual([...res.coverage])
    const zero = contentSupport(round(6, 4), { ...base, reliabilityPower: 0 })
    expect([...zero.weightedCoverage]).toEqual([...zero.coverage])
  })

  test("agreeing with the entities that cover the round well counts more than agreeing with the rest", () => {
    const res = contentSupport(round(6, 4), { ...base, reliabilityPower: 3 })
    // first pass: a mainstream answer covers 5·10 of (5+4)·10, a fringe one 3·10 of (6+3)·10
    expect(res.coverage[0]).toBeCloseTo(50 / 90, 9)
    expect(res.coverage[6]).toBeCloseTo(30 / 90, 9)
    // second pass: mainstream voices weigh more, so the mainstream answer covers more and the fringe one less
    expect(res.weightedCoverage[0]!).toBeGreaterThan(res.coverage[0]! + 0.1)
    expect(res.weightedCoverage[6]!).toBeLessThan(res.coverage[6]! - 0.1)
    // filters read the first pass, which the weighting leaves as it is
    expect([...res.coverage]).toEqual([...contentSupport(round(6, 4), base).coverage])
  })

  test("a round of fewer than eight entities keeps one pass: a handful of voices is no measure of credibility", () => {
    const res = contentSupport(round(4, 3), { ...base, reliabilityPower: 3 })
    expect(res.coverage[0]).not.toBeCloseTo(res.coverage[4]!, 3)
    expect([...res.weightedCoverage]).toEqual([...res.coverage])
  })

  test("filtered answers take no part and keep zero coverage in both passes", () => {
    const input = round(6, 4)
    const entity = Int32Array.from(input.entity)
    entity[9] = -1
    const res = contentSupport({ ...input, entity }, { ...base, reliabilityPower: 3 })
    expect(res.coverage[9]).toBe(0)
    expect(res.weightedCoverage[9]).toBe(0)
    expect(res.weightedCoverage[0]!).toBeGreaterThan(0)
  })
})
