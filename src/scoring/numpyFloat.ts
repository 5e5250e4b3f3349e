// numpy's float arithmetic, reproduced so src/scoring/weights.ts gives the Python SDK's exact bits.
// A `Precision` is a rounding step applied after every operation: float32 rounds each result with
// Math.fround (exact: a float64 result of +,−,×,÷ on float32 inputs rounds to the correctly rounded
// float32), float64 is the identity. Pure, no I/O.

export type Precision = "float32" | "float64"
export type Round = (x: number) => number

const identity: Round = (x) => x
export const rounding = (p: Precision): Round => (p === "float32" ? Math.fround : identity)

/** numpy's block size for pairwise summation (PW_BLOCKSIZE in umath/loops_utils.h). */
const BLOCK = 128

/**
 * `ndarray.sum()` of a contiguous 1-D array: numpy's pairwise summation, not a left-to-right loop.
 * Under 8 elements sequential; up to 128 eight interleaved accumulators combined as a tree, then the
 * tail; above that the two halves (split at a multiple of 8) summed recursively.
 */
export const pairwiseSum = (a: ArrayLike<number>, r: Round, start = 0, n = a.length - start): number => {
  if (n < 8) {
    let res = 0
    for (let i = 0; i < n; i++) res = r(res + a[start + i]!)
    return res
  }
  if (n <= BLOCK) {
    const acc = Array.from({ length: 8 }, (_, j) => a[start + j]!)
    let i = 8
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) acc[j] = r(acc[j]! + a[start + i + j]!)
    const [a0, a1, a2, a3, a4, a5, a6, a7] = acc as [number, number, number, number, number, number, number, number]
    let res = r(r(r(a0 + a1) + r(a2 + a3)) + r(r(a4 + a5) + r(a6 + a7)))
    for (; i < n; i++) res = r(res + a[start + i]!)
    return res
  }
  let n2 = Math.floor(n / 2)
  n2 -= n2 % 8
  return r(pairwiseSum(a, r, start, n2) + pairwiseSum(a, r, start + n2, n - n2))
}

/** `np.cumsum`: a sequential running sum. */
export const cumulativeSum = (a: ReadonlyArray<number>, r: Round): Array<number> => {
  const out = new Array<number>(a.length)
  let acc = 0
  for (let i = 0; i < a.length; i++) out[i] = acc = i === 0 ? a[0]! : r(acc + a[i]!)
  return out
}

/**
 * `np.quantile(a, q)` with the default linear method and a Python-float q: the virtual index and its
 * fraction are float64, the interpolation runs in the array's precision (numpy's `_lerp`, which
 * interpolates from the upper neighbour when the fraction is ≥ 0.5).
 */
export const quantileLinear = (a: ReadonlyArray<number>, q: number, r: Round): number => {
  const s = [...a].sort((x, y) => x - y)
  const last = s.length - 1
  const index = last * q
  if (index >= last) return s[last]!
  const lo = Math.floor(index)
  const t = index - lo
  const below = s[lo]!
  const above = s[lo + 1]!
  const diff = r(above - below)
  return t >= 0.5 ? r(above - r(diff * r(1 - t))) : r(below + r(diff * r(t)))
}
