import { describe, expect, test } from "bun:test"
import { axisCoverage, contentSupport, type SupportConfig, type SupportInput } from "../../src/scoring/support.ts"

const base: SupportConfig = { pyramidShare: 0.3, pyramidMinEntities: 1, promptUnitWeight: 0.2, lengthBudget: 3, lengthDecay: 1, referenceWeight: 3 }

const unitsOf = (words: ReadonlyArray<string>): Map<string, number> => new Map(words.map((w, i) => [w, i]))
const range = (prefix: string, n: number): Array<string> => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** `mainstream` entities answer with units a0…a9, `fringe` ones with b0…b9: both sets are common in the first pass. */
const round = (mainstream: number, fringe: number): SupportInput => {
  const units = [...Array.from({ length: mainstream }, () => unitsOf(range("a", 10))), ...Array.from({ length: fringe }, () => unitsOf(range("b", 10)))]
  return { units, entity: Int32Array.from(units, (_, i) => i), promptUnits: new Set(), referenceUnits: null }
}

/** The first pass and the axis over the same answers, as scoreRound computes them when nothing is filtered. */
const passes = (input: SupportInput, config: SupportConfig) => {
  const first = contentSupport(input, config)
  return { ...first, weightedCoverage: axisCoverage(input, first.coverage, config) }
}

describe("axisCoverage: reliability-weighted coverage", () => {
  test("without a reliability power the weighted coverage is the first pass", () => {
    const res = passes(round(6, 4), base)
    expect([...res.weightedCoverage]).toEqual([...res.coverage])
    const zero = passes(round(6, 4), { ...base, reliabilityPower: 0 })
    expect([...zero.weightedCoverage]).toEqual([...zero.coverage])
  })

  test("agreeing with the entities that cover the round well counts more than agreeing with the rest", () => {
    const res = passes(round(6, 4), { ...base, reliabilityPower: 3 })
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
    const res = passes(round(4, 3), { ...base, reliabilityPower: 3 })
    expect(res.coverage[0]).not.toBeCloseTo(res.coverage[4]!, 3)
    expect([...res.weightedCoverage]).toEqual([...res.coverage])
  })

  test("filtered answers take no part and keep zero coverage in both passes", () => {
    const input = round(6, 4)
    const entity = Int32Array.from(input.entity)
    entity[9] = -1
    const res = passes({ ...input, entity }, { ...base, reliabilityPower: 3 })
    expect(res.coverage[9]).toBe(0)
    expect(res.weightedCoverage[9]).toBe(0)
    expect(res.weightedCoverage[0]!).toBeGreaterThan(0)
  })
})

describe("axisCoverage: only eligible answers say what is common", () => {
  // honest 0 holds a0…a9, honest 1 a0…a4, honest 2 a5…a9; answers 3–6 are junk, each with units of its own
  const units = [unitsOf(range("a", 10)), unitsOf(range("a", 5)), unitsOf(range("a", 10).slice(5)), ...[3, 4, 5, 6].map((k) => unitsOf(range(`j${k}_`, 10)))]
  const all: SupportInput = { units, entity: Int32Array.from(units, (_, i) => i), promptUnits: new Set(), referenceUnits: null }
  const eligibleOnly: SupportInput = { ...all, entity: Int32Array.from(units, (_, i) => (i < 3 ? i : -1)) }

  test("counted among the others, filtered junk raises the share a unit needs until nothing is common", () => {
    // six others: a unit needs 0.3 × 6 → 2 holders, and each a-unit has only one besides answer 0
    expect(axisCoverage(all, contentSupport(all, base).coverage, base)[0]).toBe(0)
  })

  test("without the filtered answers the honest ones cover what they share, by how many hold it", () => {
    const cov = axisCoverage(eligibleOnly, contentSupport(all, base).coverage, base)
    expect(cov[0]).toBeCloseTo(1, 12)
    // answer 1's pyramid: a0…a4 held by one other (weight 1), a5…a9 by two (weight 2); it covers a0…a4 (and 2 likewise)
    expect(cov[1]).toBeCloseTo(5 / 15, 12)
    expect(cov[2]).toBeCloseTo(5 / 15, 12)
    expect([...cov.slice(3)]).toEqual([0, 0, 0, 0])
  })
})
