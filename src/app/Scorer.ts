// The round scorer the ScoringActor runs: the versioned scoring config (SCORING_CONFIG) and the novelty
// memory (earlier answers, kept across rounds) around the pure scoreRound, and the config's policies
// (selection, load balancing, tiers, aggregation) for the actors; `Scorer.layer` reads AppConfig. By default
// the scoring runs in a one-thread worker pool (workers/roundScorer.worker.ts), so its text work never blocks
// the event loop that times miner replies; `inWorker: false` scores on the calling thread (the same results).
import { Context, Duration, Effect, Layer, Schema, type Scope } from "effect"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import { DEFAULT_SCORING_CONFIG_PATH, loadScoringConfig, type ScoringConfigError } from "../domain/ScoringConfig.ts"
import { makeNoveltyMemory, scoreRound } from "../scoring/round.ts"
import { type MemorySnapshot, type RestoreOutcome, restoreMemory, snapshotMemory } from "../scoring/memorySnapshot.ts"
import type { PolicyConfig, ScoringConfig } from "../scoring/config.ts"
import type { RecordSummary } from "../scoring/copyRecord.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import { logThreadPriority, scopedPool, workerEntry } from "../embeddings/WorkerPool.ts"
import type { RoundScorerWorkerData, SavedMemory, SaveMemoryTask, ScoreRoundTask, ThreadPriority } from "../../workers/protocol.ts"

export class ScoreError extends Schema.TaggedError<ScoreError>()("ScoreError", {
  roundId: Schema.String,
  message: Schema.String
}) {}

export interface ScorerShape {
  readonly version: string
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => Effect.Effect<RoundResult, ScoreError>
  /** The config's selection, load-balancing, tier and aggregation policies. */
  readonly policies: PolicyConfig
  /** Where rounds are scored. */
  readonly where: "worker" | "main"
  /** Answers the novelty memory holds now (it is bounded by the config's novelty.capacity). */
  readonly remembered: Effect.Effect<number, ScoreError>
  /** Rounds scored since the scorer started. */
  readonly scoredRounds: Effect.Effect<number, ScoreError>
  /** The novelty memory as a snapshot, taken between rounds (src/app/ScoringMemory.ts saves it). */
  readonly snapshot: Effect.Effect<MemorySnapshot, ScoreError>
  /** Replaces the novelty memory with a snapshot's, or says why it cannot (the memory is then left alone). */
  readonly restore: (s: MemorySnapshot) => Effect.Effect<RestoreOutcome, ScoreError>
  /** Worker only: snapshots the memory and writes it to a database file from the scoring thread itself. */
  readonly saveMemory?: (task: SaveMemoryTask) => Effect.Effect<SavedMemory, ScoreError>
  /** Each hotkey's copy record, summarized (empty when the config keeps none). */
  readonly records: Effect.Effect<ReadonlyArray<readonly [string, RecordSummary]>, ScoreError>
  /** The scoring thread's JS heap in bytes (worker only; the load test samples it beside RSS). */
  readonly heapBytes?: Effect.Effect<number, ScoreError>
}

export interface ScorerOptions {
  /** Score in the one-thread worker pool (default true). */
  readonly inWorker?: boolean
  /** Longest one round may take to score before the call fails (default 60 s). */
  readonly timeoutMs?: number
  /** Nice value of the scoring thread on Linux (default 0: left alone; the app passes WORKER_NICE). */
  readonly nice?: number
  /** Full heap collection in the thread after a round once this many seconds passed since the last (the app passes WORKER_GC_SECONDS). */
  readonly gcIntervalSeconds?: number
}

/** The round-scorer worker inside a compiled binary (scripts/build.ts compiles it as an entry point). */
export const EMBEDDED_ROUND_SCORER_FILE = workerEntry("roundScorer.worker", true)
export const roundScorerFile = (compiled: boolean = Bun.isStandaloneExecutable): string => workerEntry("roundScorer.worker", compiled)

const failure = (round: RoundInput, cause: unknown) =>
  new ScoreError({ roundId: round.id, message: cause instanceof Error ? cause.message : String(cause) })

type Scoring = Pick<ScorerShape, "score" | "remembered" | "heapBytes" | "scoredRounds" | "snapshot" | "restore" | "records" | "saveMemory">

const memoryFailure = (what: string) => (e: unknown) => new ScoreError({ roundId: "", message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

/** Scoring on the calling thread. */
export const inProcessScore = (scoring: ScoringConfig): Scoring => {
  const memory = makeNoveltyMemory(scoring)
  let rounds = 0
  return {
    score: (round, emb) =>
      Effect.try({ try: () => scoreRound(round, emb, scoring, memory), catch: (e) => failure(round, e) }).pipe(Effect.tap(() => Effect.sync(() => void rounds++))),
    remembered: Effect.sync(() => memory.size),
    scoredRounds: Effect.sync(() => rounds),
    snapshot: Effect.try({ try: () => snapshotMemory(memory, scoring), catch: memoryFailure("memory snapshot not taken") }),
    restore: (s) => Effect.try({ try: () => restoreMemory(memory, s, scoring), catch: memoryFailure("memory not restored") }),
    records: Effect.sync(() => (scoring.novelty.copyRecord === undefined ? [] : memory.copyRecord.summaries(scoring.novelty.copyRecord)))
  }
}

/** Scoring in a one-thread Piscina pool (closed with the scope; a running round is finished first). */
export const workerScore = (scoring: ScoringConfig, timeoutMs: number, nice?: number, gcIntervalSeconds?: number) =>
  Effect.gen(function* () {
    const workerData: RoundScorerWorkerData = {
      config: scoring,
      ...(nice === undefined ? {} : { nice }),
      ...(gcIntervalSeconds === undefined ? {} : { gcIntervalSeconds })
    }
    const pool = yield* scopedPool(roundScorerFile(), 1, workerData)
    if (nice !== undefined) {
      const applied = yield* Effect.promise(() => (pool.run(null, { name: "priority" }) as Promise<ThreadPriority>).catch(() => null))
      yield* logThreadPriority("round scorer", [applied])
    }
    const score = (round: RoundInput, emb: RoundEmbeddings): Effect.Effect<RoundResult, ScoreError> => {
      const task: ScoreRoundTask = { round, embeddings: emb }
      // no abort signal: a round past its deadline fails here and its result is dropped; the thread (and the
      // memory it holds) stays
      return Effect.tryPromise({ try: () => pool.run(task, { name: "score" }) as Promise<RoundResult>, catch: (e) => failure(round, e) }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMs),
          orElse: () => Effect.fail(new ScoreError({ roundId: round.id, message: `scoring took longer than ${timeoutMs} ms` }))
        })
      )
    }
    const remembered = Effect.tryPromise({
      try: () => pool.run(null, { name: "memorySize" }) as Promise<number>,
      catch: (e) => new ScoreError({ roundId: "", message: `memory size not read: ${String(e)}` })
    })
    const heapBytes = Effect.tryPromise({
      try: () => pool.run(null, { name: "heapUsed" }) as Promise<number>,
      catch: (e) => new ScoreError({ roundId: "", message: `heap not read: ${String(e)}` })
    })
    // queued behind at most the round being scored: the same bound as a round
    const call = <A>(name: string, what: string, arg: unknown = null) =>
      Effect.tryPromise({ try: () => pool.run(arg, { name }) as Promise<A>, catch: memoryFailure(what) }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMs),
          orElse: () => Effect.fail(new ScoreError({ roundId: "", message: `${what}: the scoring thread did not answer within ${timeoutMs} ms` }))
        })
      )
    return {
      score,
      remembered,
      heapBytes,
      scoredRounds: call<number>("scoredRounds", "rounds scored not read"),
      snapshot: call<MemorySnapshot>("snapshot", "memory snapshot not taken"),
      restore: (s: MemorySnapshot) => call<RestoreOutcome>("restore", "memory not restored", s),
      records: call<ReadonlyArray<readonly [string, RecordSummary]>>("records", "copy records not read"),
      saveMemory: (task: SaveMemoryTask) => call<SavedMemory>("saveMemory", "memory not saved", task)
    } satisfies Scoring
  })

export const makeScorer = (
  config: Pick<AppConfigValues, "SCORING_CONFIG">,
  options: ScorerOptions = {}
): Effect.Effect<ScorerShape, ScoringConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const path = config.SCORING_CONFIG ?? DEFAULT_SCORING_CONFIG_PATH
    const scoring = yield* loadScoringConfig(path)
    const where = options.inWorker === false ? "main" : "worker"
    const { heapBytes, saveMemory, ...ops } = where === "main" ? inProcessScore(scoring) : yield* workerScore(scoring, options.timeoutMs ?? 60_000, options.nice, options.gcIntervalSeconds)
    yield* Effect.logInfo("scoring config loaded", { path, version: String(scoring.version), scoring: where === "worker" ? "worker thread" : "main thread" })
    return { version: String(scoring.version), ...ops, ...(heapBytes === undefined ? {} : { heapBytes }), ...(saveMemory === undefined ? {} : { saveMemory }), policies: scoring.policies, where } satisfies ScorerShape
  })

export class Scorer extends Context.Service<Scorer, ScorerShape>()("quorum/app/Scorer") {
  static readonly layer = Layer.effect(Scorer, Effect.flatMap(Effect.service(AppConfig), (config) => makeScorer(config, { nice: config.WORKER_NICE, gcIntervalSeconds: config.WORKER_GC_SECONDS })))
}
