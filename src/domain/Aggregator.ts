// The aggregation contract: round rewards → long-run miner weights (EMA or group tournament). The state is
// plain data (src/scoring/aggregate.ts); the AggregateActor owns the one instance of it.
import type { RoundResult } from "../scoring/types.ts"
import type { MinerWeight } from "./Weights.ts"

export interface Aggregator {
  readonly kind: string
  readonly update: (result: RoundResult) => void
  readonly weights: () => ReadonlyArray<MinerWeight>
  readonly snapshot: () => unknown
}
