// The AggregateActor's state: the pure aggregation state (src/scoring/aggregate.ts, EMA with decay or the
// seed-004 group tournament) in memory, restores it from
// the store at start (schema-checked: a corrupt or foreign snapshot starts fresh with a warning instead of
// crashing) and chooses which miners a tournament round asks (the next group of adjacent ranks).
import { Effect, Schema } from "effect"
import type { Aggregator } from "../../src/domain/Aggregator.ts"
import {
  type AggregateState,
  type EmaState,
  emaUpdate,
  emptyEma,
  emptyTournament,
  normalizeWeights,
  syncRegistered,
  tournamentGroups,
  tournamentUpdate,
  weights
} from "../../src/scoring/aggregate.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import type { StoreShape } from "../../src/store/Store.ts"

export type AggregationKind = "ema" | "tournament"

/** Below this EMA of round rewards a tournament miner gets no weight (it has not earned lately). */
const EARNED_FLOOR = 1e-3

export interface AggregatorOptions {
  readonly kind: AggregationKind
  /** EMA step toward the round reward (also the tournament's rank EMA alpha). */
  readonly alpha: number
  /** EMA decay of miners absent from a round. */
  readonly decay: number
  readonly groupSize: number
}

const Entry = Schema.Struct({ hotkey: Schema.String, score: Schema.NullOr(Schema.Finite) })
const Snapshot = Schema.Struct({
  kind: Schema.Literals(["ema", "tournament"]),
  miners: Schema.Record(Schema.String, Entry),
  /** tournament only: EMA of each miner's round rewards (who has earned lately). */
  earned: Schema.optionalKey(Schema.Record(Schema.String, Entry))
})
const decodeSnapshot = Schema.decodeUnknownOption(Snapshot)

/** An Aggregator that can also reconcile with the registered set and pick tournament groups. */
export interface AppAggregator extends Aggregator {
  readonly state: () => AggregateState
  /** Registered uid → hotkey: drops deregistered uids, resets replaced hotkeys. */
  readonly sync: (registered: ReadonlyMap<number, string>) => void
  /**
   * Miners for the next round among `available` uids: for the tournament, the next group of adjacent ranks
   * (round-robin over the groups, restricted to available miners); null for EMA (the supervisor samples).
   */
  readonly pickGroup: (available: ReadonlyArray<number>, max: number) => ReadonlyArray<number> | null
}

export const makeAggregator = (options: AggregatorOptions, initial?: unknown): AppAggregator => {
  let state: AggregateState = options.kind === "ema" ? emptyEma() : emptyTournament()
  // Tournament weights go by rank, (1/2)^rank; a miner whose recent round rewards are all 0 (offline, junk,
  // copies) must not collect the weight of its rank, so an EMA of rewards is kept beside the ranking.
  let earned: EmaState = emptyEma()
  if (initial !== undefined && initial !== null) {
    const decoded = decodeSnapshot(initial)
    if (decoded._tag === "Some" && decoded.value.kind === options.kind) {
      state = { kind: decoded.value.kind, miners: decoded.value.miners } as AggregateState
      if (decoded.value.earned !== undefined) earned = { kind: "ema", miners: decoded.value.earned }
    }
  }
  let hotkeys = new Map<number, string>(Object.entries(state.miners).map(([uid, e]) => [Number(uid), e.hotkey]))
  let nextGroup = 0
  return {
    kind: options.kind,
    state: () => state,
    snapshot: () => (state.kind === "tournament" ? { ...state, earned: earned.miners } : state),
    sync: (registered) => {
      hotkeys = new Map(registered)
      state = syncRegistered(state, registered)
      earned = syncRegistered(earned, registered)
    },
    update: (result: RoundResult) => {
      const rewards = new Map(result.miners.map((m) => [m.uid, m.reward] as const))
      for (const m of result.miners) if (!hotkeys.has(m.uid)) hotkeys.set(m.uid, m.hotkey)
      if (state.kind === "ema") {
        state = emaUpdate(state, rewards, { alpha: options.alpha, decay: options.decay, hotkeys })
      } else {
        state = tournamentUpdate(syncRegistered(state, hotkeys), result.miners.map((m) => m.uid), rewards, { alpha: options.alpha })
        earned = emaUpdate(earned, rewards, { alpha: options.alpha, decay: options.decay, hotkeys })
      }
    },
    weights: () => {
      const hasEarned = (uid: number) => (earned.miners[String(uid)]?.score ?? 0) > EARNED_FLOOR
      const w = state.kind === "tournament" ? normalizeWeights([...weights(state)].filter(([uid]) => hasEarned(uid))) : weights(state)
      return [...w].map(([uid, weight]) => ({ uid, weight })).sort((a, b) => a.uid - b.uid)
    },
    pickGroup: (available, max) => {
      if (state.kind !== "tournament") return null
      const avail = new Set(available)
      // unknown available miners join the ranking as unranked so they can be grouped
      const known = new Map(hotkeys)
      for (const uid of available) if (!known.has(uid)) known.set(uid, "")
      const groups = tournamentGroups(syncRegistered(state, known), Math.min(options.groupSize, max))
        .map((g) => g.uids.filter((u) => avail.has(u)))
        .filter((g) => g.length > 0)
      if (groups.length === 0) return []
      const g = groups[nextGroup % groups.length]!
      nextGroup = (nextGroup + 1) % groups.length
      return g.slice(0, max)
    }
  }
}

/** Restores the aggregator of `options.kind` from the store (state key `aggregate:<kind>`). */
export const loadAggregator = (store: StoreShape, options: AggregatorOptions) =>
  Effect.gen(function* () {
    const agg = makeAggregator(options, yield* store.getState(`aggregate:${options.kind}`))
    const miners = Object.keys(agg.state().miners).length
    if (miners > 0) yield* Effect.logInfo("aggregation state restored", { kind: agg.kind, miners })
    return agg
  })
