// The aggregation state the AggregateActor owns: the pure aggregation (src/scoring/aggregate.ts: EMA with
// decay or the seed-004 group tournament; src/scoring/performance.ts: seed 003's cumulative tracking,
// recent/historical blend and tiers) in memory, built from a stored snapshot (schema-checked: a corrupt or
// foreign snapshot starts fresh instead of crashing). It also chooses the next group of adjacent ranks for the
// groups selection policy, and applies seed 003's stake blend when enabled. Domain code: the actor
// (actors/internal/aggregation.ts) restores it from the store, the policy simulation (src/eval) replays it.
import { Schema } from "effect"
import type { Aggregator } from "./Aggregator.ts"
import { excusedFromRound } from "./Unanswered.ts"
import {
  type AggregateState,
  type EmaState,
  emaUpdate,
  emptyEma,
  emptyTournament,
  normalizeWeights,
  rankGroups,
  syncRegistered,
  tournamentRanking,
  tournamentUpdate,
  weights
} from "../scoring/aggregate.ts"
import type { AggregationKind, AggregationPolicy } from "../scoring/config.ts"
import {
  emptyPerformance,
  type PerformanceState,
  performanceUpdate,
  performanceWeights,
  stakeBlend,
  syncPerformance
} from "../scoring/performance.ts"
import type { RoundResult } from "../scoring/types.ts"
import { DEFAULT_POLICIES } from "../scoring/tasks.ts"

export type { AggregationKind }

/** Below this EMA of round rewards a tournament miner gets no weight (it has not earned lately). */
const EARNED_FLOOR = 1e-3

export interface AggregatorOptions {
  readonly kind: AggregationKind
  /** EMA step toward the round reward (also the tournament's rank EMA alpha). */
  readonly alpha: number
  /** EMA decay of miners absent from a round. */
  readonly decay: number
  readonly groupSize: number
  /** Seed 003's options (cap, recent share, stake blend) and the tier window; default DEFAULT_POLICIES. */
  readonly policy?: Omit<AggregationPolicy, "kind">
  readonly tierWindow?: number
}

const Entry = Schema.Struct({ hotkey: Schema.String, score: Schema.NullOr(Schema.Finite) })
const Tally = Schema.Struct({ total: Schema.Finite, count: Schema.Finite })
const PerfRecord = Schema.Struct({
  hotkey: Schema.String,
  total: Schema.Finite,
  count: Schema.Finite,
  byTask: Schema.Record(Schema.String, Tally),
  recent: Schema.Array(Schema.Finite)
})
const Snapshot = Schema.Struct({
  kind: Schema.Literals(["ema", "tournament", "cumulative", "blend"]),
  miners: Schema.Record(Schema.String, Entry),
  /** tournament only: EMA of each miner's round rewards (who has earned lately). */
  earned: Schema.optionalKey(Schema.Record(Schema.String, Entry)),
  /** seed 003's per-miner record (every kind keeps it: tiers, selection, /miners). */
  performance: Schema.optionalKey(Schema.Record(Schema.String, PerfRecord))
})
const decodeSnapshot = Schema.decodeUnknownOption(Snapshot)

/** An Aggregator that can also reconcile with the registered set, pick groups and read performance records. */
export interface AppAggregator extends Aggregator {
  readonly kind: AggregationKind
  readonly state: () => AggregateState
  readonly performance: () => PerformanceState
  /** Registered uid → hotkey: drops deregistered uids, resets replaced hotkeys; stakes (uid → alpha) when known. */
  readonly sync: (registered: ReadonlyMap<number, string>, stakes?: ReadonlyMap<number, number>) => void
  /**
   * The next group of adjacent ranks among `available` uids (round-robin over the groups): ranks of the
   * tournament, or by current weight for the other kinds (unweighted miners last, by uid).
   */
  readonly pickGroup: (available: ReadonlyArray<number>, max: number) => ReadonlyArray<number>
}

export const makeAggregator = (options: AggregatorOptions, initial?: unknown): AppAggregator => {
  const policy = options.policy ?? DEFAULT_POLICIES.aggregation
  const window = options.tierWindow ?? DEFAULT_POLICIES.tiers.window
  // EMA for "ema", "cumulative" and "blend" (the latter two weigh by the performance record; the EMA stays as
  // the console's recent-reward view), the rank EMA for the tournament
  let state: AggregateState = options.kind === "tournament" ? emptyTournament() : emptyEma()
  // Tournament weights go by rank, (1/2)^rank; a miner whose recent round rewards are all 0 (offline, junk,
  // copies) must not collect the weight of its rank, so an EMA of rewards is kept beside the ranking.
  let earned: EmaState = emptyEma()
  let perf: PerformanceState = emptyPerformance()
  let stakes: ReadonlyMap<number, number> = new Map()
  if (initial !== undefined && initial !== null) {
    const decoded = decodeSnapshot(initial)
    if (decoded._tag === "Some" && decoded.value.kind === options.kind) {
      const v = decoded.value
      state = { kind: options.kind === "tournament" ? "tournament" : "ema", miners: v.miners } as AggregateState
      if (v.earned !== undefined) earned = { kind: "ema", miners: v.earned }
      if (v.performance !== undefined) perf = { miners: v.performance }
    }
  }
  let hotkeys = new Map<number, string>(Object.entries(state.miners).map(([uid, e]) => [Number(uid), e.hotkey]))
  let nextGroup = 0

  const rawWeights = (): Map<number, number> => {
    if (state.kind === "tournament") {
      const hasEarned = (uid: number) => (earned.miners[String(uid)]?.score ?? 0) > EARNED_FLOOR
      return normalizeWeights([...weights(state)].filter(([uid]) => hasEarned(uid)))
    }
    if (options.kind === "cumulative" || options.kind === "blend") return normalizeWeights(performanceWeights(perf, options.kind, policy))
    return weights(state)
  }
  const finalWeights = (): Map<number, number> => {
    const w = rawWeights()
    if (!policy.stakeBlend.enabled) return w
    // stakes only of registered uids; the blend pays them even without performance (that is what it does)
    const registered = new Map([...stakes].filter(([uid]) => hotkeys.has(uid)))
    return normalizeWeights(stakeBlend([...w], registered, policy.stakeBlend.share))
  }
  const ranking = (): Array<number> => {
    if (state.kind === "tournament") return tournamentRanking(state)
    const w = rawWeights()
    return [...hotkeys.keys()].sort((a, b) => (w.get(b) ?? 0) - (w.get(a) ?? 0) || a - b)
  }

  return {
    kind: options.kind,
    state: () => state,
    performance: () => perf,
    snapshot: () => ({
      kind: options.kind,
      miners: state.miners,
      ...(state.kind === "tournament" ? { earned: earned.miners } : {}),
      performance: perf.miners
    }),
    sync: (registered, nextStakes) => {
      hotkeys = new Map(registered)
      state = syncRegistered(state, registered)
      earned = syncRegistered(earned, registered)
      perf = syncPerformance(perf, registered)
      if (nextStakes !== undefined) stakes = new Map(nextStakes)
    },
    update: (scored: RoundResult) => {
      // a miner left unanswered by the validator's restart or shutdown counts as not asked this round
      const result = { ...scored, miners: scored.miners.filter((m) => !excusedFromRound(m)) }
      const rewards = new Map(result.miners.map((m) => [m.uid, m.reward] as const))
      for (const m of result.miners) if (!hotkeys.has(m.uid)) hotkeys.set(m.uid, m.hotkey)
      perf = performanceUpdate(perf, result, { window })
      if (state.kind === "ema") {
        state = emaUpdate(state, rewards, { alpha: options.alpha, decay: options.decay, hotkeys })
      } else {
        state = tournamentUpdate(syncRegistered(state, hotkeys), result.miners.map((m) => m.uid), rewards, { alpha: options.alpha })
        earned = emaUpdate(earned, rewards, { alpha: options.alpha, decay: options.decay, hotkeys })
      }
    },
    weights: () => [...finalWeights()].map(([uid, weight]) => ({ uid, weight })).sort((a, b) => a.uid - b.uid),
    pickGroup: (available, max) => {
      const avail = new Set(available)
      // unknown available miners join the ranking last so they can be grouped
      const order = ranking()
      const ranked = new Set(order)
      for (const uid of [...available].sort((a, b) => a - b)) if (!ranked.has(uid)) order.push(uid)
      const sized = Math.min(options.groupSize, max)
      const groups = rankGroups(order, sized)
        .map((g) => g.uids.filter((u) => avail.has(u)))
        .filter((g) => g.length > 0)
      if (groups.length === 0) return []
      const g = groups[nextGroup % groups.length]!
      nextGroup = (nextGroup + 1) % groups.length
      return g.slice(0, max)
    }
  }
}
