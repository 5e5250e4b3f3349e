// Durable record of every weight submission: written BEFORE the extrinsic is sent and updated with
// its outcome, so a crash mid-send leaves a "pending" row to reconcile, and a hash commit's salt
// survives a restart (the reveal needs it). bun:sqlite, WAL. The lead merges this into the Store.
import { Database } from "bun:sqlite"
import { Context, Effect, Layer, Schema } from "effect"
import { BUSY_TIMEOUT_MS } from "../store/Store.ts"

export const SubmissionKind = Schema.Literals(["set", "commit_hash", "reveal_hash", "commit_timelock"])
export type SubmissionKind = typeof SubmissionKind.Type

/**
 * pending: journaled, being sent. unknown: sent, but the outcome was not seen (connection dropped, timed
 * out): reconciled from chain state, never re-submitted while unknown. included / failed: known.
 */
export const SubmissionStatus = Schema.Literals(["pending", "unknown", "included", "failed"])
export type SubmissionStatus = typeof SubmissionStatus.Type

/** Lifecycle of a hash commit's reveal. */
export const RevealStatus = Schema.Literals(["waiting", "revealed", "expired", "abandoned"])
export type RevealStatus = typeof RevealStatus.Type

const U16Array = Schema.Array(Schema.Number)

/** What is known before sending. */
export class NewSubmission extends Schema.Class<NewSubmission>("quorum/chain/NewSubmission")({
  kind: SubmissionKind,
  netuid: Schema.Number,
  hotkey: Schema.String,
  /** Best block when the submission was built. */
  block: Schema.Number,
  versionKey: Schema.String,
  uids: U16Array,
  values: U16Array,
  salt: Schema.NullOr(U16Array),
  commitHash: Schema.NullOr(Schema.String),
  revealRound: Schema.NullOr(Schema.Number),
  revealFirstBlock: Schema.NullOr(Schema.Number),
  revealLastBlock: Schema.NullOr(Schema.Number),
  /** For a reveal: the id of the commit it reveals. */
  revealsId: Schema.NullOr(Schema.Number)
}) {}

export class SubmissionOutcome extends Schema.Class<SubmissionOutcome>("quorum/chain/SubmissionOutcome")({
  status: Schema.Literals(["included", "failed", "unknown"]),
  blockHash: Schema.NullOr(Schema.String),
  blockNumber: Schema.NullOr(Schema.Number),
  txHash: Schema.NullOr(Schema.String),
  finalized: Schema.Boolean,
  /** Error tag (WeightsRejected, TransactionTimeout, …) and runtime name / message, when failed. */
  errorTag: Schema.NullOr(Schema.String),
  errorDetail: Schema.NullOr(Schema.String)
}) {}

export class SubmissionRecord extends Schema.Class<SubmissionRecord>("quorum/chain/SubmissionRecord")({
  id: Schema.Number,
  ...NewSubmission.fields,
  ...SubmissionOutcome.fields,
  /** pending until the outcome is written */
  status: SubmissionStatus,
  revealStatus: Schema.NullOr(RevealStatus),
  createdAtMs: Schema.Number,
  finishedAtMs: Schema.NullOr(Schema.Number)
}) {}

export class JournalError extends Schema.TaggedError<JournalError>()("JournalError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const c = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `weights journal ${this.operation} failed: ${c}. Next: check the database file (disk full, permissions, corruption)`
  }
}

export interface WeightsJournalShape {
  /** Persists a submission as pending; returns its id. Call BEFORE sending. */
  readonly begin: (sub: NewSubmission) => Effect.Effect<number, JournalError>
  /** Records the outcome (included / failed). */
  readonly finish: (id: number, outcome: SubmissionOutcome) => Effect.Effect<void, JournalError>
  /** Hash commits that landed and still wait for their reveal (oldest first). */
  readonly pendingReveals: (netuid: number, hotkey: string) => Effect.Effect<ReadonlyArray<SubmissionRecord>, JournalError>
  /** Marks a hash commit revealed / expired / abandoned. */
  readonly setRevealStatus: (commitId: number, status: RevealStatus) => Effect.Effect<void, JournalError>
  /** Rows still "pending" (sent or about to be sent when the process stopped). */
  readonly unfinished: () => Effect.Effect<ReadonlyArray<SubmissionRecord>, JournalError>
  /** Rows of this netuid and hotkey whose outcome is not known: pending (a crash mid-send) or unknown. */
  readonly unresolved: (netuid: number, hotkey: string) => Effect.Effect<ReadonlyArray<SubmissionRecord>, JournalError>
  readonly get: (id: number) => Effect.Effect<SubmissionRecord | undefined, JournalError>
  readonly recent: (limit: number) => Effect.Effect<ReadonlyArray<SubmissionRecord>, JournalError>
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS weight_submissions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  netuid INTEGER NOT NULL,
  hotkey TEXT NOT NULL,
  block INTEGER NOT NULL,
  version_key TEXT NOT NULL,
  uids TEXT NOT NULL,
  vals TEXT NOT NULL,
  salt TEXT,
  commit_hash TEXT,
  reveal_round INTEGER,
  reveal_first_block INTEGER,
  reveal_last_block INTEGER,
  reveals_id INTEGER,
  status TEXT NOT NULL DEFAULT 'pending',
  block_hash TEXT,
  block_number INTEGER,
  tx_hash TEXT,
  finalized INTEGER NOT NULL DEFAULT 0,
  error_tag TEXT,
  error_detail TEXT,
  reveal_status TEXT,
  created_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS weight_submissions_reveal
  ON weight_submissions (netuid, hotkey, kind, reveal_status);
`

interface Row {
  id: number
  kind: string
  netuid: number
  hotkey: string
  block: number
  version_key: string
  uids: string
  vals: string
  salt: string | null
  commit_hash: string | null
  reveal_round: number | null
  reveal_first_block: number | null
  reveal_last_block: number | null
  reveals_id: number | null
  status: string
  block_hash: string | null
  block_number: number | null
  tx_hash: string | null
  finalized: number
  error_tag: string | null
  error_detail: string | null
  reveal_status: string | null
  created_at_ms: number
  finished_at_ms: number | null
}

const decodeRecord = Schema.decodeUnknownSync(SubmissionRecord)
const JsonU16 = Schema.decodeUnknownSync(Schema.fromJsonString(U16Array))

const toRecord = (r: Row): SubmissionRecord =>
  decodeRecord({
    id: r.id,
    kind: r.kind,
    netuid: r.netuid,
    hotkey: r.hotkey,
    block: r.block,
    versionKey: r.version_key,
    uids: JsonU16(r.uids),
    values: JsonU16(r.vals),
    salt: r.salt === null ? null : JsonU16(r.salt),
    commitHash: r.commit_hash,
    revealRound: r.reveal_round,
    revealFirstBlock: r.reveal_first_block,
    revealLastBlock: r.reveal_last_block,
    revealsId: r.reveals_id,
    status: r.status,
    blockHash: r.block_hash,
    blockNumber: r.block_number,
    txHash: r.tx_hash,
    finalized: r.finalized !== 0,
    errorTag: r.error_tag,
    errorDetail: r.error_detail,
    revealStatus: r.reveal_status,
    createdAtMs: r.created_at_ms,
    finishedAtMs: r.finished_at_ms
  })

/**
 * The journal over an open bun:sqlite database (creates the table; caller owns the handle and its
 * durability pragmas: the store's DB_SYNCHRONOUS applies to a shared handle).
 */
export const makeSqliteJournal = (db: Database, now: () => number = Date.now): WeightsJournalShape => {
  db.run("PRAGMA journal_mode = WAL")
  db.run(SCHEMA)
  const insert = db.query(
    `INSERT INTO weight_submissions (kind, netuid, hotkey, block, version_key, uids, vals, salt, commit_hash,
       reveal_round, reveal_first_block, reveal_last_block, reveals_id, status, reveal_status, created_at_ms)
     VALUES ($kind, $netuid, $hotkey, $block, $versionKey, $uids, $vals, $salt, $commitHash,
       $revealRound, $revealFirst, $revealLast, $revealsId, 'pending', $revealStatus, $now) RETURNING id`
  )
  const update = db.query(
    `UPDATE weight_submissions SET status = $status, block_hash = $blockHash, block_number = $blockNumber,
       tx_hash = $txHash, finalized = $finalized, error_tag = $errorTag, error_detail = $errorDetail,
       finished_at_ms = $now,
       reveal_status = CASE WHEN kind = 'commit_hash' AND $status = 'failed' THEN 'abandoned' ELSE reveal_status END
     WHERE id = $id`
  )
  const pending = db.query(
    `SELECT * FROM weight_submissions WHERE netuid = $netuid AND hotkey = $hotkey AND kind = 'commit_hash'
       AND status = 'included' AND reveal_status = 'waiting' ORDER BY id`
  )
  const setReveal = db.query(`UPDATE weight_submissions SET reveal_status = $status WHERE id = $id`)
  const unfinished = db.query(`SELECT * FROM weight_submissions WHERE status = 'pending' ORDER BY id`)
  const unresolved = db.query(
    `SELECT * FROM weight_submissions WHERE netuid = $netuid AND hotkey = $hotkey AND status IN ('pending', 'unknown') ORDER BY id`
  )
  const byId = db.query(`SELECT * FROM weight_submissions WHERE id = $id`)
  const recent = db.query(`SELECT * FROM weight_submissions ORDER BY id DESC LIMIT $limit`)

  const attempt = <A>(operation: string, f: () => A) =>
    Effect.try({ try: f, catch: (cause) => new JournalError({ operation, cause }) })

  return {
    begin: (s) =>
      attempt("begin", () => {
        const row = insert.get({
          $kind: s.kind,
          $netuid: s.netuid,
          $hotkey: s.hotkey,
          $block: s.block,
          $versionKey: s.versionKey,
          $uids: JSON.stringify(s.uids),
          $vals: JSON.stringify(s.values),
          $salt: s.salt === null ? null : JSON.stringify(s.salt),
          $commitHash: s.commitHash,
          $revealRound: s.revealRound,
          $revealFirst: s.revealFirstBlock,
          $revealLast: s.revealLastBlock,
          $revealsId: s.revealsId,
          $revealStatus: s.kind === "commit_hash" ? "waiting" : null,
          $now: now()
        }) as { id: number } | null
        if (row === null) throw new Error("insert returned no id")
        return row.id
      }),
    finish: (id, o) =>
      attempt("finish", () => {
        update.run({
          $id: id,
          $status: o.status,
          $blockHash: o.blockHash,
          $blockNumber: o.blockNumber,
          $txHash: o.txHash,
          $finalized: o.finalized ? 1 : 0,
          $errorTag: o.errorTag,
          $errorDetail: o.errorDetail,
          $now: now()
        })
      }),
    pendingReveals: (netuid, hotkey) =>
      attempt("pendingReveals", () => (pending.all({ $netuid: netuid, $hotkey: hotkey }) as Array<Row>).map(toRecord)),
    setRevealStatus: (commitId, status) =>
      attempt("setRevealStatus", () => {
        setReveal.run({ $id: commitId, $status: status })
      }),
    unfinished: () => attempt("unfinished", () => (unfinished.all() as Array<Row>).map(toRecord)),
    unresolved: (netuid, hotkey) =>
      attempt("unresolved", () => (unresolved.all({ $netuid: netuid, $hotkey: hotkey }) as Array<Row>).map(toRecord)),
    get: (id) =>
      attempt("get", () => {
        const r = byId.get({ $id: id }) as Row | null
        return r === null ? undefined : toRecord(r)
      }),
    recent: (limit) => attempt("recent", () => (recent.all({ $limit: limit }) as Array<Row>).map(toRecord))
  }
}

export class WeightsJournal extends Context.Service<WeightsJournal, WeightsJournalShape>()("quorum/chain/WeightsJournal") {
  /** bun:sqlite file journal (opened for the layer's lifetime, WAL). */
  static readonly layerSqlite = (path: string) =>
    Layer.effect(
      WeightsJournal,
      Effect.gen(function*() {
        const db = yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const db = new Database(path, { create: true, strict: false })
              // before journal_mode (makeSqliteJournal): another connection's lock is waited for, not an error
              db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
              db.run("PRAGMA synchronous = FULL") // its own file: a landed submission must survive power loss
              return db
            },
            catch: (cause) => new JournalError({ operation: `open ${path}`, cause })
          }),
          (db) => Effect.sync(() => db.close())
        )
        return yield* Effect.try({
          try: () => WeightsJournal.of(makeSqliteJournal(db)),
          catch: (cause) => new JournalError({ operation: "migrate", cause })
        })
      })
    )

  /** In-memory sqlite journal (tests). */
  static readonly layerMemory = Layer.effect(
    WeightsJournal,
    Effect.gen(function*() {
      const db = yield* Effect.acquireRelease(
        Effect.sync(() => new Database(":memory:")),
        (db) => Effect.sync(() => db.close())
      )
      return WeightsJournal.of(makeSqliteJournal(db))
    })
  )
}
