// The AggregateActor's state, restored from the store at start: the aggregation state itself is domain code
// (src/domain/AggregationState.ts); this reads its snapshot (state key `aggregate:<kind>`).
import { Effect } from "effect"
import { type AggregatorOptions, makeAggregator } from "../../src/domain/AggregationState.ts"
import type { StoreShape } from "../../src/store/Store.ts"

export type { AggregationKind, AggregatorOptions, AppAggregator } from "../../src/domain/AggregationState.ts"

/** Restores the aggregator of `options.kind` from the store (state key `aggregate:<kind>`). */
export const loadAggregator = (store: StoreShape, options: AggregatorOptions) =>
  Effect.gen(function* () {
    const agg = makeAggregator(options, yield* store.getState(`aggregate:${options.kind}`))
    const miners = Object.keys(agg.state().miners).length
    if (miners > 0) yield* Effect.logInfo("aggregation state restored", { kind: agg.kind, miners })
    return agg
  })
