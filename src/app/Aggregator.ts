// The long-run aggregator behind the ScoringActor and the WeightSetter: keeps the pure aggregation state
// (src/scoring/aggregate.ts, EMA with decay or the seed-004 group tournament) in memory, restores it from
// the store at start (schema-checked: a corrupt or foreign snapshot starts fresh with a warning instead of
// crashing) and chooses which miners a tournament round asks (the next group of adjacent ranks).
import { Effect, Schema } from "effect"
import type { Aggregator } from "../../actors/ScoringActor.ts"
import {
  type AggregateState,
  emaUpdate,
  emptyEma,
  emptyTournament,
  syncRegistered,
  tournamentGroups,
  tournamentUpdate,
  weights
} from "../scoring/aggregate.ts"
import type { RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"

export type AggregationKind = "ema" | "tournament"

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
  miners: Schema.Record(Schema.String, Entry)
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
  const fresh = (): AggregateState => (options.kind === "ema" ? emptyEma() : emptyTournament())
  let state: AggregateState = fresh()
  if (initial !== undefined && initial !== null) {
    const decoded = decodeSnapshot(initial)
    if (decoded._tag === "Some" && decoded.value.kind === options.kind) state = decoded.value as AggregateState
  }
  let hotkeys = new Map<number, string>(Object.entries(state.miners).map(([uid, e]) => [Number(uid), e.hotkey]))
  let nextGroup = 0
  return {
    kind: options.kind,
    state: () => state,
    snapshot: () => state,
    sync: (registered) => {
      hotkeys = new Map(registered)
      state = syncRegistered(state, registered)
    },
    update: (result: RoundResult) => {
      const rewards = new Map(result.miners.map((m) => [m.uid, m.reward] as const))
      for (const m of result.miners) if (!hotkeys.has(m.uid)) hotkeys.set(m.uid, m.hotkey)
      state =
        state.kind === "ema"
          ? emaUpdate(state, rewards, { alpha: options.alpha, decay: options.decay, hotkeys })
          : tournamentUpdate(
              syncRegistered(state, hotkeys),
              result.miners.map((m) => m.uid),
              rewards,
              { alpha: options.alpha }
            )
    },
    weights: () => [...weights(state)].map(([uid, weight]) => ({ uid, weight })).sort((a, b) => a.uid - b.uid),
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
      nextGroup = (nextGroup + 1) % Math.max(1, groups.length)
      return g.slice(0, max)
    }
  }
}

/** Restores the aggregator of `options.kind` from the store (state key `aggregate:<kind>`). */
export const loadAggregator = (store: StoreShape, options: AggregatorOptions) =>
  store.getState(`aggregate:${options.kind}`).pipe(
    Effect.map((initial) => {
      const agg = makeAggregator(options, initial)
      return { agg, restored: initial !== null && initial !== undefined && Object.keys(agg.state().miners).length > 0 }
    }),
    Effect.tap(({ agg, restored }) =>
      restored ? Effect.logInfo("aggregation state restored", { kind: agg.kind, miners: Object.keys(agg.state().miners).length }) : Effect.void
    ),
    Effect.map(({ agg }) => agg)
  )
