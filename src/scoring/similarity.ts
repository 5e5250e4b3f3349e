// Pairwise cosine similarity over L2-normalized rows. Pure, no I/O.
// Blocked kernel: tiles of BLOCK rows × BLOCK rows so both tiles stay in L1/L2 while the inner dot
// product runs over contiguous memory; only the upper triangle is computed and mirrored.
import type { Vec } from "./types.ts"

const BLOCK = 32

/** n × n cosine matrix of `data` (n rows of `dim`, row-major, rows already L2-normalized). */
export const cosineMatrix = (data: Float32Array, n: number, dim: number): Vec => {
  if (data.length < n * dim) throw new RangeError(`cosineMatrix: data has ${data.length} floats, need ${n * dim}`)
  const out = new Float32Array(new ArrayBuffer(n * n * 4))
  for (let bi = 0; bi < n; bi += BLOCK) {
    const iEnd = Math.min(bi + BLOCK, n)
    for (let bj = bi; bj < n; bj += BLOCK) {
      const jEnd = Math.min(bj + BLOCK, n)
      for (let i = bi; i < iEnd; i++) {
        const oi = i * dim
        for (let j = bj === bi ? i : bj; j < jEnd; j++) {
          const oj = j * dim
          let s0 = 0
          let s1 = 0
          let s2 = 0
          let s3 = 0
          let k = 0
          for (; k + 3 < dim; k += 4) {
            s0 += data[oi + k]! * data[oj + k]!
            s1 += data[oi + k + 1]! * data[oj + k + 1]!
            s2 += data[oi + k + 2]! * data[oj + k + 2]!
            s3 += data[oi + k + 3]! * data[oj + k + 3]!
          }
          for (; k < dim; k++) s0 += data[oi + k]! * data[oj + k]!
          const s = s0 + s1 + s2 + s3
          out[i * n + j] = s
          out[j * n + i] = s
        }
      }
    }
  }
  return out
}

/** Cosine of one normalized vector against each of n normalized rows. */
export const cosineToRows = (v: Float32Array, data: Float32Array, n: number, dim: number): Float32Array => {
  const out = new Float32Array(n)
  for (let r = 0; r < n; r++) {
    let s = 0
    const o = r * dim
    for (let k = 0; k < dim; k++) s += v[k]! * data[o + k]!
    out[r] = s
  }
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
