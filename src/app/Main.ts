// The validator program: the config is read, then ONE layer graph is composed and launched (each layer is
// built after the ones it needs, and closed in reverse order):
//   AppConfig → LoadProbe → Store → Scorer → ScoringMemory → Embedder → World → ChallengeSource → Pipeline → Validator
// where demo and live differ only in the World layer provided (demo: simulated miners on the local subtensor
// when its fixture exists, else without a chain; live: the configured chain, wallet and metagraph) and the
// challenge source (synthetic corpus, or the Challenge API when CHALLENGE_API_URL is set). With DEMO_ROUNDS
// > 0 it stops after that many evaluated rounds, sets weights once and prints a one-line JSON summary on stdout.
import { resolve as resolvePath } from "node:path"
import { Clock, Duration, Effect, Layer, Option } from "effect"
import { AppConfig, type AppConfigValues, configHelp, loadConfig } from "../config/AppConfig.ts"
import { Store } from "../store/Store.ts"
import { demoChainAvailable, liveChainWorld, localChainWorld } from "./ChainWorld.ts"
import { ChallengeSource } from "./ChallengeSource.ts"
import { chainlessDemoWorld, DemoMiners, withDemoDefaults } from "./Demo.ts"
import { embedderLayer } from "./Embedding.ts"
import { LoadProbe } from "./LoadProbe.ts"
import { withLogging } from "./Logging.ts"
import { Pipeline } from "./Pipeline.ts"
import { Scorer } from "./Scorer.ts"
import { ScoringMemory } from "./ScoringMemory.ts"
import { storeLayer } from "./Storage.ts"
import { Validator } from "./Validator.ts"

export { StartupError } from "./Storage.ts"

export const usage = `usage: bun run validator [--key value ...]   (every key also reads from the environment and .env)

Modes: QUORUM_MODE=demo (default: simulated miners on 127.0.0.1, local subtensor when its fixture exists)
       QUORUM_MODE=live (SUBTENSOR_NETWORK/SUBTENSOR_ADDRESS, WALLET_NAME/HOTKEY_NAME, real miners)

Keys:
${configHelp()}`

/** The demo's world: its simulated miners, on the local subtensor when it can run, else without a chain. */
const demoWorldLayer = Layer.unwrap(
  Effect.flatMap(Effect.service(AppConfig), demoChainAvailable).pipe(Effect.map((chain) => (chain ? localChainWorld : chainlessDemoWorld)))
).pipe(Layer.provide(DemoMiners.layer))

/** Logged when the graph closes, after everything above the store has stopped. */
const shutdownLog = (startedAt: number) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const config = yield* AppConfig
      yield* Effect.addFinalizer(() =>
        Clock.currentTimeMillis.pipe(
          Effect.flatMap((now) => Effect.logInfo("validator shutting down", { uptime_s: Math.round((now - startedAt) / 1000), db: resolvePath(config.DB_PATH) }))
        )
      )
    })
  )

/** The whole validator as one layer graph (see the header). */
export const appLayer = (config: AppConfigValues, startedAt: number) =>
  Validator.layer.pipe(
    Layer.provideMerge(Pipeline.layer),
    Layer.provideMerge(config.CHALLENGE_API_URL === undefined ? ChallengeSource.synthetic : ChallengeSource.challengeApi(config.CHALLENGE_API_URL)),
    Layer.provideMerge(config.QUORUM_MODE === "live" ? liveChainWorld : demoWorldLayer),
    Layer.provideMerge(embedderLayer),
    Layer.provideMerge(ScoringMemory.layer),
    Layer.provideMerge(Scorer.layer),
    Layer.provideMerge(shutdownLog(startedAt)),
    Layer.provideMerge(storeLayer),
    Layer.provideMerge(LoadProbe.layer),
    Layer.provideMerge(Layer.succeed(AppConfig, config))
  )

export const program = (argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const config = withDemoDefaults(yield* loadConfig(argv))
    const startedAt = yield* Clock.currentTimeMillis
    return yield* withLogging(config)(run(config, startedAt).pipe(Effect.provide(appLayer(config, startedAt))))
  })

const run = (config: AppConfigValues, startedAt: number) =>
  Effect.gen(function* () {
    const v = yield* Validator
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
    const stats = yield* (yield* Store).stats()
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
