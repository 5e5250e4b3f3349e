// Seed 003's per-miner performance record, kept beside every aggregation: cumulative tracking (total score,
// task count, average per task, per-task-type breakdown), a window of recent round scores, and the tier
// those recent scores put a miner in. Pure, no I/O; the state is plain JSON (uids are decimal-string keys).
//
// A round's score on seed 003's 0–500 scale is the round's combined score (MinerScore.score, the weighted
// axes in [0, 1]) × 500, split among the hotkeys of one entity (shared IP or coldkey) as the round's rewards
// are, so a sybil farm does not multiply its points; a filtered or unanswered miner scores 0 for that task,
// as seed 003 counts a failed task. Only miners a round asked are recorded.
import type { RoundResult } from "./types.ts"

/** Seed 003's scale: a round's combined score × 500; also its per-miner cap of cumulative tracking. */
export const POINTS_SCALE = 500

export const TIER_NAMES = ["elite", "high", "competent", "basic", "under"] as const
export type TierName = (typeof TIER_NAMES)[number]

/** Seed 003's tiers on the 0–500 scale: Elite 450–500, High 350–449, Competent 250–349, Basic 150–249, Under < 150. */
export const TIER_FLOORS: Readonly<Record<TierName, number>> = { elite: 450, high: 350, competent: 250, basic: 150, under: 0 }

export const tierOf = (points: number): TierName => {
  for (const t of TIER_NAMES) if (points >= TIER_FLOORS[t]) return t
  return "under"
}

export interface TaskTally {
  readonly total: number
  readonly count: number
}

export interface PerformanceRecord {
  readonly hotkey: string
  /** Sum of the round scores (0–500 each) over every task this hotkey was asked. */
  readonly total: number
  readonly count: number
  /** Task type → its tally (the per-task breakdown). */
  readonly byTask: Readonly<Record<string, TaskTally>>
  /** The last `window` round scores (0–500), oldest first. */
  readonly recent: ReadonlyArray<number>
}

export interface PerformanceState {
  readonly miners: Readonly<Record<string, PerformanceRecord>>
}

export interface PerformanceOptions {
  /** How many recent rounds make the tier and the "recent" average (≥ 1). */
  readonly window: number
}

export const emptyPerformance = (): PerformanceState => ({ miners: {} })

const points = (score: number): number => (Number.isFinite(score) && score > 0 ? Math.min(1, score) * POINTS_SCALE : 0)

const sorted = (m: Map<number, PerformanceRecord>): Record<string, PerformanceRecord> => {
  const out: Record<string, PerformanceRecord> = {}
  for (const [uid, r] of [...m].sort((a, b) => a[0] - b[0])) out[String(uid)] = r
  return out
}

const fresh = (hotkey: string): PerformanceRecord => ({ hotkey, total: 0, count: 0, byTask: {}, recent: [] })

/** Records one scored round: every miner in it gains its round score (a filtered miner: 0). */
export const performanceUpdate = (state: PerformanceState, result: RoundResult, options: PerformanceOptions): PerformanceState => {
  const window = Math.max(1, Math.floor(options.window))
  const next = new Map(Object.entries(state.miners).map(([k, v]) => [Number(k), v] as const))
  for (const m of result.miners) {
    const prev = next.get(m.uid)
    const base = prev === undefined || prev.hotkey !== m.hotkey ? fresh(m.hotkey) : prev
    const p = m.filtered === null ? points(m.score) * (m.entityShare ?? 1) : 0
    const tally = base.byTask[result.taskType] ?? { total: 0, count: 0 }
    next.set(m.uid, {
      hotkey: m.hotkey,
      total: base.total + p,
      count: base.count + 1,
      byTask: { ...base.byTask, [result.taskType]: { total: tally.total + p, count: tally.count + 1 } },
      recent: [...base.recent, p].slice(-window)
    })
  }
  return { miners: sorted(next) }
}

/** Drops uids no longer registered; a uid whose hotkey changed starts over. */
export const syncPerformance = (state: PerformanceState, registered: ReadonlyMap<number, string>): PerformanceState => {
  const next = new Map<number, PerformanceRecord>()
  for (const [k, r] of Object.entries(state.miners)) {
    const hk = registered.get(Number(k))
    if (hk !== undefined) next.set(Number(k), hk === r.hotkey ? r : fresh(hk))
  }
  return { miners: sorted(next) }
}

const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)

/** Average points per task over all tasks (seed 003's avg_score_per_task). */
export const historicalAverage = (r: PerformanceRecord): number => (r.count === 0 ? 0 : r.total / r.count)
/** Average points over the recent window. */
export const recentAverage = (r: PerformanceRecord): number => mean(r.recent)
/** The tier the recent window puts a miner in (no rounds yet: under). */
export const tierOfRecord = (r: PerformanceRecord): TierName => tierOf(recentAverage(r))

/** Seed 003's recent/historical blend, in points: recentShare · recent + (1 − recentShare) · historical. */
export const blendedAverage = (r: PerformanceRecord, recentShare: number): number =>
  recentShare * recentAverage(r) + (1 - recentShare) * historicalAverage(r)

/**
 * How much better a miner does on `taskType` than overall, in [0, 1]: 0.5 is "as well as overall" (also when
 * either is unknown); (task average / overall average) / 2, capped at 1.
 */
export const specialization = (r: PerformanceRecord, taskType: string): number => {
  const t = r.byTask[taskType]
  const overall = historicalAverage(r)
  if (t === undefined || t.count === 0 || overall <= 0) return 0.5
  return Math.min(1, t.total / t.count / overall / 2)
}

// ---------------------------------------------------------------------------------------------
// Seed 003's aggregations: raw (unnormalized) per-uid weights from the records

export type PerformanceAggregation = "cumulative" | "blend"

export interface PerformanceWeightOptions {
  /** cumulative: per-miner cap of the total (seed 003: 500). */
  readonly cap: number
  /** blend: share of the recent average (seed 003: 0.7; the rest is the all-time average). */
  readonly recentShare: number
}

/** cumulative: min(total, cap) (seed 003's final_weight); blend: the recent/historical blend. */
export const performanceWeights = (
  state: PerformanceState,
  kind: PerformanceAggregation,
  options: PerformanceWeightOptions
): Array<[number, number]> =>
  Object.entries(state.miners).map(([k, r]) => [
    Number(k),
    kind === "cumulative" ? Math.min(r.total, options.cap) : blendedAverage(r, options.recentShare)
  ])

/**
 * Seed 003's stake blend: final = (1 − share) · performance + share · min(1, stake / max stake), with the
 * performance weights scaled so the best is 1. It pays stake, not work (off by default): a miner with stake
 * and no performance earns. Uids without a known stake count as stake 0. Returns raw weights (normalize after).
 */
export const stakeBlend = (
  performance: ReadonlyArray<readonly [number, number]>,
  stakes: ReadonlyMap<number, number>,
  share: number
): Array<[number, number]> => {
  const best = Math.max(0, ...performance.map(([, w]) => (Number.isFinite(w) ? w : 0)))
  const maxStake = Math.max(0, ...[...stakes.values()].filter((s) => Number.isFinite(s)))
  const uids = new Set<number>([...performance.map(([u]) => u), ...stakes.keys()])
  const perf = new Map(performance)
  return [...uids].sort((a, b) => a - b).map((uid) => {
    const w = perf.get(uid) ?? 0
    const p = best > 0 && Number.isFinite(w) && w > 0 ? w / best : 0
    const s = stakes.get(uid) ?? 0
    const st = maxStake > 0 && Number.isFinite(s) && s > 0 ? Math.min(1, s / maxStake) : 0
    return [uid, (1 - share) * p + share * st]
  })
}
