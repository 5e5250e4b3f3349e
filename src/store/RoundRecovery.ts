// Which miners a round asked, kept in the responses table so that a crash or a shutdown never leaves
// a miner "in flight" silently: a placeholder row (error = IN_FLIGHT) is written for every selected miner
// (one transaction), right after the round is marked running and before any miner is asked; each answer
// replaces its placeholder as it arrives. A round running without placeholders was interrupted before it
// asked anyone (it is re-run from the start). After a restart the placeholders say who must be asked again (within the round's deadline)
// or recorded as unanswered, with a reason; at shutdown they are closed the same way.
import type { Database } from "bun:sqlite"
import { Effect, Schema } from "effect"
import { StoreError } from "./Store.ts"

/** Error marker of a placeholder row: asked, answer not in yet. Never scored as such. */
export const IN_FLIGHT = "InFlight"
/** Reasons written in place of an in-flight answer that will not come (the first two excuse the miner). */
export { UNANSWERED_RESTART, UNANSWERED_SHUTDOWN } from "../domain/Unanswered.ts"
export const UNANSWERED_GONE = "MinerGone"

export interface AskedMiner {
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
}

const InFlightRow = Schema.Struct({
  uid: Schema.Number,
  hotkey: Schema.String,
  coldkey: Schema.String,
  ip: Schema.String,
  received_at: Schema.Number
})
const decodeInFlight = Schema.decodeUnknownSync(Schema.Array(InFlightRow))

export interface InFlightMiner extends AskedMiner {
  /** When the miner was asked (epoch ms): the round's deadline is this plus the miner timeout. */
  readonly askedAt: number
}

export interface RoundRecovery {
  /** Records every selected miner as in flight (one transaction); the caller marked the round running. */
  readonly recordAsked: (challengeId: string, miners: ReadonlyArray<AskedMiner>, now: number) => Effect.Effect<void, StoreError>
  /** Miners asked by the round whose answer was never stored. */
  readonly inFlight: (challengeId: string) => Effect.Effect<ReadonlyArray<InFlightMiner>, StoreError>
  /** Closes an unfinished round: in-flight miners recorded unanswered with `reason`, status failed. */
  readonly closeRound: (challengeId: string, reason: string, now: number) => Effect.Effect<number, StoreError>
}

const attempt = <A>(operation: string, f: () => A): Effect.Effect<A, StoreError> =>
  Effect.try({ try: f, catch: (cause) => new StoreError({ operation, message: `${operation} failed: ${String(cause)}`, cause }) })

export const makeRoundRecovery = (db: Database): RoundRecovery => {
  const placeholder = db.query(
    `INSERT OR IGNORE INTO responses (challenge_id, uid, hotkey, coldkey, ip, text, tool_calls, finish_reason, usage, latency_ms, error, received_at)
     VALUES ($id, $uid, $hotkey, $coldkey, $ip, '', '[]', NULL, NULL, NULL, '${IN_FLIGHT}', $now)`
  )
  const selInFlight = db.query(
    `SELECT uid, hotkey, coldkey, ip, received_at FROM responses WHERE challenge_id = $id AND error = '${IN_FLIGHT}' ORDER BY uid`
  )
  const close = db.query(`UPDATE responses SET error = $reason, received_at = $now WHERE challenge_id = $id AND error = '${IN_FLIGHT}'`)
  const failed = db.query("UPDATE challenges SET status = 'failed', updated_at = $now WHERE id = $id AND status IN ('received', 'running')")
  return {
    recordAsked: (id, miners, now) =>
      attempt("recordAsked", () =>
        db.transaction(() => {
          for (const m of miners) placeholder.run({ id, uid: m.uid, hotkey: m.hotkey, coldkey: m.coldkey, ip: m.ip, now })
        })()
      ),
    inFlight: (id) =>
      attempt("inFlight", () =>
        decodeInFlight(selInFlight.all({ id })).map((r) => ({ uid: r.uid, hotkey: r.hotkey, coldkey: r.coldkey, ip: r.ip, askedAt: r.received_at }))
      ),
    closeRound: (id, reason, now) =>
      attempt("closeRound", () =>
        db.transaction(() => {
          const n = close.run({ id, reason, now }).changes
          failed.run({ id, now })
          return n
        })()
      )
  }
}
