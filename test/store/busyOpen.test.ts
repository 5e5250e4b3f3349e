// A database another process holds locked for a moment is waited for when it is opened, not a failed start:
// a validator restarting after a crash while something reads its file (the kill test's poller, an operator's
// sqlite3, a backup) met the lock at its first statement (`journal_mode`, run before the busy timeout was
// set) and stopped with "database is locked". Both files the validator opens: the store and the weights journal.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { WeightsJournal } from "../../src/chain/WeightsJournal.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

const HOLD_MS = 400

/** A subprocess whose connection locks the file (exclusive locking mode under WAL: its first read locks out
 *  every other connection) until HOLD_MS after it says so. */
const holdLock = async (path: string, table: string) => {
  const holder = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const { Database } = require("bun:sqlite")
       const db = new Database(process.env.HOLD_DB)
       db.exec("PRAGMA locking_mode = EXCLUSIVE")
       db.query("SELECT COUNT(*) FROM ${table}").get()
       console.log("locked")
       setTimeout(() => db.close(), Number(process.env.HOLD_MS))`
    ],
    { env: { ...process.env, HOLD_DB: path, HOLD_MS: String(HOLD_MS) }, stdout: "pipe", stderr: "inherit" }
  )
  const first = await holder.stdout.getReader().read()
  expect(new TextDecoder().decode(first.value)).toContain("locked")
  return holder
}

/** Runs `open` while another process holds the lock; returns how long it waited. */
const openWhileLocked = async (table: string, create: (path: string) => void, open: (path: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-busy-"))
  try {
    const path = join(dir, "busy.db")
    create(path)
    const holder = await holdLock(path, table)
    const t0 = performance.now()
    await open(path)
    const waited = performance.now() - t0
    expect(await holder.exited).toBe(0)
    return waited
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Builds the journal layer on `path` and closes it. */
const journalAt = (path: string) => Effect.scoped(Effect.asVoid(Layer.build(WeightsJournal.layerSqlite(path))))

describe("opening a database another process holds locked for a moment", () => {
  test("the store waits for the lock and opens", async () => {
    const waited = await openWhileLocked(
      "challenges",
      (path) => openDatabase(path).close(),
      async (path) => {
        const s = makeStore(openDatabase(path))
        expect(await Effect.runPromise(s.stats())).toEqual({ challenges: 0, responses: 0, evaluations: 0 })
        s.db.close()
      }
    )
    // it did meet the lock, and waited it out (well within the busy timeout)
    expect(waited).toBeGreaterThan(HOLD_MS / 2)
  })

  test("the weights journal waits for the lock and opens", async () => {
    const waited = await openWhileLocked(
      "weight_submissions",
      (path) => Effect.runSync(journalAt(path)),
      (path) => Effect.runPromise(journalAt(path))
    )
    expect(waited).toBeGreaterThan(HOLD_MS / 2)
  })
})
