// The watchdog: a process that looks alive but does nothing is the worst failure of a validator. Three
// conditions are watched — no new block for N seconds (half-dead websocket), no scored round for M minutes,
// a weight submission in flight past its timeout (hung extrinsic). The first remedy is an alert and a
// reconnect; a condition still true after the grace period fails the watchdog with WatchdogTripped, which
// ends the program with a non-zero exit so systemd / pm2 / docker restarts it.
import { Effect, Schedule, Schema } from "effect"
import type { Alerter } from "./Alerts.ts"

export class WatchdogTripped extends Schema.TaggedError<WatchdogTripped>()("WatchdogTripped", {
  condition: Schema.String,
  message: Schema.String
}) {}

export interface WatchdogOptions {
  readonly now: () => number
  readonly startedAt: number
  /** null: no chain (the block condition is not watched). */
  readonly blockMovedAt: Effect.Effect<number> | null
  readonly lastRoundAt: Effect.Effect<number | null>
  /** Start time of the weight submission in flight, or null. */
  readonly submittingSince: Effect.Effect<number | null>
  readonly reconnect: Effect.Effect<void>
  readonly alerter: Alerter
  readonly noBlockSeconds: number
  /** 0 disables the round condition. */
  readonly noRoundSeconds: number
  readonly submitTimeoutSeconds: number
  readonly graceSeconds: number
  readonly checkEveryMs?: number
}

type Condition = "no_block" | "no_round" | "stuck_submission"

export const runWatchdog = (o: WatchdogOptions): Effect.Effect<never, WatchdogTripped> =>
  Effect.gen(function* () {
    const remedied = new Map<Condition, number>()
    const check = Effect.gen(function* () {
      const t = o.now()
      const active = new Map<Condition, string>()
      if (o.blockMovedAt !== null) {
        const since = (t - (yield* o.blockMovedAt)) / 1000
        if (since > o.noBlockSeconds) active.set("no_block", `no new block for ${Math.round(since)} s (limit ${o.noBlockSeconds} s)`)
      }
      if (o.noRoundSeconds > 0) {
        const last = (yield* o.lastRoundAt) ?? o.startedAt
        const since = (t - last) / 1000
        if (since > o.noRoundSeconds) active.set("no_round", `no round scored for ${Math.round(since)} s (limit ${o.noRoundSeconds} s)`)
      }
      const sub = yield* o.submittingSince
      if (sub !== null && (t - sub) / 1000 > o.submitTimeoutSeconds)
        active.set("stuck_submission", `weight submission in flight for ${Math.round((t - sub) / 1000)} s (limit ${o.submitTimeoutSeconds} s)`)

      for (const c of [...remedied.keys()]) {
        if (!active.has(c)) {
          remedied.delete(c)
          yield* Effect.logInfo("watchdog: recovered", { condition: c })
        }
      }
      if (active.size === 0) return yield* o.alerter.resolve("watchdog")
      for (const [c, message] of active) {
        const at = remedied.get(c)
        if (at === undefined) {
          remedied.set(c, t)
          yield* o.alerter.alert(c === "no_block" ? "chain_down" : "watchdog", `${message}; reconnecting`)
          yield* o.reconnect
        } else if ((t - at) / 1000 > o.graceSeconds) {
          yield* o.alerter.alert("watchdog", `${message}; not recovered ${o.graceSeconds} s after the reconnect: exiting for a restart`)
          return yield* new WatchdogTripped({ condition: c, message: `${message}; not recovered after a reconnect: exiting so the process supervisor restarts the validator` })
        }
      }
    })
    return yield* check.pipe(Effect.repeat(Schedule.spaced(`${o.checkEveryMs ?? 5_000} millis`)), Effect.andThen(Effect.never))
  })
