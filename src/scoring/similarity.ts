// Pairwise cosine similarity over L2-normalized rows. Pure, no I/O.
// cosineMatrix uses a 2 × 4 register-tile micro-kernel: each pass over k loads 2 + 4 row values and
// updates 8 independent accumulators, so every load feeds several multiply-adds and the JIT keeps the
// accumulators in registers (measured faster than 4 × 4, which spills, and than 2 × 2 on x86-64 JSC;
// see scripts/bench/similarity.ts). Only tiles on or above the diagonal are computed; the lower triangle
// is filled by a blocked transpose. Rows/columns that do not fill a tile go through a scalar dot product.
import type { Vec } from "./types.ts"

/** Dot product of the `dim` floats of `a` at `ao` and of `b` at `bo` (rows of row-major matrices). */
export const dotRows = (a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number => {
  let s = 0
  for (let k = 0; k < dim; k++) s += a[ao + k]! * b[bo + k]!
  return s
}

/** n × n cosine matrix of `data` (n rows of `dim`, row-major, rows already L2-normalized). */
export const cosineMatrix = (data: Float32Array, n: number, dim: number): Vec => {
  if (data.length < n * dim) throw new RangeError(`cosineMatrix: data has ${data.length} floats, need ${n * dim}`)
  const out = new Float32Array(new ArrayBuffer(n * n * 4))
  const n2 = n - (n % 2) // rows handled in pairs
  const n4 = n - (n % 4) // columns handled in fours
  for (let i = 0; i < n2; i += 2) {
    const a0 = i * dim
    const a1 = a0 + dim
    for (let j = i - (i % 4); j < n4; j += 4) {
      const b0 = j * dim
      const b1 = b0 + dim
      const b2 = b1 + dim
      const b3 = b2 + dim
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0
      for (let k = 0; k < dim; k++) {
        const x0 = data[a0 + k]!
        const x1 = data[a1 + k]!
        const y0 = data[b0 + k]!
        const y1 = data[b1 + k]!
        const y2 = data[b2 + k]!
        const y3 = data[b3 + k]!
        s00 += x0 * y0
        s01 += x0 * y1
        s02 += x0 * y2
        s03 += x0 * y3
        s10 += x1 * y0
        s11 += x1 * y1
        s12 += x1 * y2
        s13 += x1 * y3
      }
      const r0 = i * n + j
      const r1 = r0 + n
      out[r0] = s00
      out[r0 + 1] = s01
      out[r0 + 2] = s02
      out[r0 + 3] = s03
      out[r1] = s10
      out[r1 + 1] = s11
      out[r1 + 2] = s12
      out[r1 + 3] = s13
    }
  }
  // Upper-triangle cells no tile covered: columns ≥ n4 for every row, and the last row when n is odd.
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(i, i < n2 ? n4 : i); j < n; j++) out[i * n + j] = dotRows(data, i * dim, data, j * dim, dim)
  }
  // Mirror the upper triangle into the lower one, in blocks so reads and writes both stay in cache.
  const B = 32
  for (let bi = 0; bi < n; bi += B) {
    const iEnd = Math.min(bi + B, n)
    for (let bj = bi; bj < n; bj += B) {
      const jEnd = Math.min(bj + B, n)
      for (let i = bi; i < iEnd; i++) {
        for (let j = Math.max(bj, i + 1); j < jEnd; j++) out[j * n + i] = out[i * n + j]!
      }
    }
  }
  return out
}

/** Naive reference: the full n × n triple loop (used by tests and the benchmark baseline). */
export const cosineMatrixNaive = (data: Float32Array, n: number, dim: number): Vec => {
  const out = new Float32Array(new ArrayBuffer(n * n * 4))
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = dotRows(data, i * dim, data, j * dim, dim)
  return out
}

/** Cosine of one normalized vector against each of n normalized rows. */
export const cosineToRows = (v: Float32Array, data: Float32Array, n: number, dim: number): Float32Array => {
  const out = new Float32Array(n)
  for (let r = 0; r < n; r++) out[r] = dotRows(v, 0, data, r * dim, dim)
  return out
}

/** L2-normalizes each row in place; an all-zero row stays zero. */
export const normalizeRows = (data: Float32Array, n: number, dim: number): void => {
  for (let r = 0; r < n; r++) {
    const o = r * dim
    let s = 0
    for (let k = 0; k < dim; k++) s += data[o + k]! * data[o + k]!
    if (s === 0) continue
    const inv = 1 / Math.sqrt(s)
    for (let k = 0; k < dim; k++) data[o + k]! *= inv
  }
}
