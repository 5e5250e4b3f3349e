// The running validator: wires the actors (ChallengeSupervisor, one MinerSession per UID, ScoringActor,
// WeightSetter) to the store, the embedder, the scorer, a miner transport, a miner list (metagraph or the
// simulated registry), a challenge source (synthetic corpus or the Challenge API) and a weight submitter,
// and serves the operator API. Everything here is scoped: closing the scope stops it cleanly.
import { randomUUID } from "node:crypto"
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, PubSub, Queue, Ref, Schedule, Schema, Stream } from "effect"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import * as ScoringActor from "../../actors/ScoringActor.ts"
import * as WeightSetter from "../../actors/WeightSetter.ts"
import type { AppConfigValues } from "../config/AppConfig.ts"
import { safeName, serve } from "../http/Api.ts"
import { DEFAULT_REPLY_CAPS, type ReplyCaps, withReplyCaps } from "../miners/ReplyCaps.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import { type HeatmapInput, heatmapSvg } from "../scoring/heatmap.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import { type AggregatorOptions, type AppAggregator, loadAggregator } from "./Aggregator.ts"
import { drainRounds } from "./Shutdown.ts"

export interface ValidatorParts {
  readonly config: AppConfigValues
  readonly store: StoreShape
  readonly embedRound: (round: RoundInput) => Effect.Effect<RoundEmbeddings, { readonly message: string }>
  /** Heatmap SVG + PNG built off the main thread; without it the SVG is built here and no PNG is written. */
  readonly renderHeatmap?: (
    input: HeatmapInput
  ) => Effect.Effect<{ readonly svg: string; readonly png: Uint8Array | null }, { readonly message: string }>
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => RoundResult
  readonly transport: MinerTransport
  /** The registered miners with served axons (metagraph snapshot or the simulated registry). */
  readonly miners: Effect.Effect<ReadonlyArray<ChallengeSupervisor.MinerInfo>, { readonly message: string }>
  /** How often `miners` is read again (ms). */
  readonly minersRefreshMs: number
  /** Hotkeys never queried (this validator). */
  readonly excludeHotkeys: ReadonlySet<string>
  /** Registration changes: each one reconciles the miner sessions at once. */
  readonly minerChanges?: Stream.Stream<unknown>
  readonly submitWeights: WeightSetter.Deps["submit"]
  /** The next challenge (null: none available now). */
  readonly nextChallenge: (id: string) => Effect.Effect<ChallengeSupervisor.Challenge | null, { readonly message: string }>
  /** Called after each evaluated round (e.g. posting results to the Challenge API); failures are logged. */
  readonly onResult?: (round: RoundInput, result: RoundResult) => Effect.Effect<void, { readonly message: string }>
  readonly info: Record<string, unknown>
  readonly now: () => number
  readonly random: () => number
  /** Stop issuing challenges after this many (0 = unbounded). */
  readonly maxChallenges: number
}

export interface RunningValidator {
  readonly apiUrl: string
  readonly supervisor: ChallengeSupervisor.ChallengeSupervisor
  readonly scoring: ScoringActor.ScoringActor
  readonly weights: WeightSetter.WeightSetter
  readonly aggregator: AppAggregator
  /** Rounds evaluated since start. */
  readonly evaluated: Effect.Effect<number>
  /** Challenges issued since start (resumed ones not counted). */
  readonly issued: Effect.Effect<number>
  /** Waits until `n` rounds were evaluated since start. */
  readonly awaitEvaluated: (n: number) => Effect.Effect<void>
}

const HEATMAPS_KEPT = 200

const challengeFromRow = Schema.decodeUnknownExit(Schema.fromJsonString(ChallengeSupervisor.ChallengeSchema))

export const runValidator = (parts: ValidatorParts) =>
  Effect.gen(function* () {
    const { config, store } = parts
    const aggOptions: AggregatorOptions = {
      kind: config.AGGREGATION,
      alpha: config.EMA_ALPHA,
      decay: config.EMA_DECAY,
      groupSize: config.TOURNAMENT_GROUP_SIZE
    }
    const aggregator = yield* loadAggregator(store, aggOptions)

    // Heatmaps: the matrix is captured when a round is scored and rendered by a background fiber (SVG and
    // PNG built in the worker pool). A full queue drops heatmaps, never rounds.
    const heatmaps = yield* Queue.dropping<{ round: RoundInput; emb: RoundEmbeddings; result: RoundResult }>(16)
    const heatmapDir = config.HEATMAP_DIR
    const score = (round: RoundInput, emb: RoundEmbeddings): RoundResult => {
      const result = parts.score(round, emb)
      if (round.responses.length >= 2) Queue.offerUnsafe(heatmaps, { round, emb, result })
      return result
    }
    const renderHeatmap = ({ round, emb, result }: { round: RoundInput; emb: RoundEmbeddings; result: RoundResult }) =>
      Effect.gen(function* () {
        const input = {
          similarity: emb.similarity,
          n: round.responses.length,
          labels: round.responses.map((r) => String(r.uid)),
          title: `round ${round.id} · ${round.taskType}`,
          clusters: result.clusters
        }
        // built and rasterized in the worker pool when there is one (a 256-answer SVG is ~5 MB of markup)
        const { svg, png } = parts.renderHeatmap !== undefined ? yield* parts.renderHeatmap(input) : { svg: heatmapSvg(input), png: null }
        const base = join(heatmapDir, safeName(round.id))
        yield* Effect.sync(() => {
          mkdirSync(heatmapDir, { recursive: true })
          writeFileSync(`${base}.svg`, svg)
          if (png !== null) writeFileSync(`${base}.png`, png)
          pruneDir(heatmapDir, HEATMAPS_KEPT)
        })
      }).pipe(
        Effect.catchCause((cause) => Effect.logWarning("heatmap not written", { round: round.id, cause: String(cause) }))
      )
    yield* Effect.forkScoped(Effect.forever(Queue.take(heatmaps).pipe(Effect.flatMap(renderHeatmap))))

    const scoring = yield* ScoringActor.make({
      embed: parts.embedRound,
      score,
      store,
      aggregator,
      now: parts.now,
      evaluationTimeoutMs: config.EVALUATION_TIMEOUT_SECONDS * 1000
    })
    const supervisor = yield* ChallengeSupervisor.make({
      transport: withReplyCaps(parts.transport, replyCapsOf(config)),
      store,
      scoring,
      minMiners: config.MIN_MINERS,
      maxMiners: config.MAX_MINERS,
      timeoutMs: config.CHALLENGE_TIMEOUT_SECONDS * 1000,
      maxConcurrent: config.MAX_CONCURRENT_CHALLENGES,
      excludeHotkeys: parts.excludeHotkeys,
      now: parts.now,
      random: parts.random,
      select: aggregator.pickGroup
    })
    const weights = yield* WeightSetter.make({
      aggregator,
      submit: parts.submitWeights,
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

    // Miners: read now (before resuming rounds), then on a schedule; the aggregator follows registrations.
    const refreshMiners = parts.miners.pipe(
      Effect.flatMap((miners) =>
        Effect.gen(function* () {
          aggregator.sync(new Map(miners.filter((m) => !parts.excludeHotkeys.has(m.hotkey)).map((m) => [m.uid, m.hotkey])))
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
          Stream.debounce("500 millis"),
          Stream.runForEach(() => refreshMiners)
        )
      )
    }

    // Rounds received before a restart and never evaluated are resumed (nothing received is lost).
    const unfinished = yield* store.unfinishedChallenges()
    for (const row of unfinished) {
      const decoded = challengeFromRow(row.payload)
      if (Exit.isFailure(decoded)) {
        yield* Effect.logWarning("stored challenge unreadable; marked failed", { challenge: row.id })
        yield* store.setChallengeStatus(row.id, "failed", parts.now())
        continue
      }
      yield* supervisor.ref.tell(new ChallengeSupervisor.Resume(decoded.value))
    }
    if (unfinished.length > 0) yield* Effect.logInfo("resuming unfinished rounds", { count: unfinished.length })

    // Challenges: one per interval (the first at once), bounded by maxChallenges when set.
    const issued = yield* Ref.make(0)
    const draining = yield* Ref.make(false)
    const issueOne = Effect.gen(function* () {
      if (yield* Ref.get(draining)) return
      if (parts.maxChallenges > 0 && (yield* Ref.get(issued)) >= parts.maxChallenges) return
      const challenge = yield* parts.nextChallenge(randomUUID())
      if (challenge === null) return
      yield* Ref.update(issued, (n) => n + 1)
      yield* supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(challenge))
    }).pipe(Effect.catch((e) => Effect.logWarning("no challenge this tick", { message: e.message })))
    yield* Effect.forkScoped(issueOne.pipe(Effect.repeat(Schedule.spaced(`${config.CHALLENGE_INTERVAL_SECONDS * 1000} millis`))))

    // Availability probes (GET /availability, signed): a miner that says it is unavailable is rarely picked.
    yield* Effect.forkScoped(
      supervisor.probeAll(5_000).pipe(Effect.repeat(Schedule.spaced("60 seconds")), Effect.delay("2 seconds"))
    )

    // Retention: old rounds are pruned hourly.
    yield* Effect.forkScoped(
      Effect.suspend(() => store.prune(parts.now() - config.RETENTION_HOURS * 3600_000)).pipe(
        Effect.tap((n) => (n > 0 ? Effect.logInfo("pruned old rounds", { count: n }) : Effect.void)),
        Effect.catch((e) => Effect.logWarning("prune failed", { message: e.message })),
        Effect.repeat(Schedule.spaced("1 hour"))
      )
    )

    const api = yield* serve(
      {
        store,
        startedAt: parts.now(),
        now: parts.now,
        info: () => ({ ...parts.info, aggregation: aggregator.kind }),
        miners: supervisor.availability,
        weights: aggregator.weights,
        lastSubmission: weights.last,
        heatmapDir
      },
      config.API_HOST,
      config.API_PORT
    )
    // Registered last, so it runs first when the scope closes (before the actors and fibers above stop):
    // running rounds finish within the grace period, the rest are closed; none is left `running`.
    yield* Effect.addFinalizer(() =>
      drainRounds({ store, draining, graceMs: (config.SHUTDOWN_GRACE_SECONDS ?? 15) * 1000, now: parts.now })
    )
    yield* Effect.logInfo("validator running", { api: api.url, aggregation: aggregator.kind, protocol: parts.transport.protocol })

    return {
      apiUrl: api.url,
      supervisor,
      scoring,
      weights,
      aggregator,
      evaluated: Ref.get(evaluated),
      issued: Ref.get(issued),
      awaitEvaluated: (n: number) =>
        Ref.get(evaluated).pipe(
          Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (k) => k >= n }),
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

/** Keeps the newest `keep` heatmap pairs in `dir`. */
const pruneDir = (dir: string, keep: number) => {
  const files = readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && /\.(svg|png)$/.test(f.name))
  if (files.length <= keep * 2) return
  const byStem = new Map<string, number>()
  for (const f of files) {
    const stem = f.name.replace(/\.(svg|png)$/, "")
    const t = Bun.file(join(dir, f.name)).lastModified
    byStem.set(stem, Math.max(byStem.get(stem) ?? 0, t))
  }
  const old = [...byStem].sort((a, b) => b[1] - a[1]).slice(keep)
  for (const [stem] of old) for (const ext of [".svg", ".png"]) rmSync(join(dir, stem + ext), { force: true })
}
