import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { cosineMatrix, cosineMatrixNaive, cosineToRows, normalizeRows } from "../../src/scoring/similarity.ts"

const matrixArb = fc
  .tuple(fc.integer({ min: 0, max: 37 }), fc.integer({ min: 1, max: 70 }))
  .chain(([n, dim]) =>
    fc.record({
      n: fc.constant(n),
      dim: fc.constant(dim),
      data: fc.float32Array({ minLength: n * dim, maxLength: n * dim, min: -10, max: 10, noNaN: true, noDefaultInfinity: true })
    })
  )

/** Independent triple loop (float64 accumulation). */
const reference = (data: Float32Array, n: number, dim: number) => {
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < dim; k++) s += data[i * dim + k]! * data[j * dim + k]!
      out[i * n + j] = s
    }
  return out
}

describe("cosineMatrix", () => {
  test("property: equals the naive triple loop, symmetric, diagonal 1 for non-zero rows", () => {
    assertProperty(
      fc.property(matrixArb, ({ n, dim, data }) => {
        const x = new Float32Array(data)
        normalizeRows(x, n, dim)
        const got = cosineMatrix(x, n, dim)
        const ref = reference(x, n, dim)
        expect(got.length).toBe(n * n)
        for (let k = 0; k < n * n; k++) expect(Math.abs(got[k]! - ref[k]!)).toBeLessThanOrEqual(1e-5)
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) expect(got[i * n + j]).toBe(got[j * n + i]!)
          let zero = true
          for (let k = 0; k < dim; k++) if (x[i * dim + k] !== 0) zero = false
          expect(got[i * n + i]!).toBeCloseTo(zero ? 0 : 1, 5)
        }
        expect(Array.from(cosineMatrixNaive(x, n, dim))).toEqual(Array.from(got))
      }),
      { numRuns: 200 }
    )
  })

  test("every remainder shape: n = 0..13 with dims 1..9", () => {
    for (let n = 0; n <= 13; n++)
      for (let dim = 1; dim <= 9; dim++) {
        const x = new Float32Array(n * dim).map((_, k) => Math.sin(k * 1.7 + n) + 0.1)
        const got = cosineMatrix(x, n, dim)
        const ref = reference(x, n, dim)
        for (let k = 0; k < n * n; k++) expect(Math.abs(got[k]! - ref[k]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref[k]!)))
      }
  })

  test("rejects short input; cosineToRows agrees with a matrix row", () => {
    expect(() => cosineMatrix(new Float32Array(5), 2, 3)).toThrow(RangeError)
    const n = 9
    const dim = 11
    const x = new Float32Array(n * dim).map((_, k) => Math.cos(k * 0.37))
    normalizeRows(x, n, dim)
    const m = cosineMatrix(x, n, dim)
    const row = cosineToRows(x.subarray(3 * dim, 4 * dim), x, n, dim)
    for (let j = 0; j < n; j++) expect(row[j]!).toBeCloseTo(m[3 * n + j]!, 6)
  })

  test("normalizeRows: unit norm, zero rows stay zero", () => {
    const x = new Float32Array([3, 4, 0, 0, 1, 1])
    normalizeRows(x, 3, 2)
    expect(Array.from(x).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, 0.8, 0, 0, 0.707107, 0.707107])
  })
})
