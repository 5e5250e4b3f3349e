// Which miners a round asks: the selection policies, chosen by config (ScoringConfig.policies.selection), and
// seed 003's load balancing, which every policy obeys. Pure and deterministic for a given random source.
//
// - availability (default, today's behaviour): weighted sampling without replacement by availability from
//   real answers, a failed /availability probe making a miner unlikely.
// - groups: seed 004's overlapping groups of adjacent ranks (the AggregateActor picks the group; this module
//   only filters who may be asked).
// - performance: seed 003's selection score 0.6·historical performance + 0.2·(1 − load/max) +
//   0.1·specialization + 0.1·stake share, sampled without replacement, with an exploration share of the slots
//   drawn uniformly from the rest so new and low-ranked miners are still asked.
// Load balancing (seed 003): a miner with max_concurrent_tasks challenges in flight is skipped, not queued;
// below the cap its availability for selection is scaled by 1 − load/max.
import { median } from "./stats.ts"
import { type PerformanceRecord, type TierName, blendedAverage, POINTS_SCALE, specialization, tierOfRecord } from "./performance.ts"

export type SelectionKind = "availability" | "groups" | "performance"

export interface SelectionCriteria {
  readonly performance: number
  readonly load: number
  readonly specialization: number
  readonly stake: number
}

export interface SelectionPolicy {
  readonly kind: SelectionKind
  /** Seed 003's max_concurrent_tasks: challenges in flight per miner across rounds. */
  readonly maxConcurrentTasks: number
  /** performance: share of a round's slots filled uniformly from the miners the score did not pick. */
  readonly explorationShare: number
  /** Weights of seed 003's selection score (performance policy). */
  readonly criteria: SelectionCriteria
  /** Recent share of the historical performance the score uses (seed 003's 0.7 recent + 0.3 historical). */
  readonly recentShare: number
  /** A miner with fewer recorded tasks is new: its performance is the field's median until then. */
  readonly minTasks: number
  /** Seed 003's "priority task assignment": sampling weights × the tier's factor (availability, performance). */
  readonly tierPriority: boolean
  readonly tierFactors: Readonly<Record<TierName, number>>
}

export interface SelectionCandidate {
  readonly uid: number
  /** Availability from real answers, in [0, 1]. */
  readonly availability: number
  /** The last /availability probe: null when never probed. */
  readonly probeOk: boolean | null
  /** Challenges in flight to this miner now, across rounds. */
  readonly inFlight: number
  /** This hotkey's performance record (absent: never scored). */
  readonly record?: PerformanceRecord
  /** Stake / the largest stake among the candidates, in [0, 1]. */
  readonly stakeShare: number
}

/** Seed 003's availability_score: 1 − load / max, 0 at or past the cap. */
export const loadAvailability = (inFlight: number, max: number): number =>
  max <= 0 ? 0 : Math.max(0, 1 - Math.max(0, inFlight) / max)

/** Candidates below the in-flight cap (the others are skipped, not queued). */
export const eligible = (cands: ReadonlyArray<SelectionCandidate>, max: number): Array<SelectionCandidate> =>
  cands.filter((c) => c.inFlight < max)

/** Weighted sample without replacement (Efraimidis–Spirakis keys), deterministic for a given rng. */
export const sampleWeighted = <A>(items: ReadonlyArray<{ item: A; weight: number }>, k: number, random: () => number): A[] =>
  items
    .filter((x) => x.weight > 0 && Number.isFinite(x.weight))
    .map((x) => ({ item: x.item, key: Math.pow(Math.max(random(), 1e-12), 1 / x.weight) }))
    .sort((a, b) => b.key - a.key)
    .slice(0, Math.max(0, k))
    .map((x) => x.item)

const isNew = (c: SelectionCandidate, p: SelectionPolicy): boolean => c.record === undefined || c.record.count < p.minTasks

const tierFactor = (c: SelectionCandidate, p: SelectionPolicy): number =>
  !p.tierPriority || isNew(c, p) || c.record === undefined ? 1 : p.tierFactors[tierOfRecord(c.record)]

/** Today's sampling weight (availability from answers, a failed probe ×0.1), scaled by the load. */
export const availabilityWeight = (c: SelectionCandidate, p: SelectionPolicy): number =>
  (0.05 + c.availability) * (c.probeOk === false ? 0.1 : 1) * loadAvailability(c.inFlight, p.maxConcurrentTasks) * tierFactor(c, p)

/** Seed 003's selection score per candidate (performance in [0, 1] from the blended points / 500). */
export const performanceScores = (
  cands: ReadonlyArray<SelectionCandidate>,
  taskType: string,
  p: SelectionPolicy
): Map<number, number> => {
  const perf = (c: SelectionCandidate) => (c.record === undefined ? 0 : blendedAverage(c.record, p.recentShare) / POINTS_SCALE)
  const prior = median(cands.filter((c) => !isNew(c, p)).map(perf)) ?? 0.5
  const w = p.criteria
  return new Map(
    cands.map((c) => {
      const known = !isNew(c, p) && c.record !== undefined
      const score =
        w.performance * (known ? perf(c) : prior) +
        w.load * loadAvailability(c.inFlight, p.maxConcurrentTasks) +
        w.specialization * (known ? specialization(c.record!, taskType) : 0.5) +
        w.stake * Math.min(1, Math.max(0, c.stakeShare))
      const probe = c.probeOk === false ? 0.1 : 1
      return [c.uid, score * probe * tierFactor(c, p)]
    })
  )
}

/**
 * The uids a round asks (at most k) under the availability or performance policy; the groups policy's
 * group comes from the aggregation (see AggregateActor) and is only filtered by `eligible`.
 */
export const selectMiners = (
  cands: ReadonlyArray<SelectionCandidate>,
  k: number,
  taskType: string,
  p: SelectionPolicy,
  random: () => number
): Array<number> => {
  const pool = eligible(cands, p.maxConcurrentTasks)
  if (p.kind !== "performance") {
    return sampleWeighted(pool.map((c) => ({ item: c.uid, weight: availabilityWeight(c, p) })), k, random)
  }
  const slots = Math.min(k, pool.length)
  const explore = Math.min(slots, Math.round(slots * Math.min(1, Math.max(0, p.explorationShare))))
  const scores = performanceScores(pool, taskType, p)
  const exploit = sampleWeighted(pool.map((c) => ({ item: c.uid, weight: scores.get(c.uid) ?? 0 })), slots - explore, random)
  const taken = new Set(exploit)
  const rest = pool.filter((c) => !taken.has(c.uid)).map((c) => ({ item: c.uid, weight: 1 }))
  return [...exploit, ...sampleWeighted(rest, slots - exploit.length, random)]
}

export const DEFAULT_SELECTION_POLICY: SelectionPolicy = {
  kind: "availability",
  maxConcurrentTasks: 3,
  explorationShare: 0.25,
  criteria: { performance: 0.6, load: 0.2, specialization: 0.1, stake: 0.1 },
  recentShare: 0.7,
  minTasks: 3,
  tierPriority: false,
  tierFactors: { elite: 1, high: 0.8, competent: 0.6, basic: 0.4, under: 0.2 }
}
