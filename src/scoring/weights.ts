// Chain weight normalization with the Python bittensor SDK's semantics (bittensor/utils/weight_utils.py:
// normalize_max_weight, process_weights[_for_netuid], convert_weights_and_uids_for_emit,
// convert_weight_uids_and_vals_to_tensor). Pure, no I/O.
//
// Deliberate differences from the SDK (all documented, all on inputs where the SDK misbehaves):
// - non-finite weights (NaN, ±Infinity) count as 0 (the SDK keeps +Infinity and emits NaN);
// - in the "fewer non-zero weights than min_allowed_weights" branch the SDK adds each weight at its
//   *position* in the input array; here it is added at its *uid* (identical when uids = 0..n−1);
// - toU16 of an empty input returns empty lists (the SDK's min([]) raises).
// Arithmetic is float64 throughout (the SDK's process_weights runs numpy float32), so processWeights
// agrees with the SDK to ~1e-6 relative; toU16 runs on Python floats in the SDK and agrees bit-exactly.

export const U16_MAX = 65535

export interface ProcessWeightsInput {
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

const clean = (w: number): number => (Number.isFinite(w) && w > 0 ? w : 0)

/**
 * normalize_max_weight: scale `x` to sum 1 with no entry above `limit` (values above a cutoff are clipped,
 * then everything is renormalized). All-zero input or `x.length · limit ≤ 1` gives the uniform vector.
 */
export const normalizeMaxWeight = (x: ReadonlyArray<number>, limit = 0.1): Array<number> => {
  const len = x.length
  if (len === 0) return []
  const epsilon = 1e-7
  let total = 0
  for (const v of x) total += v
  if (total === 0 || len * limit <= 1) return new Array<number>(len).fill(1 / len)
  const values = [...x].sort((a, b) => a - b)
  const estimation = values.map((v) => v / total)
  if (estimation[len - 1]! <= limit) return x.map((v) => v / total)
  const cumsum = new Array<number>(len)
  let acc = 0
  for (let i = 0; i < len; i++) {
    acc += estimation[i]!
    cumsum[i] = acc
  }
  let nValues = 0
  for (let i = 0; i < len; i++) {
    const estimationSum = (len - i - 1) * estimation[i]!
    if (estimation[i]! / (estimationSum + cumsum[i]! + epsilon) < limit) nValues++
  }
  // Python's cumsum[n_values - 1] wraps to the last element when n_values = 0 (not reachable when len·limit > 1).
  const cs = cumsum[nValues > 0 ? nValues - 1 : len - 1]!
  const cutoffScale = (limit * cs - epsilon) / (1 - limit * (len - nValues))
  const cutoff = cutoffScale * total
  const clipped = x.map((v) => (v > cutoff ? cutoff : v))
  let s = 0
  for (const v of clipped) s += v
  return clipped.map((v) => v / s)
}

/** numpy.quantile with the default linear interpolation. */
const quantileLinear = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  const pos = q * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, s.length - 1)
  const frac = pos - lo
  return s[lo]! + (s[hi]! - s[lo]!) * frac
}

/**
 * process_weights: drop zero / non-finite weights, apply min_allowed_weights, the exclude quantile and
 * max_weight_limit. Returns float weights summing to 1 (uids in input order, or 0..n−1 in the fallbacks).
 */
export const processWeights = (input: ProcessWeightsInput): FloatWeights => {
  const { uids, weights, n, minAllowedWeights, maxWeightLimit } = input
  if (uids.length !== weights.length) {
    throw new RangeError(`processWeights: ${uids.length} uids but ${weights.length} weights`)
  }
  const quantile = (input.excludeQuantile ?? 0) / U16_MAX
  const nzUids: Array<number> = []
  const nzWeights: Array<number> = []
  for (let i = 0; i < weights.length; i++) {
    const w = clean(weights[i]!)
    if (w > 0) {
      nzUids.push(uids[i]!)
      nzWeights.push(w)
    }
  }
  const arange = Array.from({ length: n }, (_, i) => i)
  if (nzWeights.length === 0 || n < minAllowedWeights) {
    return { uids: arange, weights: new Array<number>(n).fill(1 / n) }
  }
  if (nzWeights.length < minAllowedWeights) {
    const filled = new Array<number>(n).fill(1e-5)
    nzUids.forEach((u, k) => {
      if (u >= 0 && u < n) filled[u]! += nzWeights[k]!
    })
    return { uids: arange, weights: normalizeMaxWeight(filled, maxWeightLimit) }
  }
  const maxExclude = Math.max(0, nzWeights.length - minAllowedWeights) / nzWeights.length
  const q = Math.min(quantile, maxExclude)
  const lowest = quantileLinear(nzWeights, q)
  const keptUids: Array<number> = []
  const kept: Array<number> = []
  nzWeights.forEach((w, k) => {
    if (lowest <= w) {
      keptUids.push(nzUids[k]!)
      kept.push(w)
    }
  })
  return { uids: keptUids, weights: normalizeMaxWeight(kept, maxWeightLimit) }
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
