// Stage 4's bookkeeping: the effective axis weights of a round, the RoundResult in input order, and the
// human-readable explanation of a result. Pure.
import type { ScoringConfig } from "./config.ts"
import type { FilterReason, MinerResponse, MinerScore, RoundInput, RoundResult } from "./types.ts"

const EPS = 1e-9

/** The task type's weights over the axes that apply this round (accuracy falls back when there is no reference), summing to 1. */
export const effectiveWeights = (profileWeights: Readonly<Record<string, number>>, values: ReadonlyMap<string, Float64Array>, config: ScoringConfig) => {
  const raw: Record<string, number> = {}
  for (const name of values.keys()) {
    const w = profileWeights[name] ?? 0
    if (w > 0) raw[name] = w
  }
  const accW = profileWeights["accuracy"] ?? 0
  const fb = config.accuracyFallback
  if (!values.has("accuracy") && accW > 0 && fb !== null && values.has(fb)) raw[fb] = (raw[fb] ?? 0) + accW
  const totalW = Object.values(raw).reduce((s, w) => s + w, 0)
  const weights: Record<string, number> = {}
  for (const [k, w] of Object.entries(raw)) weights[k] = totalW > 0 ? w / totalW : 0
  return weights
}

/** The RoundResult in input order (round.ts works in canonical uid order), with the best paid uid and the consensus. */
export const roundResult = (
  input: RoundInput,
  taskType: string,
  order: ReadonlyArray<number>,
  responses: ReadonlyArray<MinerResponse>,
  values: ReadonlyMap<string, Float64Array>,
  scores: Float64Array,
  rewards: Float64Array,
  filtered: ReadonlyArray<FilterReason | null>,
  notes: ReadonlyArray<string | undefined>,
  labels: Int32Array,
  consensusMembers: ReadonlyArray<number>,
  weights: Readonly<Record<string, number>>,
  entityShare?: Float64Array
): RoundResult => {
  const n = responses.length
  const byInput: Array<MinerScore> = new Array(n)
  const clusters: Array<number> = new Array(n).fill(-1)
  let best: number | null = null
  let bestReward = 0
  for (let i = 0; i < n; i++) {
    const r = responses[i]!
    const axes: Record<string, number> = {}
    for (const [k, v] of values) axes[k] = v[i]!
    const note = notes[i]
    const share = entityShare?.[i]
    byInput[order[i]!] = {
      uid: r.uid,
      hotkey: r.hotkey,
      reward: rewards[i]!,
      axes,
      score: scores[i]!,
      filtered: filtered[i]!,
      ...(share !== undefined && share > 0 && share < 1 ? { entityShare: share } : {}),
      ...(note === undefined ? {} : { note })
    }
    clusters[order[i]!] = labels[i]!
    const rw = rewards[i]!
    if (rw > 0 && (best === null || rw > bestReward + EPS || (Math.abs(rw - bestReward) <= EPS && r.uid < best))) {
      best = r.uid
      bestReward = rw
    }
  }
  const paid = rewards.reduce((k, rw) => k + (rw > 0 ? 1 : 0), 0)
  const consensus =
    consensusMembers.length > 0 ? consensusMembers.map((i) => responses[i]!.uid) : paid === 1 && best !== null ? [best] : []
  return { roundId: input.id, taskType, miners: byInput, consensus: consensus.sort((a, b) => a - b), clusters, best, weights }
}

const fmt = (x: number) => x.toFixed(3)

/** Human-readable lines: the header, one line per miner (best first), and the consensus. */
export const explain = (result: RoundResult): Array<string> => {
  const lines: Array<string> = []
  const w = result.weights
  lines.push(
    `round ${result.roundId} (${result.taskType}): ${result.miners.length} responses, best ${result.best === null ? "none" : `uid ${result.best}`}`
  )
  if (w !== undefined) {
    lines.push(`weights: ${Object.entries(w).map(([k, v]) => `${k}=${fmt(v)}`).join(" ") || "(none)"}`)
  }
  const sorted = [...result.miners].sort((a, b) => b.reward - a.reward || b.score - a.score || a.uid - b.uid)
  for (const m of sorted) {
    const axes = Object.entries(m.axes).map(([k, v]) => `${k}=${fmt(v)}`).join(" ")
    const tail = m.filtered === null ? "" : ` FILTERED ${m.filtered}${m.note === undefined ? "" : ` (${m.note})`}`
    lines.push(`uid ${m.uid}: reward ${fmt(m.reward)} score ${fmt(m.score)} | ${axes}${tail}`)
  }
  lines.push(result.consensus.length === 0 ? "consensus: none" : `consensus: uids ${result.consensus.join(", ")}`)
  return lines
}
