// Chain weight normalization, bit-identical to the Python bittensor SDK 10.2.0
// (bittensor/utils/weight_utils.py: normalize_max_weight, process_weights[_for_netuid],
// convert_weights_and_uids_for_emit, convert_weight_uids_and_vals_to_tensor). Pure, no I/O.
//
// The SDK casts the weights to float32 (weight_utils.py:299) and, under numpy >= 2 promotion, the normal
// path stays float32 (sums pairwise, Python-float constants rounded to float32, the cutoff float64);
// the "fewer non-zero weights than min_allowed_weights" path is float64 (an int64 ones-array times 1e-5).
// numpyFloat.ts reproduces those operations step by step; test/scoring/weightsSdk.test.ts checks the
// bits against a numpy oracle (test/oracle/sdk_weights.py) on thousands of seeded random cases.
//
// Where this differs from the SDK, on purpose (each is an input on which the SDK's result is wrong):
// - normalize_max_weight's epsilon is absolute (1e-7 of the total): when small weights are that close to
//   zero relative to the largest, entries it counted as under the cutoff end up above it and the result
//   breaks its own cap (e.g. [8.06, 2e-11, 4.6e-11, 2e-6] with limit 0.461 → largest share 0.49993),
//   or, with zeros and too few positive weights to meet the cap, it pays the zeros in some cases and not
//   in others. There (and only there) the cap is met by an exact clip-and-renormalize (waterFill);
// - inputs whose largest weight is below 1 are first scaled up by an exact power of two: the SDK's result
//   is unchanged bit for bit, except that subnormal intermediates (which lose precision) never occur;
// - +Infinity counts as 0 (the SDK keeps it and emits NaN; NaN and weights ≤ 0 it drops, as here);
// - toU16 of an empty input returns empty lists (the SDK's min([]) raises).
import { cumulativeSum, pairwiseSum, type Precision, quantileLinear, type Round, rounding } from "./numpyFloat.ts"

export type { Precision } from "./numpyFloat.ts"

export const U16_MAX = 65535

export interface ProcessWeightsInput {
  /** uids[i] is the neuron weights[i] is for; SDK validators pass all n uids (metagraph.uids). */
  readonly uids: ReadonlyArray<number>
  readonly weights: ReadonlyArray<number>
  /** Number of neurons in the subnet (metagraph.n). */
  readonly n: number
  /** Subnet hyperparameter MinAllowedWeights. */
  readonly minAllowedWeights: number
  /** Subnet hyperparameter MaxWeightsLimit as a fraction (the chain's u16 / 65535). */
  readonly maxWeightLimit: number
  /** exclude_quantile as the SDK takes it: a u16 (0..65535), divided by 65535. Default 0. */
  readonly excludeQuantile?: number
}

export interface FloatWeights {
  readonly uids: Array<number>
  readonly weights: Array<number>
}

export interface U16Weights {
  readonly uids: Array<number>
  readonly values: Array<number>
}

const EPSILON = 1e-7
/** waterFill aims this far under the cap so rounding never lifts a share above it. */
const CAP_MARGIN = 1e-6

const clean = (w: number): number => (Number.isFinite(w) && w > 0 ? w : 0)
const uniform = (len: number, r: Round): Array<number> => new Array<number>(len).fill(r(1 / len))
const maxOf = (xs: ReadonlyArray<number>): number => xs.reduce((m, v) => (v > m ? v : m), 0)

/** Multiplies by 2^k (exact) so the largest value is about 1; nothing changes when it already is ≥ 1. */
const scaleUp = (xs: Array<number>): Array<number> => {
  const max = maxOf(xs)
  if (!(max > 0) || max >= 1) return xs
  let k = -Math.ceil(Math.log2(max))
  let out = xs
  while (k > 0) {
    const step = Math.min(k, 1000)
    const f = 2 ** step
    out = out.map((v) => v * f)
    k -= step
  }
  return out
}

/** The SDK's normalize_max_weight, operation for operation, in precision `r`. */
const sdkCapped = (xs: ReadonlyArray<number>, limit: number, r: Round): Array<number> => {
  const len = xs.length
  // Python floats meeting a numpy array or numpy scalar of the array's dtype are rounded to it (NEP 50).
  const lim = r(limit)
  const eps = r(EPSILON)
  if (pairwiseSum(xs, r) === 0 || len * limit <= 1) return uniform(len, r)
  const values = [...xs].sort((a, b) => a - b)
  const valuesSum = pairwiseSum(values, r)
  const estimation = values.map((v) => r(v / valuesSum))
  if (estimation[len - 1]! <= lim) {
    const s = pairwiseSum(xs, r)
    return xs.map((v) => r(v / s))
  }
  const cumsum = cumulativeSum(estimation, r)
  let nValues = 0
  for (let i = 0; i < len; i++) {
    const ifClippedAbove = r(r(r((len - i - 1) * estimation[i]!) + cumsum[i]!) + eps)
    if (r(estimation[i]! / ifClippedAbove) < lim) nValues++
  }
  // cumsum[n_values - 1] wraps to the last element when n_values = 0, as Python indexing does.
  const cs = cumsum[nValues > 0 ? nValues - 1 : len - 1]!
  // (len - n_values) is a numpy int64, so the denominator and everything after it are float64.
  const cutoffScale = r(r(lim * cs) - eps) / (1 - limit * (len - nValues))
  const cutoff = cutoffScale * valuesSum
  const stored = r(cutoff)
  const clipped = xs.map((v) => (v > cutoff ? stored : v))
  const s = pairwiseSum(clipped, r)
  return clipped.map((v) => r(v / s))
}

/**
 * Exact clip-and-renormalize: the k largest weights are cut to the level where each holds just under
 * `limit` of the total. Used only where the SDK's formula breaks the cap; with fewer than 1/limit
 * positive weights no clipping can meet it and the result is uniform, as the SDK's own rule for
 * len · limit ≤ 1.
 */
const waterFill = (xs: ReadonlyArray<number>, limit: number, r: Round): Array<number> => {
  const len = xs.length
  const positives = xs.filter((v) => v > 0).sort((a, b) => b - a)
  const m = positives.length
  const cap = limit * (1 - CAP_MARGIN)
  const suffix = new Array<number>(m + 1).fill(0)
  for (let k = m - 1; k >= 0; k--) suffix[k] = suffix[k + 1]! + positives[k]!
  for (let k = 0; k < m && k * cap < 1; k++) {
    const level = (cap * suffix[k]!) / (1 - k * cap)
    if (positives[k]! <= level) {
      const clipped = xs.map((v) => (v > level ? r(level) : v))
      const s = pairwiseSum(clipped, r)
      return clipped.map((v) => r(v / s))
    }
  }
  return uniform(len, r)
}

/**
 * normalize_max_weight: scale `x` to sum 1 with no entry above `limit` (values above a cutoff are clipped,
 * then everything is renormalized). All-zero input or `x.length · limit ≤ 1` gives the uniform vector.
 * `precision` is the numpy dtype the SDK would hold `x` in (process_weights: float32 on the normal path).
 */
export const normalizeMaxWeight = (x: ReadonlyArray<number>, limit = 0.1, precision: Precision = "float64"): Array<number> => {
  const len = x.length
  if (len === 0) return []
  const r = rounding(precision)
  const xs = scaleUp(x.map(r))
  const y = sdkCapped(xs, limit, r)
  if (len * limit <= 1 || maxOf(y) <= limit) return y
  return waterFill(xs, limit, r)
}

/**
 * process_weights: drop zero / non-finite weights, apply min_allowed_weights, the exclude quantile and
 * max_weight_limit. Returns float weights summing to 1 (uids in input order, or 0..n−1 in the fallbacks).
 * Float32 on the normal path as the SDK; below min_allowed_weights the weights are added to a 1e-5 floor
 * at their position in the input (the SDK's rule; call with all n uids in order, as SDK validators do).
 */
export const processWeights = (input: ProcessWeightsInput): FloatWeights => {
  const { uids, weights, n, minAllowedWeights, maxWeightLimit } = input
  if (uids.length !== weights.length) {
    throw new RangeError(`processWeights: ${uids.length} uids but ${weights.length} weights`)
  }
  const quantile = (input.excludeQuantile ?? 0) / U16_MAX
  // weights.astype(np.float32): below ~1.4e-45 a weight becomes 0, above ~3.4e38 Infinity (dropped here).
  const w32 = weights.map((w) => clean(Math.fround(w)))
  const positions: Array<number> = []
  w32.forEach((w, i) => { if (w > 0) positions.push(i) })
  const arange = Array.from({ length: n }, (_, i) => i)
  if (positions.length === 0 || n < minAllowedWeights) {
    return { uids: arange, weights: uniform(n, rounding("float64")) }
  }
  if (positions.length < minAllowedWeights) {
    const filled = new Array<number>(n).fill(1e-5)
    for (const i of positions) {
      if (i >= n) throw new RangeError(`processWeights: weight at position ${i} but only ${n} neurons (pass one weight per uid 0..n−1)`)
      filled[i]! += w32[i]!
    }
    return { uids: arange, weights: normalizeMaxWeight(filled, maxWeightLimit, "float64") }
  }
  const nonZero = positions.map((i) => w32[i]!)
  const maxExclude = Math.max(0, nonZero.length - minAllowedWeights) / nonZero.length
  const lowest = quantileLinear(nonZero, Math.min(quantile, maxExclude), Math.fround)
  const keptUids: Array<number> = []
  const kept: Array<number> = []
  positions.forEach((i, k) => {
    if (lowest <= nonZero[k]!) {
      keptUids.push(uids[i]!)
      kept.push(nonZero[k]!)
    }
  })
  return { uids: keptUids, weights: normalizeMaxWeight(kept, maxWeightLimit, "float32") }
}

/** Python's round() on a float: nearest integer, exact halves to even. */
export const roundHalfEven = (x: number): number => {
  const f = Math.floor(x)
  const diff = x - f
  if (diff > 0.5) return f + 1
  if (diff < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/**
 * convert_weights_and_uids_for_emit: max-upscale so the largest weight is 65535, round half-to-even,
 * drop entries that round to 0. All-zero weights → empty lists. Negative weights or uids throw.
 */
export const toU16 = (input: { readonly uids: ReadonlyArray<number>; readonly weights: ReadonlyArray<number> }): U16Weights => {
  const { uids, weights } = input
  if (uids.length !== weights.length) {
    throw new RangeError(`Passed weights and uids must have the same length, got ${uids.length} and ${weights.length}`)
  }
  let max = 0
  let sum = 0
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!
    if (Number.isNaN(w) || w < 0) throw new RangeError(`Passed weight is negative or NaN, cannot exist on chain: ${w}`)
    if (w === Infinity) throw new RangeError("Passed weight is infinite, cannot exist on chain")
    const u = uids[i]!
    if (!Number.isInteger(u) || u < 0 || u > U16_MAX) throw new RangeError(`Passed uid is not a u16, cannot exist on chain: ${u}`)
    if (w > max) max = w
    sum += w
  }
  const out: U16Weights = { uids: [], values: [] }
  if (sum === 0) return out
  for (let i = 0; i < weights.length; i++) {
    const v = roundHalfEven((weights[i]! / max) * U16_MAX)
    if (v !== 0) {
      out.uids.push(uids[i]!)
      out.values.push(v)
    }
  }
  return out
}

/**
 * convert_weight_uids_and_vals_to_tensor: chain u16 values → a float row of length n summing to 1
 * (all zeros when the values sum to 0). Entries with uid outside 0..n−1 are ignored.
 */
export const u16ToFloat = (n: number, uids: ReadonlyArray<number>, values: ReadonlyArray<number>): Float64Array => {
  const row = new Float64Array(n)
  for (let i = 0; i < uids.length && i < values.length; i++) {
    const u = uids[i]!
    if (u >= 0 && u < n) row[u] = values[i]!
  }
  let s = 0
  for (let i = 0; i < n; i++) s += row[i]!
  if (s > 0) for (let i = 0; i < n; i++) row[i]! /= s
  return row
}

/** The SDK-named entry points (used by src/chain/Weights.ts through its WeightProcessor). */
export const processWeightsForNetuid = (
  uids: ReadonlyArray<number>,
  weights: ReadonlyArray<number>,
  params: { readonly n: number; readonly minAllowedWeights: number; readonly maxWeightLimit: number; readonly excludeQuantile?: number }
): FloatWeights => processWeights({ uids, weights, ...params })

export const convertWeightsAndUidsForEmit = (uids: ReadonlyArray<number>, weights: ReadonlyArray<number>): U16Weights =>
  toU16({ uids, weights })

/** The SDK's weight pipeline as one object: what src/chain/Weights.ts takes as its WeightProcessor. */
export const sdkWeightProcessor = { process: processWeightsForNetuid, emit: convertWeightsAndUidsForEmit } as const
