// The scoring memory across a restart (src/app/ScoringMemory.ts): the memory the worker-thread scorer built is
// saved to the SQLite file at shutdown and restored by the next start, which then scores the next round exactly
// as a scorer that never stopped. A damaged or mismatched snapshot is logged and the memory starts empty.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { AppConfig, decodeConfig } from "../../src/config/AppConfig.ts"
import { makeScorer, Scorer } from "../../src/app/Scorer.ts"
import { ScoringMemory } from "../../src/app/ScoringMemory.ts"
import { DEFAULT_SCORING_CONFIG_PATH } from "../../src/domain/ScoringConfig.ts"
import { makeStore, openDatabase, Store } from "../../src/store/Store.ts"
import { loadMemorySnapshot } from "../../src/store/MemorySnapshotStore.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import { buildRound } from "../fixtures/rounds/synthetic.ts"
import { build } from "../scoring/propertyScene.ts"

const PROMPT = "Explain how plants make their food from light."
const recipe = (k: number) => build({ seed: 40 + k, honest: 5, junk: 1, errors: 1, empty: 0, sybils: 2, copies: 1 }).round
/** Round k of a run: honest answers, copies and junk to one prompt, and uid 100 resending an honest answer of
 *  round k − 2 (a copy only the memory of earlier rounds can see). */
const round = (k: number) => {
  const r = recipe(k)
  const old = k >= 2 ? recipe(k - 2).responses[0]! : null
  const resent = old === null ? [] : [{ uid: 100, vec: old.vec, text: old.text, latencyMs: 300 }]
  return buildRound({ ...r, id: `r${k}`, promptText: PROMPT, responses: [...r.responses, ...resent] })
}

/** One validator start on `db`: the memory layer over a worker scorer; scores `rounds`, then closes (saving). */
const start = (db: string, rounds: ReadonlyArray<number>, env: Record<string, string> = {}, scoringConfig?: string, inWorker = true) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const config = yield* decodeConfig({ argv: [], env: { MEMORY_SAVE_SECONDS: "3600", ...env } })
        const store = makeStore(openDatabase(db))
        yield* Effect.addFinalizer(() => Effect.sync(() => store.db.close()))
        const scorer = yield* makeScorer(scoringConfig === undefined ? {} : { SCORING_CONFIG: scoringConfig }, { inWorker })
        const parts = Layer.mergeAll(Layer.succeed(AppConfig, config), Layer.succeed(Store, store), Layer.succeed(Scorer, scorer))
        // the memory layer closes (and saves) when this block ends, the scorer after it
        const run = Effect.gen(function* () {
          const memory = yield* ScoringMemory
          const results: Array<RoundResult> = []
          for (const k of rounds) {
            const { input, emb } = round(k)
            results.push(yield* scorer.score(input, emb))
          }
          // a save now (the shutdown save then finds nothing new) and what /health shows of it
          const saved = yield* memory.save
          const status = memory.status()
          return { restored: memory.restored, results, remembered: yield* scorer.remembered, saved, status }
        })
        return yield* run.pipe(Effect.provide(ScoringMemory.layer.pipe(Layer.provide(parts))))
      })
    )
  )

const withDb = async (body: (db: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-memory-"))
  try {
    await body(join(dir, "v.db"))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("scoring memory across restarts", () => {
  test("saved at shutdown, restored at start: the next round scores as if the validator never stopped", () =>
    withDb(async (db) => {
      const never = await start(join(db, "..", "never.db"), [0, 1, 2, 3, 4])
      const first = await start(db, [0, 1, 2])
      expect(first.restored).toBeNull()
      expect(first.saved?.rounds).toBe(3)
      expect(first.status).toMatchObject({ kept: true, restored: null, last_save: { rounds: 3, answers: first.remembered } })
      const second = await start(db, [3, 4])
      expect(second.restored).not.toBeNull()
      expect(second.restored!.answers).toBe(first.remembered)
      expect(second.restored!.records).toBeGreaterThan(0)
      expect(second.results).toEqual(never.results.slice(3))
      // without the snapshot the same rounds score differently (the test can tell a restored memory from none)
      const fresh = await start(join(db, "..", "fresh.db"), [3, 4])
      expect(fresh.results).not.toEqual(never.results.slice(3))
      // the in-process scorer saves on the calling thread; the worker restores that snapshot all the same
      const mainDb = join(db, "..", "main.db")
      await start(mainDb, [0, 1, 2], {}, undefined, false)
      expect((await start(mainDb, [3, 4])).results).toEqual(never.results.slice(3))
    }), 120_000)

  test("a damaged snapshot or another memory setting is logged and the memory starts empty; 0 keeps nothing", () =>
    withDb(async (db) => {
      await start(db, [0, 1])
      const d = openDatabase(db)
      d.query("UPDATE scoring_memory SET meta = '{\"format\": 1'").run()
      d.close()
      const damaged = await start(db, [2])
      expect(damaged.restored).toBeNull()
      // the damaged row was replaced by this run's save
      const d2 = openDatabase(db)
      const stored = await Effect.runPromise(loadMemorySnapshot(d2))
      d2.close()
      expect(stored?.rounds).toBe(1)
      // another memory bound: the snapshot no longer fits and is not read
      const shipped = JSON.parse(readFileSync(DEFAULT_SCORING_CONFIG_PATH, "utf8")) as { novelty: { perHotkey: number } }
      shipped.novelty.perHotkey += 1
      const other = join(db, "..", "scoring.json")
      writeFileSync(other, JSON.stringify(shipped))
      expect((await start(db, [], {}, other)).restored).toBeNull()
      expect((await start(db, [])).restored).not.toBeNull()
      const off = await start(db, [3], { MEMORY_SAVE_SECONDS: "0" })
      expect(off.restored).toBeNull()
      expect(off.status).toEqual({ kept: false, restored: null, last_save: null })
      const d3 = openDatabase(db)
      expect(((d3.query("SELECT saved_at FROM scoring_memory").get() as { saved_at: number }).saved_at)).toBe(stored!.savedAt)
      d3.close()
    }), 120_000)
})
