import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import {
  convertWeightsAndUidsForEmit,
  normalizeMaxWeight,
  processWeights,
  processWeightsForNetuid,
  roundHalfEven,
  toU16,
  u16ToFloat,
  U16_MAX
} from "../../src/scoring/weights.ts"

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
const weightArb = fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 1000, noNaN: true }), fc.integer({ min: 0, max: 10 }))

describe("roundHalfEven (Python round on floats)", () => {
  test("halves go to the even neighbour, others to the nearest", () => {
    expect([0.5, 1.5, 2.5, 3.5, 65534.5, 0.49999999999999994, 2.5000000000000004, 7.2, 7.8].map(roundHalfEven))
      .toEqual([0, 2, 2, 4, 65534, 0, 3, 7, 8])
  })
})

describe("toU16 (convert_weights_and_uids_for_emit)", () => {
  test("SDK edge cases", () => {
    expect(toU16({ uids: [0, 1, 2], weights: [0, 0, 0] })).toEqual({ uids: [], values: [] })
    expect(toU16({ uids: [5], weights: [0.3] })).toEqual({ uids: [5], values: [65535] })
    expect(toU16({ uids: [], weights: [] })).toEqual({ uids: [], values: [] })
    // 1/65535 * 65535 rounds to 1; a weight of x/max · 65535 = k + 0.5 rounds to even k.
    expect(toU16({ uids: [0, 1], weights: [1, 0.5] })).toEqual({ uids: [0, 1], values: [65535, 32768] }) // 32767.5 → 32768 (even)
    expect(toU16({ uids: [0, 1], weights: [2, 1] })).toEqual({ uids: [0, 1], values: [65535, 32768] })
    expect(toU16({ uids: [0, 1], weights: [65535, 0.5] })).toEqual({ uids: [0], values: [65535] }) // 0.5 → 0, dropped
    expect(toU16({ uids: [0, 1], weights: [65535, 1.5] })).toEqual({ uids: [0, 1], values: [65535, 2] }) // 1.5 → 2
    expect(toU16({ uids: [0, 1], weights: [65535, 2.5] })).toEqual({ uids: [0, 1], values: [65535, 2] }) // 2.5 → 2
    expect(toU16({ uids: [0, 1, 2], weights: [1, 1, 1] })).toEqual({ uids: [0, 1, 2], values: [65535, 65535, 65535] })
    expect(() => toU16({ uids: [0], weights: [-1] })).toThrow()
    expect(() => toU16({ uids: [-1], weights: [1] })).toThrow()
    expect(() => toU16({ uids: [0, 1], weights: [1] })).toThrow()
    expect(() => toU16({ uids: [0], weights: [NaN] })).toThrow()
  })

  test("properties: max is 65535, zeros dropped, order kept, values in 1..65535, scale invariant", () => {
    assertProperty(
      fc.property(fc.array(weightArb, { maxLength: 64 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (ws, scale) => {
        const uids = ws.map((_, i) => i * 3 + 1)
        const r = toU16({ uids, weights: ws })
        if (ws.some((w) => w > 0)) expect(Math.max(...r.values)).toBe(U16_MAX)
        else expect(r.values).toEqual([])
        for (const v of r.values) {
          expect(Number.isInteger(v)).toBe(true)
          expect(v).toBeGreaterThanOrEqual(1)
          expect(v).toBeLessThanOrEqual(U16_MAX)
        }
        // order preserved: output uids are a subsequence of input uids, and every zero weight is absent
        for (let k = 1; k < r.uids.length; k++) expect(r.uids[k]!).toBeGreaterThan(r.uids[k - 1]!)
        ws.forEach((w, i) => { if (w === 0) expect(r.uids).not.toContain(uids[i]!) })
        // monotone: a larger weight never gets a smaller value
        const byUid = new Map(r.uids.map((u, k) => [u, r.values[k]!]))
        ws.forEach((a, i) => ws.forEach((b, j) => {
          if (a > b) expect(byUid.get(uids[i]!) ?? 0).toBeGreaterThanOrEqual(byUid.get(uids[j]!) ?? 0)
        }))
        // scale invariance up to one rounding step (exact for power-of-two scales)
        const s2 = toU16({ uids, weights: ws.map((w) => w * 4) })
        expect(s2).toEqual(r)
        const sx = toU16({ uids, weights: ws.map((w) => w * scale) })
        const m2 = new Map(sx.uids.map((u, k) => [u, sx.values[k]!]))
        for (const [u, v] of byUid) expect(Math.abs((m2.get(u) ?? 0) - v)).toBeLessThanOrEqual(1)
      }),
      { numRuns: 300 }
    )
  })

  test("u16ToFloat inverts toU16 up to quantization", () => {
    assertProperty(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 1, maxLength: 32 }), (ws) => {
        const uids = ws.map((_, i) => i)
        const r = toU16({ uids, weights: ws })
        const back = u16ToFloat(ws.length, r.uids, r.values)
        const t = sum(ws)
        expect(sum(Array.from(back))).toBeCloseTo(1, 9)
        ws.forEach((w, i) => expect(Math.abs(back[i]! - w / t)).toBeLessThan(2e-4))
      })
    )
    expect(Array.from(u16ToFloat(3, [], []))).toEqual([0, 0, 0])
  })
})

describe("normalizeMaxWeight", () => {
  test("edge cases", () => {
    expect(normalizeMaxWeight([0, 0, 0, 0], 0.5)).toEqual([0.25, 0.25, 0.25, 0.25])
    expect(normalizeMaxWeight([1, 2, 3], 0.2)).toEqual([1 / 3, 1 / 3, 1 / 3]) // 3 · 0.2 ≤ 1 → uniform
    const y = normalizeMaxWeight([1, 2, 3, 4], 0.9) // under the limit: plain normalization
    y.forEach((v, i) => expect(v).toBeCloseTo((i + 1) / 10, 12))
  })

  // fc.double spans tiny, subnormal and zero values: the inputs that made the SDK's formula break its cap.
  test("properties: sums to 1, never above the limit, keeps order (float64 and float32)", () => {
    assertProperty(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.constantFrom("float64" as const, "float32" as const),
        (xs, limit, precision) => {
          const y = normalizeMaxWeight(xs, limit, precision)
          expect(y.length).toBe(xs.length)
          expect(sum(y)).toBeCloseTo(1, precision === "float64" ? 9 : 5)
          if (xs.length * limit > 1 && sum(xs.map(Math.fround)) > 0) for (const v of y) expect(v).toBeLessThanOrEqual(limit)
          const x = precision === "float64" ? xs : xs.map(Math.fround)
          x.forEach((a, i) => x.forEach((b, j) => { if (a > b) expect(y[i]!).toBeGreaterThanOrEqual(y[j]!) }))
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("processWeights (process_weights_for_netuid)", () => {
  test("all zeros or too few neurons → uniform over 0..n−1", () => {
    const r = processWeights({ uids: [0, 1, 2, 3], weights: [0, 0, 0, 0], n: 4, minAllowedWeights: 1, maxWeightLimit: 1 })
    expect(r).toEqual({ uids: [0, 1, 2, 3], weights: [0.25, 0.25, 0.25, 0.25] })
    const r2 = processWeights({ uids: [0, 1], weights: [1, 2], n: 2, minAllowedWeights: 8, maxWeightLimit: 1 })
    expect(r2).toEqual({ uids: [0, 1], weights: [0.5, 0.5] })
  })

  test("fewer non-zero weights than min_allowed: 1e-5 floor everywhere plus the weights", () => {
    const r = processWeights({ uids: [0, 1, 2, 3], weights: [0, 1, 0, 0], n: 4, minAllowedWeights: 2, maxWeightLimit: 1 })
    expect(r.uids).toEqual([0, 1, 2, 3])
    const t = 1 + 4e-5
    r.weights.forEach((w, i) => expect(w).toBeCloseTo(i === 1 ? (1 + 1e-5) / t : 1e-5 / t, 12))
  })

  test("drops zeros and non-finite weights, single weight gets everything", () => {
    const r = processWeights({ uids: [3, 7, 9, 11], weights: [0, 0.4, NaN, Infinity], n: 12, minAllowedWeights: 1, maxWeightLimit: 1 })
    expect(r).toEqual({ uids: [7], weights: [1] })
    expect(processWeightsForNetuid([3, 7], [0, 2], { n: 12, minAllowedWeights: 0, maxWeightLimit: 1 })).toEqual({ uids: [7], weights: [1] })
    expect(convertWeightsAndUidsForEmit([7], [1])).toEqual({ uids: [7], values: [65535] })
  })

  test("properties: sums to 1, uids a subsequence of the non-zero input uids, limit respected", () => {
    assertProperty(
      fc.property(
        fc.array(weightArb, { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 8 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 65535 }),
        (ws, minAllowed, limit, q) => {
          const n = ws.length
          const uids = ws.map((_, i) => i)
          const r = processWeights({ uids, weights: ws, n, minAllowedWeights: minAllowed, maxWeightLimit: limit, excludeQuantile: q })
          expect(r.uids.length).toBe(r.weights.length)
          expect(Math.abs(sum(r.weights) - 1)).toBeLessThan(1e-5) // float32 on the normal path, as the SDK
          const nz = ws.filter((w) => w > 0).length
          if (nz >= minAllowed && nz > 0 && n >= minAllowed) {
            for (const u of r.uids) expect(ws[u]!).toBeGreaterThan(0)
            expect(r.uids.length).toBeGreaterThanOrEqual(Math.min(nz, Math.max(minAllowed, 1)))
            if (r.uids.length * limit > 1) for (const w of r.weights) expect(w).toBeLessThanOrEqual(limit)
          }
          for (let k = 1; k < r.uids.length; k++) expect(r.uids[k]!).toBeGreaterThan(r.uids[k - 1]!)
        }
      ),
      { numRuns: 300 }
    )
  })
})
