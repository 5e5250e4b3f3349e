// Clean shutdown of the rounds (SIGTERM / SIGINT / end of a bounded demo): no new challenge is issued, the
// rounds already running may finish (their answers and scoring) within a grace period, and whatever is
// still unfinished after it is closed — each in-flight miner recorded unanswered with a reason, the round
// marked failed — so that no round is left `running` in the database.
import { Clock, Effect, Ref } from "effect"
import { makeRoundRecovery, UNANSWERED_SHUTDOWN } from "../store/RoundRecovery.ts"
import type { StoreShape } from "../store/Store.ts"

export interface DrainOptions {
  readonly store: StoreShape
  /** Set at the start of the drain: the challenge source checks it and stops issuing. */
  readonly draining: Ref.Ref<boolean>
  readonly graceMs: number
  readonly pollMs?: number
}

export interface DrainResult {
  readonly waitedMs: number
  /** Rounds still unfinished after the grace period, closed. */
  readonly closed: ReadonlyArray<string>
}

export const drainRounds = (o: DrainOptions): Effect.Effect<DrainResult> =>
  Effect.gen(function* () {
    yield* Ref.set(o.draining, true)
    const t0 = yield* Clock.currentTimeMillis
    const unfinished = o.store.unfinishedChallenges().pipe(Effect.map((rows) => rows.map((r) => r.id)))
    let open = yield* unfinished
    if (open.length > 0) yield* Effect.logInfo("shutdown: letting running rounds finish", { rounds: open.length, grace_ms: o.graceMs })
    while (open.length > 0 && (yield* Clock.currentTimeMillis) - t0 < o.graceMs) {
      yield* Effect.sleep(`${o.pollMs ?? 100} millis`)
      open = yield* unfinished
    }
    const recovery = makeRoundRecovery(o.store.db)
    for (const id of open) {
      const unanswered = yield* recovery.closeRound(id, UNANSWERED_SHUTDOWN, yield* Clock.currentTimeMillis)
      yield* Effect.logWarning("shutdown: round closed unfinished", { challenge: id, unanswered })
    }
    return { waitedMs: (yield* Clock.currentTimeMillis) - t0, closed: open }
  }).pipe(
    Effect.catch((e) => Effect.logError("shutdown: rounds not closed", { message: e.message }).pipe(Effect.as({ waitedMs: 0, closed: [] })))
  )
