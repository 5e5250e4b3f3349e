// Piscina worker (a pool of exactly one thread): the pure round scorer off the validator's event loop. A
// 100-answer round of real answers costs 0.2–0.6 s of text work (shingles, content units, stems), which on
// the main thread delayed every miner reply arriving meanwhile. The thread holds the scoring config and the
// novelty memory (earlier answers, kept across rounds), so one thread scores the rounds in the order the
// singleton ScoringActor sends them, exactly as the in-process scorer does. It also writes the memory's snapshot
// to the database file on a connection of its own (src/app/ScoringMemory.ts), so the event loop never waits on it.
import { workerData } from "node:worker_threads"
import { makeNoveltyMemory, scoreRound } from "../src/scoring/round.ts"
import { type MemorySnapshot, restoreMemory, snapshotMemory } from "../src/scoring/memorySnapshot.ts"
import type { Database } from "bun:sqlite"
import { Effect } from "effect"
import { openSnapshotWriter, saveMemorySnapshot } from "../src/store/MemorySnapshotStore.ts"
import type { RoundScorerWorkerData, SavedMemory, SaveMemoryTask, ScoreRoundTask } from "./protocol.ts"
import { makeHeapTrim } from "./heapTrim.ts"
import { lowerThreadPriority } from "./threadPriority.ts"

const { config, nice, gcIntervalSeconds } = workerData as RoundScorerWorkerData
const applied = lowerThreadPriority(nice)
const memory = makeNoveltyMemory(config)
const trim = makeHeapTrim(gcIntervalSeconds)
let rounds = 0

/** One round → its RoundResult (plain data, structured-cloned back). */
export const score = (task: ScoreRoundTask) => {
  const result = scoreRound(task.round, task.embeddings, config, memory)
  rounds++
  trim.afterTask()
  return result
}

/** Rounds scored by this thread (the memory keeper saves only when it moved). */
export const scoredRounds = () => rounds

/** The memory as a snapshot (src/scoring/memorySnapshot.ts), taken between rounds. */
export const snapshot = (): MemorySnapshot => snapshotMemory(memory, config)

let db: { readonly path: string; readonly db: Database } | null = null

/** Snapshots the memory and writes it to the database file with this thread's own connection (WAL lets it write
 *  beside the main thread's; a ~10 MB row then never blocks the event loop). */
export const saveMemory = (task: SaveMemoryTask): SavedMemory => {
  if (db === null || db.path !== task.dbPath) {
    db?.db.close()
    db = { path: task.dbPath, db: openSnapshotWriter(task.dbPath, task.synchronous) }
  }
  const t0 = performance.now()
  const wrote = Effect.runSync(saveMemorySnapshot(db.db, snapshotMemory(memory, config), rounds, task.now))
  return { rounds, ...wrote, ms: performance.now() - t0 }
}

/** Replaces the memory with a snapshot's, or says why not (the memory is then left as it was). */
export const restore = (s: MemorySnapshot) => restoreMemory(memory, s, config)

/** Each hotkey's copy record summarized (empty when the config keeps no record). */
export const records = () => (config.novelty.copyRecord === undefined ? [] : memory.copyRecord.summaries(config.novelty.copyRecord))

/** Remembered answers (a liveness and memory check for tests and logs). */
export const memorySize = () => memory.size

/** The thread's scheduling priority as set at start (logged by the Scorer). */
export const priority = () => applied

/** This thread's JS heap in bytes (the load test samples it beside RSS). */
export const heapUsed = () => process.memoryUsage().heapUsed
