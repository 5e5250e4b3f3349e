// Crash safety, bounded (issue 10 item 10): the demo validator (subprocess, real miners over HTTP, real
// model, SQLite on a temp file) is killed with SIGKILL at random points at least three times and restarted
// each time, then stopped with SIGTERM. Checked on the database: integrity_check ok; no round scored twice
// (the aggregate absorbed exactly one update per stored evaluation); every stored answer of an evaluated
// round has its reward row; no answer left in flight; every round a kill interrupted was resumed
// (evaluated) or closed (failed), and SIGTERM left none running. Kill points come from KILL_SEED (printed).
// A failure prints the database's state and each run's exit and stderr tail (INFO; KILL_LOG_LEVEL overrides).
import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { mulberry32 } from "../../src/domain/random.ts"
import { IN_FLIGHT } from "../../src/store/RoundRecovery.ts"
import { AGGREGATE_APPLIED_KEY, BUSY_TIMEOUT_MS } from "../../src/store/Store.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const KILLS = 3

if (!hasUseLite) skipNote("kill -9 test", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip

/** A read-only look at the database while a child may be writing it (waits for its locks, never guesses). */
const readDb = <A>(path: string, f: (db: Database) => A): A => {
  const db = new Database(path, { readonly: true })
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    return f(db)
  } finally {
    db.close()
  }
}

/** 0 before the first run created the file and its tables; any other read error fails the test (a silent 0
 *  made a wait pass at once). */
const count = (path: string, sql: string): number => {
  if (!existsSync(path)) return 0
  try {
    return readDb(path, (db) => (db.query(sql).get() as { n: number }).n)
  } catch (e) {
    if (String(e).includes("no such table")) return 0
    throw e
  }
}

const TAIL = 60

interface ChildLog {
  readonly name: string
  readonly proc: Bun.Subprocess
  readonly tail: (n: number) => string
}

/** Reads a child's stderr as it comes (a killed child's pipe may never close: no waiting for its end). */
const captureStderr = (proc: Bun.Subprocess<"ignore", "ignore", "pipe">, name: string): ChildLog => {
  let text = ""
  const decoder = new TextDecoder()
  void (async () => {
    for await (const chunk of proc.stderr) text += decoder.decode(chunk, { stream: true })
  })().catch(() => undefined)
  return { name, proc, tail: (n) => text.split("\n").slice(-n - 1).join("\n") }
}

const exitOf = (p: Bun.Subprocess) => (p.exitCode !== null ? `exit ${p.exitCode}` : p.signalCode !== null ? `signal ${p.signalCode}` : "running")

/** Rounds by status, answers in flight, evaluations and the rounds still open: what the runs left on disk. */
const dbState = (path: string): string => {
  try {
    return readDb(path, (db) => {
      const status = db.query("SELECT status, COUNT(*) AS n FROM challenges GROUP BY status").all() as Array<{ status: string; n: number }>
      const inFlight = db.query("SELECT COUNT(*) AS n FROM responses WHERE error = ?").get(IN_FLIGHT) as { n: number }
      const evaluations = db.query("SELECT COUNT(*) AS n FROM evaluations").get() as { n: number }
      const open = db
        .query(
          `SELECT c.id, c.status, c.created_at, c.updated_at, COUNT(r.uid) AS responses, SUM(r.error = ?) AS in_flight
           FROM challenges c LEFT JOIN responses r ON r.challenge_id = c.id
           WHERE c.status IN ('received', 'running') GROUP BY c.id ORDER BY c.created_at`
        )
        .all(IN_FLIGHT)
      return [
        `challenges by status: ${status.map((r) => `${r.status}=${r.n}`).join(" ")}`,
        `responses in flight: ${inFlight.n}; evaluations: ${evaluations.n}`,
        `open rounds: ${JSON.stringify(open)}`
      ].join("\n")
    })
  } catch (e) {
    return `database not readable: ${String(e)}`
  }
}

d("kill -9 at random points, restart, then SIGTERM (subprocess demo, temp DB)", () => {
  test("database intact, nothing scored twice, every answer rewarded, interrupted rounds resumed or closed", async () => {
    const seed = Number(process.env["KILL_SEED"] ?? Date.now() % 100_000)
    console.log(`[kill] KILL_SEED=${seed}`)
    const rng = mulberry32(seed)
    const dir = mkdtempSync(join(tmpdir(), "quorum-kill-"))
    const dbPath = join(dir, "q.db")
    const env = {
      ...process.env,
      DOTENV_PATH: "/nonexistent/.env",
      QUORUM_MODE: "demo",
      DEMO_CHAIN: "off",
      DEMO_MINERS: "6",
      DEMO_MIX: "honest=0.5,slow=0.17,copycat=0.17,offline=0.16",
      DEMO_SEED: "5",
      DEMO_ROUNDS: "0",
      MIN_MINERS: "2",
      CHALLENGE_INTERVAL_SECONDS: "0.4",
      CHALLENGE_TIMEOUT_SECONDS: "3",
      SHUTDOWN_GRACE_SECONDS: "8",
      API_PORT: "0",
      DB_PATH: dbPath,
      HEATMAP_DIR: join(dir, "heatmaps"),
      MODEL_PATH: USE_LITE_DIR,
      EMBED_POOL_SIZE: "1",
      // crash safety, not scheduling: on a test machine busy with other processes a nice'd worker loads the
      // model slowly (a first start issued no challenge within 40 s under the full suite)
      WORKER_NICE: "0",
      // INFO: a failure prints each run's log tail (startup, resumes, rounds scored)
      LOG_LEVEL: process.env["KILL_LOG_LEVEL"] ?? "INFO"
    }
    const runs: Array<ChildLog> = []
    const start = () => {
      const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], { cwd: ROOT, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" })
      runs.push(captureStderr(proc, `run ${runs.length + 1} (pid ${proc.pid})`))
      return proc
    }
    /** Polls until `cond` holds, the deadline passes or the child exits (a dead run never gets there). */
    const waitFor = async (cond: () => boolean, ms: number, proc: Bun.Subprocess) => {
      const deadline = Date.now() + ms
      while (!cond() && Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) await Bun.sleep(50)
      return cond()
    }
    const interrupted = new Set<string>()
    try {
      for (let k = 0; k < KILLS; k++) {
        const before = count(dbPath, "SELECT COUNT(*) AS n FROM challenges")
        const proc = start()
        // a random point after this run has started a round of its own (or resumed one)
        expect(await waitFor(() => count(dbPath, "SELECT COUNT(*) AS n FROM challenges") > before, 40_000, proc)).toBe(true)
        await Bun.sleep(Math.floor(rng() * 2500))
        proc.kill("SIGKILL")
        await proc.exited
        const open = readDb(dbPath, (db) => db.query("SELECT id FROM challenges WHERE status IN ('received', 'running')").all() as Array<{ id: string }>)
        for (const r of open) interrupted.add(r.id)
      }
      // a last run resumes what the kills left, evaluates a round, and is stopped cleanly
      const evaluatedBefore = count(dbPath, "SELECT COUNT(*) AS n FROM evaluations")
      const last = start()
      expect(await waitFor(() => count(dbPath, "SELECT COUNT(*) AS n FROM evaluations") > evaluatedBefore, 40_000, last)).toBe(true)
      last.kill("SIGTERM")
      const stopped = await Promise.race([last.exited.then(() => true), Bun.sleep(30_000).then(() => false)])
      if (!stopped) last.kill("SIGKILL")
      expect(stopped).toBe(true)

      const db = new Database(dbPath, { readonly: true })
      expect((db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok")
      const evaluations = (db.query("SELECT COUNT(*) AS n FROM evaluations").get() as { n: number }).n
      const applied = db.query("SELECT value FROM state WHERE key = ?").get(AGGREGATE_APPLIED_KEY) as { value: string } | null
      // one aggregate update per stored evaluation: none applied twice, none lost
      expect(Number(applied?.value ?? 0)).toBe(evaluations)
      const unrewarded = db
        .query(
          `SELECT COUNT(*) AS n FROM responses r JOIN challenges c ON c.id = r.challenge_id AND c.status = 'evaluated'
           LEFT JOIN rewards w ON w.challenge_id = r.challenge_id AND w.uid = r.uid WHERE w.uid IS NULL`
        )
        .get() as { n: number }
      expect(unrewarded.n).toBe(0)
      expect((db.query("SELECT COUNT(*) AS n FROM responses WHERE error = ?").get(IN_FLIGHT) as { n: number }).n).toBe(0)
      expect((db.query("SELECT COUNT(*) AS n FROM challenges WHERE status IN ('received', 'running')").get() as { n: number }).n).toBe(0)
      for (const id of interrupted) {
        const row = db.query("SELECT status FROM challenges WHERE id = ?").get(id) as { status: string }
        expect(["evaluated", "failed"]).toContain(row.status)
      }
      console.log(`[kill] ${KILLS} kills, ${interrupted.size} interrupted rounds, ${evaluations} evaluations, all checks passed`)
      db.close()
    } catch (e) {
      console.error(`[kill] FAILED with KILL_SEED=${seed}\n${dbState(dbPath)}`)
      for (const r of runs) console.error(`[kill] ---- ${r.name}, ${exitOf(r.proc)}: last ${TAIL} stderr lines ----\n${r.tail(TAIL)}`)
      throw e
    } finally {
      // a failed wait leaves its child running: never leak a validator into the rest of the suite
      for (const { proc } of runs) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL")
      await Promise.all(runs.map((r) => r.proc.exited))
      rmSync(dir, { recursive: true, force: true })
    }
  }, 115_000)
})
