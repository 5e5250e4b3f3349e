// Yuma-style consensus and validator trust, as the chain computes them each epoch (pure, no I/O):
//  - each validator's weight row is normalized to sum 1;
//  - the consensus weight of miner j is the stake-weighted κ-quantile (κ = 0.5: the weight that at least half
//    of the stake gives j or more) of the validators' weights on j;
//  - weights above the consensus are clipped to it;
//  - a validator's trust is the sum of its clipped row: 1 when it never gives more than the consensus does.
// Only validators with a permit and non-zero weights count. The estimate is ours: the runtime works in
// fixed point (I32F32 / u16), so expect agreement to a few 1e-4, not bit-exactness.

export interface ValidatorWeights {
  readonly uid: number
  readonly stake: number
  /** miner uid → weight (any scale; normalized here). */
  readonly weights: ReadonlyMap<number, number>
}

export interface Consensus {
  /** miner uid → consensus weight. */
  readonly consensus: ReadonlyMap<number, number>
  /** validator uid → trust (sum of its clipped, normalized weights), 0..1. */
  readonly trust: ReadonlyMap<number, number>
  /** miner uid → trust (stake-weighted share of its weight that survives clipping), 0..1. */
  readonly minerTrust: ReadonlyMap<number, number>
}

const normalize = (w: ReadonlyMap<number, number>): Map<number, number> => {
  let sum = 0
  for (const v of w.values()) if (v > 0 && Number.isFinite(v)) sum += v
  const out = new Map<number, number>()
  if (sum <= 0) return out
  for (const [k, v] of w) if (v > 0 && Number.isFinite(v)) out.set(k, v / sum)
  return out
}

/**
 * The largest weight x such that validators holding at least κ of the stake give the miner ≥ x
 * (the runtime's weighted median, found there by bisection; exact here by sorting).
 */
export const stakeQuantile = (values: ReadonlyArray<{ readonly w: number; readonly stake: number }>, kappa: number): number => {
  const total = values.reduce((a, v) => a + v.stake, 0)
  if (total <= 0) return 0
  const sorted = [...values].sort((a, b) => b.w - a.w)
  let acc = 0
  for (const v of sorted) {
    acc += v.stake
    if (acc / total >= kappa - 1e-12) return v.w
  }
  return 0
}

export const yumaConsensus = (validators: ReadonlyArray<ValidatorWeights>, kappa = 0.5): Consensus => {
  const rows = validators
    .filter((v) => v.stake > 0)
    .map((v) => ({ uid: v.uid, stake: v.stake, w: normalize(v.weights) }))
    .filter((v) => v.w.size > 0)
  const miners = new Set<number>()
  for (const r of rows) for (const j of r.w.keys()) miners.add(j)
  const consensus = new Map<number, number>()
  for (const j of miners) consensus.set(j, stakeQuantile(rows.map((r) => ({ w: r.w.get(j) ?? 0, stake: r.stake })), kappa))
  const trust = new Map<number, number>()
  for (const r of rows) {
    let t = 0
    for (const [j, w] of r.w) t += Math.min(w, consensus.get(j) ?? 0)
    trust.set(r.uid, Math.min(1, t))
  }
  const minerTrust = new Map<number, number>()
  for (const j of miners) {
    let kept = 0
    let given = 0
    for (const r of rows) {
      const w = r.w.get(j) ?? 0
      given += r.stake * w
      kept += r.stake * Math.min(w, consensus.get(j) ?? 0)
    }
    minerTrust.set(j, given > 0 ? kept / given : 0)
  }
  return { consensus, trust, minerTrust }
}

/** Our validator trust estimate against the others; null when we have no weights on chain. */
export const vtrustOf = (validators: ReadonlyArray<ValidatorWeights>, ourUid: number, kappa = 0.5): number | null =>
  yumaConsensus(validators, kappa).trust.get(ourUid) ?? null
