// The validator program: config → logging → store → embedder → scorer → world (demo: simulated miners and,
// when the fixture exists, the local subtensor; live: the configured chain, wallet and metagraph) →
// actors + HTTP API. With DEMO_ROUNDS > 0 it stops after that many evaluated rounds, sets weights once and
// prints a one-line JSON summary on stdout.
import { resolve as resolvePath } from "node:path"
import { Clock, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import type { Challenge } from "../domain/Challenge.ts"
import { type AppConfigValues, configHelp, dbSynchronous, loadConfig } from "../config/AppConfig.ts"
import { Embedder } from "../embeddings/Embedder.ts"
import { loadCorpus } from "../challenges/Corpus.ts"
import { openDatabase, makeStore } from "../store/Store.ts"
import * as ChallengeApi from "../challenges/ChallengeApi.ts"
import { demoWorld, freshDemoDatabase, withDemoDefaults } from "./Demo.ts"
import { makeAlerter } from "./Alerts.ts"
import { withLogging } from "./Logging.ts"
import { makeLoadProbe } from "./LoadProbe.ts"
import { makeScorer } from "./Scorer.ts"
import { makeSyntheticSource } from "../challenges/Synthetic.ts"
import { runValidator } from "./Validator.ts"
import { chainForDemo, chainForLive } from "./ChainWorld.ts"
import { dryRunWeights, type World } from "./World.ts"

export class StartupError extends Schema.TaggedError<StartupError>()("StartupError", {
  stage: Schema.String,
  message: Schema.String
}) {}

/** Startup policy: the Challenge API's per-call deadline and how often the miner list is read again. */
export const MAIN_POLICY = {
  challengeApiTimeoutMs: 30_000,
  minersRefreshMs: { demo: 30_000, live: 120_000 }
} as const

export const usage = `usage: bun run validator [--key value ...]   (every key also reads from the environment and .env)

Modes: QUORUM_MODE=demo (default: simulated miners on 127.0.0.1, local subtensor when its fixture exists)
       QUORUM_MODE=live (SUBTENSOR_NETWORK/SUBTENSOR_ADDRESS, WALLET_NAME/HOTKEY_NAME, real miners)

Keys:
${configHelp()}`

const openStore = (path: string, synchronous: ReturnType<typeof dbSynchronous>) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const db = openDatabase(path, { synchronous })
        return { db, store: makeStore(db) }
      },
      catch: (e) => new StartupError({ stage: "store", message: `cannot open DB_PATH=${path}: ${String(e)}; check the path is writable` })
    }),
    ({ db }) => Effect.sync(() => db.close())
  )

/** The world the validator runs in: miners, transport, identity, weights path. */
const worldOf = (config: AppConfigValues, store: ReturnType<typeof makeStore>, db: ReturnType<typeof openDatabase>) =>
  Effect.gen(function* () {
    if (config.QUORUM_MODE === "live") return yield* chainForLive(config, db)
    const demo = yield* demoWorld(config)
    const chain = yield* chainForDemo(config, demo, db)
    if (chain !== null) return chain
    yield* Effect.logWarning(
      "demo without a chain: ../shared/fixtures/subtensor not found (or DEMO_CHAIN=off); weights are computed with the SDK's rules and stored, not submitted"
    )
    const world: World = {
      signer: demo.signer,
      transport: demo.transport,
      miners: Effect.succeed(demo.miners),
      excludeHotkeys: new Set([demo.signer.ss58]),
      submitWeights: dryRunWeights(store, demo.miners.length),
      info: { mode: "demo", chain: "none", miners: demo.miners.length }
    }
    return world
  })

export const program = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const config = withDemoDefaults(yield* loadConfig(argv))
    return yield* withLogging(config)(Effect.scoped(run(config)))
  })

const run = (config: AppConfigValues) =>
  Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    yield* freshDemoDatabase(config)
    const probe = config.LOAD_PROBE_FILE === undefined ? null : yield* makeLoadProbe(config.LOAD_PROBE_FILE)
    const opened = yield* openStore(config.DB_PATH, dbSynchronous(config))
    const db = opened.db
    const store = probe === null ? opened.store : probe.store(opened.store)
    yield* Effect.logInfo("storage", { db: resolvePath(config.DB_PATH), heatmaps: resolvePath(config.HEATMAP_DIR) })
    yield* Effect.addFinalizer(() =>
      Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) => Effect.logInfo("validator shutting down", { uptime_s: Math.round((now - startedAt) / 1000), db: resolvePath(config.DB_PATH) }))
      )
    )
    const scorer = yield* makeScorer(config)
    const modelAlert = makeAlerter({ url: config.ALERT_WEBHOOK_URL, cooldownMs: 0 })
    const embedder = Context.get(
      yield* Layer.build(
        Embedder.layer({
          modelPath: config.MODEL_PATH,
          modelRepo: config.MODEL_REPO,
          cacheDir: config.MODEL_CACHE_DIR,
          poolSize: config.EMBED_POOL_SIZE,
          intraOpThreads: config.EMBED_INTRA_OP_THREADS,
          quantized: config.EMBED_QUANTIZED === undefined ? undefined : config.EMBED_QUANTIZED === "true",
          maxWindows: config.EMBED_MAX_WINDOWS,
          device: config.EMBED_DEVICE,
          remote:
            config.EMBED_BACKEND === "openai" && config.EMBED_API_URL !== undefined && config.EMBED_API_MODEL !== undefined
              ? {
                  url: config.EMBED_API_URL,
                  model: config.EMBED_API_MODEL,
                  apiKey: config.EMBED_API_KEY === undefined ? undefined : Redacted.value(config.EMBED_API_KEY),
                  batchSize: config.EMBED_API_BATCH,
                  timeoutMs: config.EMBED_API_TIMEOUT_SECONDS * 1000
                }
              : undefined
        })
      ).pipe(Effect.tapError((e) => modelAlert.alert("model_missing", `embedding model not loaded: ${e.message}`))),
      Embedder
    )
    yield* Effect.logInfo("embedding model ready", { model: embedder.model.name, dim: embedder.model.dim, source: embedder.model.source, dir: embedder.model.dir })
    const world = yield* worldOf(config, store, db)

    const synthetic = makeSyntheticSource(loadCorpus(config.DEMO_CORPUS_FILE), { seed: config.DEMO_SEED })
    const api =
      config.CHALLENGE_API_URL === undefined
        ? null
        : ChallengeApi.make({
            baseUrl: config.CHALLENGE_API_URL,
            apiKey: config.CHALLENGE_API_KEY,
            apiHotkey: config.CHALLENGE_API_HOTKEY,
            signer: world.signer,
            timeoutMs: MAIN_POLICY.challengeApiTimeoutMs,
            now: Date.now
          })
    const nextChallenge = (id: string): Effect.Effect<Challenge | null, { readonly message: string }> =>
      api === null ? Effect.sync(() => synthetic.next(id)) : api.pull

    const v = yield* runValidator({
      config,
      store,
      embedRound: probe === null ? embedder.embedRound : probe.embedRound(embedder.embedRound),
      renderHeatmap: (input) => embedder.renderHeatmap(input, { png: true, fitWidth: 1200 }),
      score: probe === null ? scorer.score : probe.score(scorer.score),
      policies: scorer.policies,
      transport: probe === null ? world.transport : probe.transport(world.transport),
      miners: world.miners,
      minersRefreshMs: MAIN_POLICY.minersRefreshMs[config.QUORUM_MODE],
      excludeHotkeys: world.excludeHotkeys,
      ...(world.minerChanges === undefined ? {} : { minerChanges: world.minerChanges }),
      submitWeights: world.submitWeights,
      nextChallenge,
      ...(api === null ? {} : { onResult: api.postResults }),
      info: { ...world.info, model: embedder.model.name, scoring: scorer.version },
      maxChallenges: config.DEMO_ROUNDS,
      ...(world.chain === undefined ? {} : { chain: world.chain }),
      model: { name: embedder.model.name, utilisation: embedder.utilisation }
    })

    // runs until stopped; the watchdog ends it with a non-zero exit when the validator stalls, and a singleton
    // actor past its restart cap stops the program with its error (exit non-zero: the process manager restarts it)
    if (config.DEMO_ROUNDS === 0) return yield* Effect.raceFirst(v.watchdog, v.crashed)
    // bounded run: wait for the rounds (each has the miner deadline + scoring), then set weights once
    const perRound = config.CHALLENGE_INTERVAL_SECONDS + config.CHALLENGE_TIMEOUT_SECONDS + config.EVALUATION_TIMEOUT_SECONDS
    const done = yield* Effect.raceFirst(
      v.awaitEvaluated(config.DEMO_ROUNDS).pipe(Effect.timeoutOption(Duration.seconds(perRound * config.DEMO_ROUNDS + 30))),
      v.crashed
    )
    const evaluated = yield* v.evaluated
    if (Option.isNone(done)) yield* Effect.logWarning("demo stopped before all rounds were evaluated", { evaluated, wanted: config.DEMO_ROUNDS })
    const submission = yield* v.weights.setNow.pipe(
      Effect.map((o) => (o === null ? null : { ok: true, kind: o.kind, block: o.blockHash, miners: o.uids.length })),
      Effect.catch((e) => Effect.succeed({ ok: false, error: e._tag, message: "message" in e ? e.message : String(e) }))
    )
    const stats = yield* store.stats()
    const summary = {
      mode: config.QUORUM_MODE,
      rounds: evaluated,
      challenges: stats.challenges,
      responses: stats.responses,
      evaluations: stats.evaluations,
      weights: yield* v.aggregate.weights.pipe(Effect.orElseSucceed(() => [])),
      submission,
      api: v.apiUrl,
      seconds: Math.round(((yield* Clock.currentTimeMillis) - startedAt) / 100) / 10
    }
    yield* Effect.sync(() => process.stdout.write(JSON.stringify(summary) + "\n"))
    return summary
  })

export const isHelp = (argv: ReadonlyArray<string>) => argv.includes("--help") || argv.includes("-h")
