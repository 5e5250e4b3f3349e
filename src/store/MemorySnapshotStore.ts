// The scoring memory's snapshot in the store (table scoring_memory, one row rewritten in place): the JSON part
// as text, the fingerprints as one little-endian blob of uint32. Read back through a Schema, so a damaged row is
// a typed error the caller logs (the memory then starts empty), never a half-read memory.
import type { Database } from "bun:sqlite"
import { Effect, Schema } from "effect"
import type { MemorySnapshot } from "../scoring/memorySnapshot.ts"
import { attempt, openDatabase, type SqliteSynchronous, type StoreError } from "./Store.ts"

export type { SqliteSynchronous } from "./Store.ts"

export class MemorySnapshotUnreadable extends Schema.TaggedError<MemorySnapshotUnreadable>()("MemorySnapshotUnreadable", {
  message: Schema.String
}) {}

const Str = Schema.String
const Num = Schema.Number
const Meta = Schema.Struct({
  format: Num,
  compat: Str,
  prompts: Schema.Array(Schema.Tuple([Str, Schema.Array(Schema.Tuple([Str, Num, Str, Str, Num]))])),
  hotkeys: Schema.Array(Schema.Tuple([Str, Schema.Array(Schema.Tuple([Str, Str, Str, Num]))])),
  record: Schema.Array(Schema.Tuple([Str, Str])),
  printLengths: Schema.Array(Num)
})
const decodeMeta = Schema.decodeUnknownEffect(Schema.fromJsonString(Meta))

const Row = Schema.Struct({ meta: Str, prints: Schema.Uint8Array, answers: Num, rounds: Num, saved_at: Num })
const decodeRow = Schema.decodeUnknownEffect(Row)

export interface StoredMemory {
  readonly snapshot: MemorySnapshot
  /** Rounds the scorer had scored when it was taken (in the run that saved it). */
  readonly rounds: number
  readonly savedAt: number
}

/** A connection of its own for the round-scorer thread, which writes the snapshot off the event loop (WAL: beside
 *  the main thread's connection; the file and its tables already exist, the store opened them first). */
export const openSnapshotWriter = (path: string, synchronous: SqliteSynchronous): Database => openDatabase(path, { synchronous })

/** Writes the snapshot over the previous one (one statement: the old row stays until the new one is on disk);
 *  returns how many answers and fingerprints it wrote. */
export const saveMemorySnapshot = (
  db: Database,
  s: MemorySnapshot,
  rounds: number,
  now: number
): Effect.Effect<{ readonly answers: number; readonly fingerprints: number }, StoreError> =>
  attempt("saveMemorySnapshot", () => {
    const { prints, ...meta } = s
    const answers = s.prompts.reduce((n, [, rows]) => n + rows.length, 0)
    db.query(
      "INSERT OR REPLACE INTO scoring_memory (id, meta, prints, answers, rounds, saved_at) VALUES (1, $meta, $prints, $answers, $rounds, $now)"
    ).run({ meta: JSON.stringify(meta), prints: new Uint8Array(prints.buffer, prints.byteOffset, prints.byteLength), answers, rounds, now })
    return { answers, fingerprints: s.printLengths.length }
  })

/** The stored snapshot, or null when none was saved. */
export const loadMemorySnapshot = (db: Database): Effect.Effect<StoredMemory | null, StoreError | MemorySnapshotUnreadable> =>
  Effect.gen(function* () {
    const raw = yield* attempt("loadMemorySnapshot", () => db.query("SELECT meta, prints, answers, rounds, saved_at FROM scoring_memory WHERE id = 1").get())
    if (raw === null) return null
    const unreadable = (e: unknown) => new MemorySnapshotUnreadable({ message: `the stored scoring memory is unreadable: ${String(e)}` })
    const row = yield* decodeRow(raw).pipe(Effect.mapError(unreadable))
    if (row.prints.byteLength % 4 !== 0) return yield* unreadable(`fingerprint blob of ${row.prints.byteLength} bytes is not whole uint32s`)
    const meta = yield* decodeMeta(row.meta).pipe(Effect.mapError(unreadable))
    // a copy: the blob's bytes may not sit on a 4-byte boundary
    const prints = new Uint32Array(row.prints.slice().buffer)
    return { snapshot: { ...meta, prints }, rounds: row.rounds, savedAt: row.saved_at }
  })
