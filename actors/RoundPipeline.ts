// The round pipeline, wired once: AggregateActor ← ScoringActor ← ChallengeSupervisor (with its MinerSessions),
// the supervisor selecting by the configured policy from the aggregate's published performance records and
// asking it for groups. The validator, the actor benchmark and the actor tests all build it here, so the
// wiring (who feeds whom, which performance view the selection reads) cannot drift between them.
import type { Scope } from "effect"
import { Effect } from "effect"
import type { MinerTransport } from "../src/miners/Transport.ts"
import { DEFAULT_SELECTION_POLICY, type SelectionPolicy } from "../src/scoring/selection.ts"
import type { StoreError, StoreShape } from "../src/store/Store.ts"
import * as AggregateActor from "./AggregateActor.ts"
import * as ChallengeSupervisor from "./ChallengeSupervisor.ts"
import type { AggregatorOptions } from "./internal/aggregation.ts"
import * as ScoringActor from "./ScoringActor.ts"

export interface PipelineDeps {
  readonly store: StoreShape
  readonly transport: MinerTransport
  readonly embed: ScoringActor.Deps["embed"]
  readonly score: ScoringActor.Deps["score"]
  readonly evaluationTimeoutMs: number
  readonly aggregation: AggregatorOptions
  /** How long a caller waits on the aggregate (default 10 s: it only does memory work and one write). */
  readonly aggregateAskTimeoutMs?: number
  /** Who a round asks (default: today's availability sampling). */
  readonly selection?: SelectionPolicy
  /** The supervisor's own settings: bounds, deadline, challenge source, loops. */
  readonly supervisor: Omit<ChallengeSupervisor.Deps, "transport" | "store" | "scoring" | "selection">
}

export interface RoundPipeline {
  readonly aggregate: AggregateActor.AggregateActor
  readonly scoring: ScoringActor.ScoringActor
  readonly supervisor: ChallengeSupervisor.ChallengeSupervisor
}

export const make = (deps: PipelineDeps): Effect.Effect<RoundPipeline, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const aggregate = yield* AggregateActor.make({
      store: deps.store,
      options: deps.aggregation,
      askTimeoutMs: deps.aggregateAskTimeoutMs ?? 10_000
    })
    const scoring = yield* ScoringActor.make({
      embed: deps.embed,
      score: deps.score,
      aggregate: aggregate.update,
      evaluationTimeoutMs: deps.evaluationTimeoutMs
    })
    const supervisor = yield* ChallengeSupervisor.make({
      ...deps.supervisor,
      transport: deps.transport,
      store: deps.store,
      scoring,
      selection: {
        policy: deps.selection ?? DEFAULT_SELECTION_POLICY,
        performance: aggregate.publishedPerformance,
        group: aggregate.pickGroup
      }
    })
    return { aggregate, scoring, supervisor }
  })
