// The round pipeline in the app's layer graph: the parts the actors get (store, miner transport with the
// reply caps, embedder, scorer, weight submission — each instrumented for the metrics, and timed by the load
// probe when it is on) and actors/RoundPipeline's AggregateActor ← ScoringActor ← ChallengeSupervisor built
// from the config's bounds and policies. Nothing is started here (the supervisor's loops, the jobs and the
// HTTP API are the Validator layer's), so tests and the actor benchmark provide test layers and send their
// challenges themselves.
//   Pipeline ← AppConfig, Store, Embedder, Scorer, World, ChallengeSource, LoadProbe
import { Context, Effect, Layer, Ref } from "effect"
import type { AggregatorOptions } from "../domain/AggregationState.ts"
import * as RoundPipeline from "../../actors/RoundPipeline.ts"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import { Embedder } from "../embeddings/Embedder.ts"
import { DEFAULT_REPLY_CAPS, type ReplyCaps, withReplyCaps } from "../miners/ReplyCaps.ts"
import type { PolicyConfig } from "../scoring/config.ts"
import { Store } from "../store/Store.ts"
import { ChallengeSource } from "./ChallengeSource.ts"
import { LoadProbe } from "./LoadProbe.ts"
import { type Instrumented, instrumentParts } from "./Operator.ts"
import { VALIDATOR_POLICY } from "./Policy.ts"
import { Scorer } from "./Scorer.ts"
import { World } from "./World.ts"

/** The config file's policies with the AGGREGATION / SELECTION overrides of the app config applied. */
export const effectivePolicies = (p: PolicyConfig, config: Pick<AppConfigValues, "AGGREGATION" | "SELECTION">): PolicyConfig => ({
  ...p,
  selection: config.SELECTION === undefined ? p.selection : { ...p.selection, kind: config.SELECTION },
  aggregation: config.AGGREGATION === undefined ? p.aggregation : { ...p.aggregation, kind: config.AGGREGATION }
})

export interface PipelineShape extends RoundPipeline.RoundPipeline {
  /** The instrumented parts the actors were given, and the metrics registry they count into. */
  readonly ops: Instrumented
  readonly policies: PolicyConfig
  /** The aggregate's options (what its stored snapshot is read back with). */
  readonly aggregation: AggregatorOptions
  /** Set by the shutdown drain: the supervisor's challenge tick stops issuing. */
  readonly draining: Ref.Ref<boolean>
  /** The operator's pause switch (POST /set_running), read on every tick; the console sets it once it exists. */
  readonly running: Ref.Ref<Effect.Effect<boolean>>
}

export class Pipeline extends Context.Service<Pipeline, PipelineShape>()("quorum/app/Pipeline") {
  static readonly layer = Layer.effect(
    Pipeline,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const embedder = yield* Embedder
      const scorer = yield* Scorer
      const world = yield* World
      const source = yield* ChallengeSource
      const probe = yield* LoadProbe
      // the bounded caches a load test watches fill beside RSS
      probe.gauge("embed_text_cache", () => Effect.runSync(embedder.stats).cacheSize)
      probe.gauge("novelty_memory", () => Effect.runPromise(scorer.remembered))
      const scorerHeap = scorer.heapBytes
      if (scorerHeap !== undefined) probe.gauge("scorer_heap_mb", () => Effect.runPromise(scorerHeap).then((b) => Math.round(b / 1e5) / 10))
      probe.gauge("embed_worker_heap_mb", () => embedder.workerHeapBytes().then((b) => Math.round(b / 1e5) / 10))
      // the actors get instrumented parts (Prometheus metrics without touching them)
      const ops = instrumentParts({
        store: yield* Store,
        transport: probe.transport(world.transport),
        embedRound: probe.embedRound(embedder.embedRound),
        score: probe.score(scorer.score),
        submitWeights: world.submitWeights,
        now: Date.now,
        model: { name: embedder.model.name, utilisation: embedder.utilisation }
      })
      const running = yield* Ref.make<Effect.Effect<boolean>>(Effect.succeed(true))
      const nextChallenge = (id: string) =>
        Effect.flatMap(Effect.flatten(Ref.get(running)), (on) => (on ? source.next(id) : Effect.succeed(null)))
      const policies = effectivePolicies(scorer.policies, config)
      const draining = yield* Ref.make(false)
      const aggregation: AggregatorOptions = {
        kind: policies.aggregation.kind,
        alpha: config.EMA_ALPHA,
        decay: config.EMA_DECAY,
        groupSize: config.TOURNAMENT_GROUP_SIZE,
        policy: policies.aggregation,
        tierWindow: policies.tiers.window
      }
      const pipeline = yield* RoundPipeline.make({
        store: ops.store,
        transport: withReplyCaps(ops.transport, replyCapsOf(config)),
        embed: ops.embedRound,
        score: ops.score,
        evaluationTimeoutMs: config.EVALUATION_TIMEOUT_SECONDS * 1000,
        aggregation,
        aggregateAskTimeoutMs: VALIDATOR_POLICY.aggregateAskTimeoutMs,
        selection: policies.selection,
        supervisor: {
          draining,
          minMiners: config.MIN_MINERS,
          maxMiners: config.MAX_MINERS,
          timeoutMs: config.CHALLENGE_TIMEOUT_SECONDS * 1000,
          maxConcurrent: config.MAX_CONCURRENT_CHALLENGES,
          excludeHotkeys: world.excludeHotkeys,
          nextChallenge,
          schedule: {
            challengeIntervalMs: config.CHALLENGE_INTERVAL_SECONDS * 1000,
            maxChallenges: config.DEMO_ROUNDS,
            probeIntervalMs: VALIDATOR_POLICY.probeIntervalMs,
            probeDelayMs: VALIDATOR_POLICY.probeDelayMs,
            probeTimeoutMs: VALIDATOR_POLICY.probeTimeoutMs
          }
        }
      })
      return { ...pipeline, ops, policies, aggregation, draining, running }
    })
  )
}

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
