// The running validator: starts the actors (AggregateActor, ScoringActor, ChallengeSupervisor with one
// MinerSession per UID, WeightSetter) over the store, the embedder, the scorer, a miner transport, a miner
// list (metagraph or the simulated registry), a challenge source (synthetic corpus or the Challenge API)
// and a weight submitter; then the jobs that belong to no actor (miner refresh, heatmaps, retention) and
// the operator API. Everything here is scoped: closing the scope stops it cleanly. A singleton actor that
// crashes past its restart cap fails `crashed` (the program then stops with that error, exit non-zero).
import { Clock, Effect, PubSub, Ref, Schedule, Stream } from "effect"
import type * as AggregateActor from "../../actors/AggregateActor.ts"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import type { ActorCrashed } from "../../actors/internal/Actor.ts"
import * as RoundPipeline from "../../actors/RoundPipeline.ts"
import type * as ScoringActor from "../../actors/ScoringActor.ts"
import * as WeightSetter from "../../actors/WeightSetter.ts"
import type { AppConfigValues } from "../config/AppConfig.ts"
import type { Challenge } from "../domain/Challenge.ts"
import type { MinerInfo } from "../domain/Miner.ts"
import type { SubmitFailure } from "../domain/Weights.ts"
import { serve } from "../http/Api.ts"
import { DEFAULT_REPLY_CAPS, type ReplyCaps, withReplyCaps } from "../miners/ReplyCaps.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import type { PolicyConfig } from "../scoring/config.ts"
import { DEFAULT_POLICIES } from "../scoring/tasks.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import type { ChainProbe } from "../chain/ChainProbe.ts"
import type { Metrics } from "../metrics/Metrics.ts"
import { type RenderHeatmap, startHeatmapJob } from "./Heatmaps.ts"
import { instrumentParts, startOperator } from "./Operator.ts"
import { drainRounds } from "./Shutdown.ts"
import type { WatchdogTripped } from "./Watchdog.ts"

/** The config file's policies with the AGGREGATION / SELECTION overrides of the app config applied. */
export const effectivePolicies = (p: PolicyConfig, config: Pick<AppConfigValues, "AGGREGATION" | "SELECTION">): PolicyConfig => ({
  ...p,
  selection: config.SELECTION === undefined ? p.selection : { ...p.selection, kind: config.SELECTION },
  aggregation: config.AGGREGATION === undefined ? p.aggregation : { ...p.aggregation, kind: config.AGGREGATION }
})

/** Policy of the jobs and actors started here (named, not inline). */
export const VALIDATOR_POLICY = {
  /** Registration events closer than this reconcile once. */
  minerChangeDebounceMs: 500,
  probeIntervalMs: 60_000,
  probeDelayMs: 2_000,
  probeTimeoutMs: 5_000,
  retentionEveryMs: 3_600_000,
  aggregateAskTimeoutMs: 10_000,
  /** How often awaitEvaluated looks at the counter. */
  evaluatedPollMs: 100
} as const

export interface ValidatorParts {
  readonly config: AppConfigValues
  readonly store: StoreShape
  readonly embedRound: (round: RoundInput) => Effect.Effect<RoundEmbeddings, { readonly message: string }>
  /** Heatmap SVG + PNG built off the main thread; without it the SVG is built here and no PNG is written. */
  readonly renderHeatmap?: RenderHeatmap
  /** Scores a round (the Scorer: a worker thread by default). */
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => Effect.Effect<RoundResult, { readonly message: string }>
  /** Selection, load balancing, tiers and aggregation (the scoring config's `policies`; default: today's). */
  readonly policies?: PolicyConfig
  readonly transport: MinerTransport
  /** The registered miners with served axons (metagraph snapshot or the simulated registry). */
  readonly miners: Effect.Effect<ReadonlyArray<MinerInfo>, { readonly message: string }>
  /** How often `miners` is read again (ms). */
  readonly minersRefreshMs: number
  /** Hotkeys never queried (this validator). */
  readonly excludeHotkeys: ReadonlySet<string>
  /** Registration changes: each one reconciles the miner sessions at once. */
  readonly minerChanges?: Stream.Stream<unknown>
  readonly submitWeights: WeightSetter.Deps["submit"]
  /** The next challenge (null: none available now). */
  readonly nextChallenge: (id: string) => Effect.Effect<Challenge | null, { readonly message: string }>
  /** Called after each evaluated round (e.g. posting results to the Challenge API); failures are logged. */
  readonly onResult?: (round: RoundInput, result: RoundResult) => Effect.Effect<void, { readonly message: string }>
  readonly info: Record<string, unknown>
  /** Stop issuing challenges after this many (0 = unbounded). */
  readonly maxChallenges: number
  /** Chain status and validator weights for the console (absent without a chain). */
  readonly chain?: ChainProbe
  /** The embedding model (metrics: model loaded, worker-pool utilisation). */
  readonly model?: { readonly name: string; readonly utilisation?: () => number }
}

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

export const runValidator = (parts: ValidatorParts) =>
  Effect.gen(function* () {
    const { config } = parts
    // the actors get instrumented parts (Prometheus metrics without touching them)
    const ops = instrumentParts({
      store: parts.store,
      transport: parts.transport,
      embedRound: parts.embedRound,
      score: parts.score,
      submitWeights: parts.submitWeights,
      now: Date.now,
      ...(parts.model === undefined ? {} : { model: parts.model })
    })
    const store = ops.store
    // paused by the operator (POST /set_running): the supervisor's tick gets no challenge; the operator
    // console is started after the actors, so the switch is read through this holder
    const running = { now: Effect.succeed(true) as Effect.Effect<boolean> }
    const nextChallenge = (id: string) =>
      Effect.flatMap(Effect.suspend(() => running.now), (on) => (on ? parts.nextChallenge(id) : Effect.succeed(null)))
    const policies = effectivePolicies(parts.policies ?? DEFAULT_POLICIES, config)
    // set by the shutdown drain (below): the supervisor's challenge tick stops issuing
    const draining = yield* Ref.make(false)
    const { aggregate, scoring, supervisor } = yield* RoundPipeline.make({
      store,
      transport: withReplyCaps(ops.transport, replyCapsOf(config)),
      embed: ops.embedRound,
      score: ops.score,
      evaluationTimeoutMs: config.EVALUATION_TIMEOUT_SECONDS * 1000,
      aggregation: {
        kind: policies.aggregation.kind,
        alpha: config.EMA_ALPHA,
        decay: config.EMA_DECAY,
        groupSize: config.TOURNAMENT_GROUP_SIZE,
        policy: policies.aggregation,
        tierWindow: policies.tiers.window
      },
      aggregateAskTimeoutMs: VALIDATOR_POLICY.aggregateAskTimeoutMs,
      selection: policies.selection,
      supervisor: {
        draining,
        minMiners: config.MIN_MINERS,
        maxMiners: config.MAX_MINERS,
        timeoutMs: config.CHALLENGE_TIMEOUT_SECONDS * 1000,
        maxConcurrent: config.MAX_CONCURRENT_CHALLENGES,
        excludeHotkeys: parts.excludeHotkeys,
        nextChallenge,
        schedule: {
          challengeIntervalMs: config.CHALLENGE_INTERVAL_SECONDS * 1000,
          maxChallenges: parts.maxChallenges,
          probeIntervalMs: VALIDATOR_POLICY.probeIntervalMs,
          probeDelayMs: VALIDATOR_POLICY.probeDelayMs,
          probeTimeoutMs: VALIDATOR_POLICY.probeTimeoutMs
        }
      }
    })
    yield* startHeatmapJob(scoring.results, {
      dir: config.HEATMAP_DIR,
      ...(parts.renderHeatmap === undefined ? {} : { render: parts.renderHeatmap })
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
            parts.onResult === undefined
              ? Effect.void
              : parts.onResult(round, result).pipe(
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
      chain: parts.chain ?? null,
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
      name: String(parts.info["hotkey"] ?? parts.info["mode"] ?? "validator"),
      startedAt: Date.now(),
      now: Date.now
    })
    running.now = operator.running

    // Miners: read now (before the supervisor resumes rounds), then on a schedule; the aggregate follows registrations.
    const refreshMiners = parts.miners.pipe(
      Effect.flatMap((miners) =>
        Effect.gen(function* () {
          yield* Ref.set(known, miners)
          const served = miners.filter((m) => !parts.excludeHotkeys.has(m.hotkey))
          yield* aggregate.sync(
            new Map(served.map((m) => [m.uid, m.hotkey])),
            new Map(served.flatMap((m) => (m.stake === undefined ? [] : [[m.uid, m.stake] as const])))
          )
          yield* supervisor.ref.tell(new ChallengeSupervisor.Reconcile(miners))
        })
      ),
      Effect.catch((e) => Effect.logWarning("miner list not refreshed; keeping the previous one", { message: e.message }))
    )
    yield* refreshMiners
    yield* Effect.forkScoped(refreshMiners.pipe(Effect.repeat(Schedule.spaced(`${parts.minersRefreshMs} millis`)), Effect.delay(`${parts.minersRefreshMs} millis`)))
    if (parts.minerChanges !== undefined) {
      yield* Effect.forkScoped(
        parts.minerChanges.pipe(
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
        info: () => ({ ...parts.info, aggregation: aggregate.kind, selection: policies.selection.kind }),
        miners: supervisor.availability,
        weights: aggregate.published,
        lastSubmission: weights.last,
        heatmapDir: config.HEATMAP_DIR,
        console: operator.routes,
        minerView: operator.minerView
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
      protocol: parts.transport.protocol
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

/** The per-field reply caps from the config (defaults where a hand-built config lacks them). */
const replyCapsOf = (c: Partial<AppConfigValues>): ReplyCaps => ({
  ...DEFAULT_REPLY_CAPS,
  maxTextChars: c.REPLY_MAX_TEXT_CHARS ?? DEFAULT_REPLY_CAPS.maxTextChars,
  maxFinishReasonChars: c.REPLY_MAX_FINISH_REASON_CHARS ?? DEFAULT_REPLY_CAPS.maxFinishReasonChars,
  maxToolCalls: c.REPLY_MAX_TOOL_CALLS ?? DEFAULT_REPLY_CAPS.maxToolCalls,
  maxToolNameChars: c.REPLY_MAX_TOOL_NAME_CHARS ?? DEFAULT_REPLY_CAPS.maxToolNameChars,
  maxToolArgumentsChars: c.REPLY_MAX_TOOL_ARGS_CHARS ?? DEFAULT_REPLY_CAPS.maxToolArgumentsChars,
  maxTokens: c.REPLY_MAX_TOKENS ?? DEFAULT_REPLY_CAPS.maxTokens
})
