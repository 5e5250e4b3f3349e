// Keeps the scoring memory across restarts. The round scorer's novelty memory holds what no single round shows:
// earlier answers to each prompt (copies of them), each hotkey's last answers (one text for every prompt) and
// each hotkey's record (copier, astray, clean). Validators restart for every update; without this each restart
// made every copier a stranger for the 4–8 rounds its record takes to refill. At start the stored snapshot is
// restored before the first round is scored; then it is saved every MEMORY_SAVE_SECONDS when rounds were scored
// since, and once more at shutdown after the last round — written by the scoring thread on its own connection, so
// the event loop never waits on it. A snapshot that cannot be read or no longer fits the
// scoring config is logged and the memory starts empty: the memory is derived data, never a reason not to start.
//   ScoringMemory ← AppConfig, Store, Scorer
import { Clock, Context, Effect, Layer, Ref } from "effect"
import { AppConfig, dbSynchronous } from "../config/AppConfig.ts"
import type { RestoredMemory } from "../scoring/memorySnapshot.ts"
import { loadMemorySnapshot, saveMemorySnapshot } from "../store/MemorySnapshotStore.ts"
import { Store, type StoreError, type StoreShape } from "../store/Store.ts"
import { type ScoreError, Scorer, type ScorerShape } from "./Scorer.ts"
import type { SavedMemory, SaveMemoryTask } from "../../workers/protocol.ts"

export type { SavedMemory } from "../../workers/protocol.ts"

export interface ScoringMemoryShape {
  /** What the start restored (null: nothing stored, refused, or keeping is off). */
  readonly restored: RestoredMemory | null
  /** Saves the memory now if rounds were scored since the last save (null: nothing new, or keeping is off). */
  readonly save: Effect.Effect<SavedMemory | null>
  /** What /health shows: whether the memory is kept, what the start restored, the last save. */
  readonly status: () => MemoryStatus
}

export interface MemoryStatus {
  readonly kept: boolean
  readonly restored: RestoredMemory | null
  readonly last_save: (SavedMemory & { readonly at: string }) | null
}

const message = (e: { readonly message: string } | { readonly _tag: string }) => ("message" in e ? e.message : e._tag)

/** Restores the stored snapshot into the scorer; logs and returns null when there is none or it does not fit. */
export const restoreStored = (store: StoreShape, scorer: ScorerShape): Effect.Effect<RestoredMemory | null> =>
  Effect.gen(function* () {
    const stored = yield* loadMemorySnapshot(store.db)
    if (stored === null) {
      yield* Effect.logInfo("scoring memory starts empty", { reason: "no snapshot stored yet" })
      return null
    }
    const outcome = yield* scorer.restore(stored.snapshot)
    const now = yield* Clock.currentTimeMillis
    if (!outcome.ok) {
      yield* Effect.logWarning("stored scoring memory not restored; it starts empty and refills as rounds are scored", { reason: outcome.reason })
      return null
    }
    yield* Effect.logInfo("scoring memory restored", { ...outcome.restored, saved_age_s: Math.round((now - stored.savedAt) / 1000) })
    return outcome.restored
  }).pipe(
    Effect.catch((e) =>
      Effect.logWarning("stored scoring memory not restored; it starts empty and refills as rounds are scored", { error: message(e) }).pipe(Effect.as(null))
    )
  )

/** Where a save runs: in the scoring thread, with its own connection to the database file (a 10 MB row written
 *  on the main thread blocked the event loop 20–60 ms), else — an in-memory database, the in-process scorer —
 *  snapshot and write on the calling thread. */
const writeOnce = (store: StoreShape, scorer: ScorerShape, synchronous: SaveMemoryTask["synchronous"]): Effect.Effect<SavedMemory, ScoreError | StoreError> => {
  const file = store.db.filename
  if (scorer.saveMemory !== undefined && file !== "" && file !== ":memory:") {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => scorer.saveMemory!({ dbPath: file, synchronous, now }))
  }
  return Effect.gen(function* () {
    const t0 = yield* Clock.currentTimeMillis
    const rounds = yield* scorer.scoredRounds
    const wrote = yield* saveMemorySnapshot(store.db, yield* scorer.snapshot, rounds, yield* Clock.currentTimeMillis)
    return { rounds, ...wrote, ms: (yield* Clock.currentTimeMillis) - t0 }
  })
}

/** A save that only writes when the scorer moved since the last one (never fails: a failed save is logged), and
 *  the last save it made. */
export const memorySaver = (store: StoreShape, scorer: ScorerShape, synchronous: SaveMemoryTask["synchronous"] = "FULL") =>
  Effect.gen(function* () {
    const last = yield* Ref.make<MemoryStatus["last_save"]>(null)
    const save = Effect.gen(function* () {
      if ((yield* scorer.scoredRounds) === ((yield* Ref.get(last))?.rounds ?? 0)) return null
      const saved = yield* writeOnce(store, scorer, synchronous)
      yield* Ref.set(last, { ...saved, at: new Date(yield* Clock.currentTimeMillis).toISOString() })
      yield* Effect.logDebug("scoring memory saved", { ...saved })
      return saved
    }).pipe(
      Effect.catch((e) =>
        Effect.logWarning("scoring memory not saved; tried again at the next interval (check DB_PATH is writable)", { error: message(e) }).pipe(Effect.as(null))
      )
    )
    return { save, last: () => Ref.getUnsafe(last) }
  })

export class ScoringMemory extends Context.Service<ScoringMemory, ScoringMemoryShape>()("quorum/app/ScoringMemory") {
  static readonly layer = Layer.effect(
    ScoringMemory,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const store = yield* Store
      const scorer = yield* Scorer
      const every = config.MEMORY_SAVE_SECONDS
      if (every === 0) {
        yield* Effect.logInfo("scoring memory is not kept across restarts", { reason: "MEMORY_SAVE_SECONDS=0" })
        return { restored: null, save: Effect.succeed(null), status: () => ({ kept: false, restored: null, last_save: null }) } satisfies ScoringMemoryShape
      }
      const restored = yield* restoreStored(store, scorer)
      const { save, last } = yield* memorySaver(store, scorer, dbSynchronous(config))
      // the last save runs after the periodic one is stopped (finalizers run in reverse order)
      yield* Effect.addFinalizer(() =>
        save.pipe(Effect.flatMap((s) => (s === null ? Effect.void : Effect.logInfo("scoring memory saved at shutdown", { ...s }))))
      )
      yield* Effect.forkScoped(Effect.forever(save.pipe(Effect.delay(`${every} seconds`))))
      return { restored, save, status: () => ({ kept: true, restored, last_save: last() }) } satisfies ScoringMemoryShape
    })
  )
}
