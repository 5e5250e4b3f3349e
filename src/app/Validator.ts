// The running validator, as the last layer of the graph: over the Pipeline (AggregateActor, ScoringActor,
// ChallengeSupervisor with one MinerSession per UID, all fed instrumented parts) it starts the WeightSetter,
// the jobs that belong to no actor (miner refresh, heatmaps, retention), the operator's side and the HTTP
// API, then the supervisor's own loops. Everything is scoped to the layer: closing it stops it cleanly
// (running rounds drain first). A singleton actor that crashes past its restart cap fails `crashed` (the
// program then stops with that error, exit non-zero).
//   Validator ← AppConfig, Pipeline, World, Embedder, Scorer, ChallengeSource
import { Clock, Context, Effect, Layer, Option, PubSub, Ref, Schedule, Stream } from "effect"
import type * as AggregateActor from "../../actors/AggregateActor.ts"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import type { ActorCrashed } from "../../actors/internal/Actor.ts"
import type * as ScoringActor from "../../actors/ScoringActor.ts"
import * as WeightSetter from "../../actors/WeightSetter.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { MinerInfo } from "../domain/Miner.ts"
import type { SubmitFailure } from "../domain/Weights.ts"
import { Embedder } from "../embeddings/Embedder.ts"
import { serve } from "../http/Api.ts"
import type { Metrics } from "../metrics/Metrics.ts"
import { ChallengeSource } from "./ChallengeSource.ts"
import { startHeatmapJob } from "./Heatmaps.ts"
import { startOperator } from "./Operator.ts"
import { Pipeline } from "./Pipeline.ts"
import { VALIDATOR_POLICY } from "./Policy.ts"
import { Scorer } from "./Scorer.ts"
import { ScoringMemory } from "./ScoringMemory.ts"
import { drainRounds } from "./Shutdown.ts"
import type { WatchdogTripped } from "./Watchdog.ts"
import { World } from "./World.ts"

export { effectivePolicies } from "./Pipeline.ts"
export { VALIDATOR_POLICY } from "./Policy.ts"

export interface RunningValidator {
  readonly apiUrl: string
  readonly supervisor: ChallengeSupervisor.ChallengeSupervisor
  readonly scoring: ScoringActor.ScoringActor
  readonly weights: WeightSetter.WeightSetter
  readonly aggregate: AggregateActor.AggregateActor
  /** Fails with the first singleton actor that crashed past its restart cap. */
  readonly crashed: Effect.Effect<never, ActorCrashed>
  /** Rounds evaluated since start. */
  readonly evaluated: Effect.Effect<number>
  /** Challenges issued since start (resumed ones not counted). */
  readonly issued: Effect.Effect<number>
  /** Waits until `n` rounds were evaluated since start. */
  readonly awaitEvaluated: (n: number) => Effect.Effect<void>
  /** Fails when the watchdog gives up on a stalled validator (the program then exits non-zero). */
  readonly watchdog: Effect.Effect<never, WatchdogTripped>
  readonly metrics: Metrics
  /** The Challenge API push listener, when FIBER_PORT is set. */
  readonly fiberUrl: string | null
}

const start = Effect.gen(function* () {
  const config = yield* AppConfig
  const world = yield* World
  const embedder = yield* Embedder
  const scorer = yield* Scorer
  // absent in test graphs that build the Validator without it
  const memory = yield* Effect.serviceOption(ScoringMemory)
  const source = yield* ChallengeSource
  const { aggregate, scoring, supervisor, ops, policies, draining, running } = yield* Pipeline
  const store = ops.store
  const info: Record<string, unknown> = { ...world.info, model: embedder.model.name, scoring: scorer.version }

  yield* startHeatmapJob(scoring.results, {
    dir: config.HEATMAP_DIR,
    render: (input) => embedder.renderHeatmap(input, { png: true, fitWidth: 1200 })
  })
  const weights = yield* WeightSetter.make({
    weights: aggregate.weights.pipe(Effect.mapError((e): SubmitFailure => ({ _tag: e._tag, message: `aggregate not read: ${e._tag}` }))),
    submit: ops.submitWeights,
    intervalMs: config.WEIGHTS_INTERVAL_SECONDS * 1000
  })

  // Evaluated-round counter and the post-round hook, from the scoring actor's results.
  const evaluated = yield* Ref.make(0)
  const results = yield* PubSub.subscribe(scoring.results)
  yield* Effect.forkScoped(
    Effect.forever(
      PubSub.take(results).pipe(
        Effect.tap(() => Ref.update(evaluated, (n) => n + 1)),
        Effect.flatMap(({ round, result }) =>
          source.onResult === undefined
            ? Effect.void
            : source.onResult(round, result).pipe(
                Effect.catch((e) => Effect.logWarning("post-round hook failed", { round: result.roundId, message: e.message }))
              )
        )
      )
    )
  )

  const known = yield* Ref.make<ReadonlyArray<MinerInfo>>([])
  const operatorResults = yield* PubSub.subscribe(scoring.results)
  // the console reads the aggregate's published state (no mailbox wait)
  const publishedWeights = () => Effect.runSync(aggregate.published)
  const operator = yield* startOperator({
    config,
    parts: ops,
    chain: world.chain ?? null,
    supervisor,
    mailboxes: async () => ({
      aggregate: await Effect.runPromise(aggregate.ref.size),
      supervisor: await Effect.runPromise(supervisor.ref.size),
      scoring: await Effect.runPromise(scoring.ref.size),
      weights: await Effect.runPromise(weights.ref.size)
    }),
    results: PubSub.take(operatorResults),
    weights: publishedWeights,
    aggregate: () => Effect.runSync(aggregate.publishedScores),
    performance: () => Effect.runSync(aggregate.publishedPerformance),
    identities: Ref.get(known),
    setNow: weights.setNow,
    lastSubmission: weights.last,
    heatmapDir: config.HEATMAP_DIR,
    name: String(info["hotkey"] ?? info["mode"] ?? "validator"),
    startedAt: Date.now(),
    now: Date.now
  })
  yield* Ref.set(running, operator.running)

  // Miners: read now (before the supervisor resumes rounds), then on a schedule; the aggregate follows registrations.
  const refreshMiners = world.miners.pipe(
    Effect.flatMap((miners) =>
      Effect.gen(function* () {
        yield* Ref.set(known, miners)
        const served = miners.filter((m) => !world.excludeHotkeys.has(m.hotkey))
        yield* aggregate.sync(
          new Map(served.map((m) => [m.uid, m.hotkey])),
          new Map(served.flatMap((m) => (m.stake === undefined ? [] : [[m.uid, m.stake] as const])))
        )
        yield* supervisor.ref.tell(new ChallengeSupervisor.Reconcile(miners))
      })
    ),
    Effect.catch((e) => Effect.logWarning("miner list not refreshed; keeping the previous one", { message: e.message }))
  )
  const refreshMs = VALIDATOR_POLICY.minersRefreshMs[config.QUORUM_MODE]
  yield* refreshMiners
  yield* Effect.forkScoped(refreshMiners.pipe(Effect.repeat(Schedule.spaced(`${refreshMs} millis`)), Effect.delay(`${refreshMs} millis`)))
  if (world.minerChanges !== undefined) {
    yield* Effect.forkScoped(
      world.minerChanges.pipe(
        Stream.tap((change) => Effect.logInfo("registration change", { change: JSON.stringify(change) })),
        Stream.debounce(`${VALIDATOR_POLICY.minerChangeDebounceMs} millis`),
        Stream.runForEach(() => refreshMiners)
      )
    )
  }

  // The supervisor's own loops: resume interrupted rounds, then the challenge tick and the probes.
  yield* supervisor.start

  // Retention: old rounds are pruned on a schedule.
  yield* Effect.forkScoped(
    Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => store.prune(now - config.RETENTION_HOURS * 3600_000)),
      Effect.tap((n) => (n > 0 ? Effect.logInfo("pruned old rounds", { count: n }) : Effect.void)),
      Effect.catch((e) => Effect.logWarning("prune failed", { message: e.message })),
      Effect.repeat(Schedule.spaced(`${VALIDATOR_POLICY.retentionEveryMs} millis`))
    )
  )

  const startedAt = yield* Clock.currentTimeMillis
  const api = yield* serve(
    {
      store,
      startedAt,
      now: Date.now,
      info: () => ({
        ...info,
        aggregation: aggregate.kind,
        selection: policies.selection.kind,
        ...(Option.isSome(memory) ? { scoring_memory: memory.value.status() } : {})
      }),
      miners: supervisor.availability,
      weights: aggregate.published,
      lastSubmission: weights.last,
      heatmapDir: config.HEATMAP_DIR,
      console: operator.routes,
      minerView: Effect.zipWith(operator.minerView, scorer.records.pipe(Effect.orElseSucceed(() => [])), (view, records) => ({ ...view, records: new Map(records) }))
    },
    config.API_HOST,
    config.API_PORT
  )
  // Registered last, so it runs first when the scope closes (before the actors and fibers above stop):
  // no new challenge is issued, running rounds finish within the grace period, the rest are closed;
  // none is left `running`.
  yield* Effect.addFinalizer(() => drainRounds({ store, draining, graceMs: (config.SHUTDOWN_GRACE_SECONDS ?? 15) * 1000 }))
  yield* Effect.logInfo("validator running", {
    api: api.url,
    aggregation: aggregate.kind,
    selection: policies.selection.kind,
    stakeBlend: policies.aggregation.stakeBlend.enabled,
    protocol: world.transport.protocol
  })

  return {
    apiUrl: api.url,
    supervisor,
    scoring,
    weights,
    aggregate,
    watchdog: operator.watchdog,
    metrics: ops.metrics,
    fiberUrl: operator.fiberUrl,
    crashed: Effect.raceAll([aggregate.ref.crashed, scoring.ref.crashed, supervisor.ref.crashed, weights.ref.crashed]),
    evaluated: Ref.get(evaluated),
    issued: supervisor.issued,
    awaitEvaluated: (n: number) =>
      Ref.get(evaluated).pipe(
        Effect.repeat({ schedule: Schedule.spaced(`${VALIDATOR_POLICY.evaluatedPollMs} millis`), until: (k) => k >= n }),
        Effect.asVoid
      )
  } satisfies RunningValidator
})

export class Validator extends Context.Service<Validator, RunningValidator>()("quorum/app/Validator") {
  static readonly layer = Layer.effect(Validator, start)
}
