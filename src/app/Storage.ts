// The validator's store in the layer graph: the demo's database made fresh (DB_PATH left at its default),
// the SQLite file opened with DB_SYNCHRONOUS (closed with the layer), and the load probe's timers around it
// when LOAD_PROBE_FILE is set. Tests provide `Layer.succeed(Store, makeStore(db))` instead.
import { resolve as resolvePath } from "node:path"
import { Effect, Layer, Schema } from "effect"
import { AppConfig, dbSynchronous } from "../config/AppConfig.ts"
import { makeStore, openDatabase, Store } from "../store/Store.ts"
import { freshDemoDatabase } from "./Demo.ts"
import { LoadProbe } from "./LoadProbe.ts"

export class StartupError extends Schema.TaggedError<StartupError>()("StartupError", {
  stage: Schema.String,
  message: Schema.String
}) {}

const openStore = (path: string, synchronous: ReturnType<typeof dbSynchronous>) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => makeStore(openDatabase(path, { synchronous })),
      catch: (e) => new StartupError({ stage: "store", message: `cannot open DB_PATH=${path}: ${String(e)}; check the path is writable` })
    }),
    (store) => Effect.sync(() => store.db.close())
  )

/** Store ← AppConfig, LoadProbe. */
export const storeLayer = Layer.effect(
  Store,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const probe = yield* LoadProbe
    yield* freshDemoDatabase(config)
    const store = yield* openStore(config.DB_PATH, dbSynchronous(config))
    yield* Effect.logInfo("storage", { db: resolvePath(config.DB_PATH), heatmaps: resolvePath(config.HEATMAP_DIR) })
    return probe.store(store)
  })
)
