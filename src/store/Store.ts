// bun:sqlite storage (WAL). Everything received is written before it is acknowledged or acted on:
// challenges, miner responses, evaluations, aggregation state. Rows read back are decoded with Schema.
import { Database } from "bun:sqlite"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import type { MinerResponse, RoundResult } from "../scoring/types.ts"

export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.Defect()
}) {}

export class DuplicateChallenge extends Schema.TaggedError<DuplicateChallenge>()("DuplicateChallenge", {
  challengeId: Schema.String,
  status: Schema.String
}) {}

/** State key: how many evaluated rounds the aggregate has absorbed (equals the evaluations count). */
export const AGGREGATE_APPLIED_KEY = "aggregate:applied"

export const ChallengeStatus = Schema.Literals(["received", "running", "evaluated", "failed"])
export type ChallengeStatus = typeof ChallengeStatus.Type

const ChallengeRow = Schema.Struct({
  id: Schema.String,
  source: Schema.String,
  payload: Schema.String,
  status: ChallengeStatus,
  created_at: Schema.Number,
  updated_at: Schema.Number
})
export type ChallengeRow = typeof ChallengeRow.Type

const RewardRow = Schema.Struct({
  challenge_id: Schema.String,
  uid: Schema.Number,
  hotkey: Schema.String,
  reward: Schema.Number,
  filtered: Schema.NullOr(Schema.String),
  created_at: Schema.Number
})
export type RewardRow = typeof RewardRow.Type

const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE challenges (
     id TEXT PRIMARY KEY, source TEXT NOT NULL, payload TEXT NOT NULL,
     status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE INDEX challenges_created ON challenges(created_at);
   CREATE TABLE responses (
     challenge_id TEXT NOT NULL, uid INTEGER NOT NULL, hotkey TEXT NOT NULL, coldkey TEXT NOT NULL, ip TEXT NOT NULL,
     text TEXT NOT NULL, tool_calls TEXT NOT NULL, finish_reason TEXT, usage TEXT, latency_ms REAL, error TEXT,
     received_at INTEGER NOT NULL, PRIMARY KEY (challenge_id, uid));
   CREATE TABLE evaluations (
     challenge_id TEXT PRIMARY KEY, task_type TEXT NOT NULL, best_uid INTEGER, consensus TEXT NOT NULL,
     result TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE rewards (
     challenge_id TEXT NOT NULL, uid INTEGER NOT NULL, hotkey TEXT NOT NULL, reward REAL NOT NULL, filtered TEXT,
     created_at INTEGER NOT NULL, PRIMARY KEY (challenge_id, uid));
   CREATE INDEX rewards_created ON rewards(created_at);
   CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);`,
  // the scoring memory's snapshot (src/store/MemorySnapshotStore.ts): one row, rewritten in place
  `CREATE TABLE scoring_memory (
     id INTEGER PRIMARY KEY CHECK (id = 1), meta TEXT NOT NULL, prints BLOB NOT NULL, answers INTEGER NOT NULL,
     rounds INTEGER NOT NULL, saved_at INTEGER NOT NULL);`
]

export const EvaluationSummary = Schema.Struct({
  challenge_id: Schema.String,
  task_type: Schema.String,
  best_uid: Schema.NullOr(Schema.Number),
  consensus: Schema.fromJsonString(Schema.Array(Schema.Number)),
  created_at: Schema.Number
})
export type EvaluationSummary = typeof EvaluationSummary.Type

export const MinerTotal = Schema.Struct({
  uid: Schema.Number,
  hotkey: Schema.String,
  rounds: Schema.Number,
  earned: Schema.Number,
  total_reward: Schema.Number,
  filtered: Schema.Number,
  last_seen: Schema.Number
})
export type MinerTotal = typeof MinerTotal.Type

export interface StoreShape {
  /** Records a challenge; a second insert of the same id fails with DuplicateChallenge (no double processing). */
  readonly putChallenge: (c: { id: string; source: string; payload: unknown; now: number }) => Effect.Effect<void, StoreError | DuplicateChallenge>
  readonly setChallengeStatus: (id: string, status: ChallengeStatus, now: number) => Effect.Effect<void, StoreError>
  readonly getChallenge: (id: string) => Effect.Effect<ChallengeRow | null, StoreError>
  /** Challenges received or running but never evaluated (to resume after a crash). */
  readonly unfinishedChallenges: () => Effect.Effect<ReadonlyArray<ChallengeRow>, StoreError>
  readonly putResponse: (challengeId: string, r: MinerResponse & { usage?: unknown }, now: number) => Effect.Effect<void, StoreError>
  readonly responsesOf: (challengeId: string) => Effect.Effect<ReadonlyArray<MinerResponse>, StoreError>
  /**
   * Stores the evaluation and its per-miner rewards in one transaction, and marks the challenge evaluated.
   * With `aggregate`, the aggregation snapshot it produced is written in the same transaction and the
   * `aggregate:applied` counter (rounds applied to the aggregate) moves by one: a crash leaves both or neither.
   */
  readonly putEvaluation: (
    result: RoundResult,
    now: number,
    aggregate?: { readonly key: string; readonly snapshot: unknown }
  ) => Effect.Effect<void, StoreError>
  readonly rewardsSince: (since: number) => Effect.Effect<ReadonlyArray<RewardRow>, StoreError>
  readonly putState: (key: string, value: unknown, now: number) => Effect.Effect<void, StoreError>
  readonly getState: (key: string) => Effect.Effect<unknown, StoreError>
  /** Deletes rounds older than `before`; returns the number of challenges removed. */
  readonly prune: (before: number) => Effect.Effect<number, StoreError>
  readonly stats: () => Effect.Effect<{ challenges: number; responses: number; evaluations: number }, StoreError>
  /** The latest evaluations, newest first. */
  readonly recentEvaluations: (limit: number) => Effect.Effect<ReadonlyArray<EvaluationSummary>, StoreError>
  /** One stored evaluation (the scorer's RoundResult as JSON), or null. */
  readonly evaluationOf: (challengeId: string) => Effect.Effect<unknown, StoreError>
  /** Per-miner totals over rewards since `since`. */
  readonly minerTotals: (since: number) => Effect.Effect<ReadonlyArray<MinerTotal>, StoreError>
  /** The raw handle, for modules that keep their own tables in the same file (e.g. the weights journal). */
  readonly db: Database
}

/** A synchronous SQLite call as an Effect failing with StoreError (MemorySnapshotStore.ts uses it too). */
export const attempt = <A>(operation: string, f: () => A): Effect.Effect<A, StoreError> =>
  Effect.try({ try: f, catch: (cause) => new StoreError({ operation, message: `${operation} failed: ${String(cause)}`, cause }) })

const decodeRow = <S extends Schema.Top>(schema: S, operation: string) => {
  const decode = Schema.decodeUnknownSync(schema as never) as (u: unknown) => S["Type"]
  return (row: unknown): Effect.Effect<S["Type"], StoreError> => attempt(operation, () => decode(row))
}

/**
 * SQLite `synchronous` under WAL: FULL fsyncs the WAL at every commit (no committed round is lost on power
 * loss); NORMAL only at checkpoints (a process crash loses nothing, a power loss may drop the last commits).
 */
export const SqliteSynchronous = Schema.Literals(["FULL", "NORMAL", "EXTRA", "OFF"])
export type SqliteSynchronous = typeof SqliteSynchronous.Type

export interface DatabaseOptions {
  /** Default FULL (durable); the demo may choose NORMAL. */
  readonly synchronous?: SqliteSynchronous
}

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000

/** Opens (and migrates) a database file; ":memory:" for tests. */
export const openDatabase = (path: string, options: DatabaseOptions = {}): Database => {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { create: true, strict: true })
  const synchronous = Schema.decodeUnknownSync(SqliteSynchronous)(options.synchronous ?? "FULL")
  // the busy timeout first: `journal_mode` already takes a lock, and another connection (a reader closing,
  // a backup) holding the file for a moment would otherwise fail the start at once with "database is locked"
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; PRAGMA foreign_keys = ON;`)
  const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string)
      db.exec(`PRAGMA user_version = ${v + 1}`)
    })()
  }
  return db
}

export const makeStore = (db: Database): StoreShape => {
  const insChallenge = db.query(
    "INSERT INTO challenges (id, source, payload, status, created_at, updated_at) VALUES ($id, $source, $payload, 'received', $now, $now)"
  )
  const selChallenge = db.query("SELECT * FROM challenges WHERE id = $id")
  const updStatus = db.query("UPDATE challenges SET status = $status, updated_at = $now WHERE id = $id")
  const insResponse = db.query(
    `INSERT OR REPLACE INTO responses (challenge_id, uid, hotkey, coldkey, ip, text, tool_calls, finish_reason, usage, latency_ms, error, received_at)
     VALUES ($challenge_id, $uid, $hotkey, $coldkey, $ip, $text, $tool_calls, $finish_reason, $usage, $latency_ms, $error, $received_at)`
  )
  const selResponses = db.query("SELECT * FROM responses WHERE challenge_id = $id ORDER BY uid")
  const insEval = db.query(
    "INSERT OR REPLACE INTO evaluations (challenge_id, task_type, best_uid, consensus, result, created_at) VALUES ($id, $task, $best, $consensus, $result, $now)"
  )
  const insReward = db.query(
    "INSERT OR REPLACE INTO rewards (challenge_id, uid, hotkey, reward, filtered, created_at) VALUES ($id, $uid, $hotkey, $reward, $filtered, $now)"
  )
  const selRewards = db.query("SELECT * FROM rewards WHERE created_at >= $since ORDER BY created_at, challenge_id, uid")
  const putStateQ = db.query("INSERT OR REPLACE INTO state (key, value, updated_at) VALUES ($key, $value, $now)")
  const getStateQ = db.query("SELECT value FROM state WHERE key = $key")
  const bumpApplied = db.query(
    `INSERT INTO state (key, value, updated_at) VALUES ('${AGGREGATE_APPLIED_KEY}', '1', $now)
     ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT), updated_at = $now`
  )

  const decodeChallenge = decodeRow(ChallengeRow, "decode challenge row")
  const decodeReward = decodeRow(RewardRow, "decode reward row")
  const ResponseRow = Schema.Struct({
    uid: Schema.Number,
    hotkey: Schema.String,
    coldkey: Schema.String,
    ip: Schema.String,
    text: Schema.String,
    tool_calls: Schema.String,
    finish_reason: Schema.NullOr(Schema.String),
    latency_ms: Schema.NullOr(Schema.Number),
    error: Schema.NullOr(Schema.String)
  })
  const decodeResponse = decodeRow(ResponseRow, "decode response row")
  const ToolCalls = Schema.fromJsonString(Schema.Array(Schema.Struct({ id: Schema.optionalKey(Schema.String), name: Schema.String, arguments: Schema.String })))
  const decodeToolCalls = Schema.decodeUnknownSync(ToolCalls)

  const decodeSummary = decodeRow(EvaluationSummary, "decode evaluation row")
  const decodeTotal = decodeRow(MinerTotal, "decode miner totals")

  return {
    db,
    recentEvaluations: (limit) =>
      attempt("recentEvaluations", () =>
        db
          .query("SELECT challenge_id, task_type, best_uid, consensus, created_at FROM evaluations ORDER BY created_at DESC, challenge_id LIMIT $limit")
          .all({ limit: Math.max(0, Math.floor(limit)) })
      ).pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeSummary))),
    evaluationOf: (challengeId) =>
      attempt("evaluationOf", () => {
        const row = db.query("SELECT result FROM evaluations WHERE challenge_id = $id").get({ id: challengeId }) as { result: string } | null
        return row === null ? null : (JSON.parse(row.result) as unknown)
      }),
    minerTotals: (since) =>
      attempt("minerTotals", () =>
        db
          .query(
            `SELECT uid, hotkey, COUNT(*) AS rounds, SUM(CASE WHEN reward > 0 THEN 1 ELSE 0 END) AS earned,
                    SUM(reward) AS total_reward, SUM(CASE WHEN filtered IS NOT NULL THEN 1 ELSE 0 END) AS filtered,
                    MAX(created_at) AS last_seen
             FROM rewards WHERE created_at >= $since GROUP BY uid, hotkey ORDER BY total_reward DESC, uid`
          )
          .all({ since })
      ).pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeTotal))),
    putChallenge: ({ id, source, payload, now }) =>
      Effect.gen(function* () {
        const existing = yield* attempt("getChallenge", () => selChallenge.get({ id }))
        if (existing !== null) {
          const row = yield* decodeChallenge(existing)
          return yield* new DuplicateChallenge({ challengeId: id, status: row.status })
        }
        yield* attempt("putChallenge", () => insChallenge.run({ id, source, payload: JSON.stringify(payload), now }))
      }),
    setChallengeStatus: (id, status, now) => attempt("setChallengeStatus", () => void updStatus.run({ id, status, now })),
    getChallenge: (id) =>
      attempt("getChallenge", () => selChallenge.get({ id })).pipe(
        Effect.flatMap((row) => (row === null ? Effect.succeed(null) : decodeChallenge(row)))
      ),
    unfinishedChallenges: () =>
      attempt("unfinishedChallenges", () =>
        db.query("SELECT * FROM challenges WHERE status IN ('received', 'running') ORDER BY created_at").all()
      ).pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeChallenge))),
    putResponse: (challengeId, r, now) =>
      attempt("putResponse", () =>
        void insResponse.run({
          challenge_id: challengeId,
          uid: r.uid,
          hotkey: r.hotkey,
          coldkey: r.coldkey,
          ip: r.ip,
          text: r.text,
          tool_calls: JSON.stringify(r.toolCalls),
          finish_reason: r.finishReason,
          usage: r.usage === undefined ? null : JSON.stringify(r.usage),
          latency_ms: r.latencyMs,
          error: r.error ?? null,
          received_at: now
        })
      ),
    responsesOf: (challengeId) =>
      attempt("responsesOf", () => selResponses.all({ id: challengeId })).pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, decodeResponse)),
        Effect.flatMap((rows) =>
          attempt("decode tool calls", () =>
            rows.map(
              (r): MinerResponse => ({
                uid: r.uid,
                hotkey: r.hotkey,
                coldkey: r.coldkey,
                ip: r.ip,
                text: r.text,
                latencyMs: r.latency_ms,
                finishReason: r.finish_reason,
                toolCalls: decodeToolCalls(r.tool_calls),
                ...(r.error === null ? {} : { error: r.error })
              })
            )
          )
        )
      ),
    putEvaluation: (result, now, aggregate) =>
      attempt("putEvaluation", () =>
        db.transaction(() => {
          if (aggregate !== undefined) {
            putStateQ.run({ key: aggregate.key, value: JSON.stringify(aggregate.snapshot), now })
            bumpApplied.run({ now })
          }
          insEval.run({
            id: result.roundId,
            task: result.taskType,
            best: result.best,
            consensus: JSON.stringify(result.consensus),
            result: JSON.stringify(result),
            now
          })
          for (const m of result.miners) {
            insReward.run({ id: result.roundId, uid: m.uid, hotkey: m.hotkey, reward: m.reward, filtered: m.filtered, now })
          }
          updStatus.run({ id: result.roundId, status: "evaluated", now })
        })()
      ),
    rewardsSince: (since) =>
      attempt("rewardsSince", () => selRewards.all({ since })).pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeReward))),
    putState: (key, value, now) => attempt("putState", () => void putStateQ.run({ key, value: JSON.stringify(value), now })),
    getState: (key) =>
      attempt("getState", () => {
        const row = getStateQ.get({ key }) as { value: string } | null
        return row === null ? null : (JSON.parse(row.value) as unknown)
      }),
    prune: (before) =>
      attempt("prune", () =>
        db.transaction(() => {
          const ids = db.query("SELECT id FROM challenges WHERE created_at < $before").all({ before }) as Array<{ id: string }>
          for (const { id } of ids) {
            db.query("DELETE FROM responses WHERE challenge_id = $id").run({ id })
            db.query("DELETE FROM evaluations WHERE challenge_id = $id").run({ id })
            db.query("DELETE FROM rewards WHERE challenge_id = $id").run({ id })
            db.query("DELETE FROM challenges WHERE id = $id").run({ id })
          }
          return ids.length
        })()
      ),
    stats: () =>
      attempt("stats", () => {
        const count = (t: string) => (db.query(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n
        return { challenges: count("challenges"), responses: count("responses"), evaluations: count("evaluations") }
      })
  }
}

export class Store extends Context.Service<Store, StoreShape>()("quorum/store/Store") {
  static readonly layer = (path: string, options: DatabaseOptions = {}) =>
    Layer.effect(
      Store,
      Effect.acquireRelease(
        attempt("open database", () => makeStore(openDatabase(path, options))),
        (s) => Effect.sync(() => s.db.close())
      )
    )
}
