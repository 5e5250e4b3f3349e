// Singleton: on a schedule (and on demand) turns the aggregated miner scores into weights and submits them
// through the chain's weight submitter. Failures are typed, logged and retried at the next tick; the
// submission journal (chain side) persists every attempt and its outcome.
import { Deferred, Effect, Ref, Schedule } from "effect"
import type { Scope } from "effect"
import * as Actor from "./internal/Actor.ts"
import type { MinerWeight, SubmitFailure, SubmitOutcome } from "../src/domain/Weights.ts"

/** How long setNow waits: a submission may wait for inclusion (and finalization) on chain. */
export const SET_NOW_TIMEOUT_MS = 120_000

export class Tick {
  readonly _tag = "Tick"
}
export class SetNow {
  readonly _tag = "SetNow"
  constructor(readonly reply: Deferred.Deferred<SubmitOutcome | null, SubmitFailure>) {}
}
export type Msg = Tick | SetNow

export interface Deps {
  /** The aggregated miner weights now (AggregateActor.weights). */
  readonly weights: Effect.Effect<ReadonlyArray<MinerWeight>, SubmitFailure>
  /** Submits uid → weight (floats); the chain layer normalizes to u16 and applies its own pre-checks. */
  readonly submit: (weights: ReadonlyArray<MinerWeight>) => Effect.Effect<SubmitOutcome, SubmitFailure>
  readonly intervalMs: number
}

export interface WeightSetter {
  readonly ref: Actor.ActorRef<Msg>
  readonly last: Effect.Effect<{ readonly ok: SubmitOutcome | null; readonly error: SubmitFailure | null; readonly attempts: number }>
  readonly setNow: Effect.Effect<SubmitOutcome | null, SubmitFailure | Actor.AskTimeout | Actor.MailboxClosed>
}

export const make = (deps: Deps): Effect.Effect<WeightSetter, never, Scope.Scope> =>
  Effect.gen(function* () {
    const last = yield* Ref.make<{ ok: SubmitOutcome | null; error: SubmitFailure | null; attempts: number }>({ ok: null, error: null, attempts: 0 })
    const once = Effect.gen(function* () {
      const weights = (yield* deps.weights).filter((w) => w.weight > 0)
      if (weights.length === 0) {
        yield* Effect.logInfo("no miner has earned yet; weights not set")
        return null
      }
      const outcome = yield* deps.submit(weights).pipe(
        Effect.tapError((error) => Ref.update(last, (l) => ({ ...l, error, attempts: l.attempts + 1 })))
      )
      yield* Ref.update(last, (l) => ({ ok: outcome, error: null, attempts: l.attempts + 1 }))
      const top = [...weights].sort((a, b) => b.weight - a.weight).slice(0, 3).map((w) => `${w.uid}=${w.weight.toFixed(3)}`).join(",")
      yield* Effect.logInfo(outcome.kind === "dry-run" ? "weights computed, not submitted (dry run: no chain)" : "weights submitted", {
        kind: outcome.kind,
        miners: outcome.uids.length,
        top,
        block: outcome.blockHash ?? "-"
      })
      return outcome
    })
    const ref = yield* Actor.make<Msg, SubmitFailure, never>({ name: "weights", capacity: 8 }, (msg) =>
      msg._tag === "Tick"
        ? once.pipe(
            Effect.catch((e: SubmitFailure) => Effect.logWarning("weights not set", { reason: e._tag, message: e.message })),
            Effect.asVoid
          )
        : once.pipe(Effect.exit, Effect.flatMap((exit) => Deferred.done(msg.reply, exit)), Effect.asVoid)
    )
    yield* Effect.forkScoped(
      ref.tryTell(new Tick()).pipe(Effect.repeat(Schedule.spaced(`${deps.intervalMs} millis`)), Effect.delay(`${deps.intervalMs} millis`))
    )
    return {
      ref,
      last: Ref.get(last),
      setNow: Actor.ask(ref, (reply: Deferred.Deferred<SubmitOutcome | null, SubmitFailure>) => new SetNow(reply), SET_NOW_TIMEOUT_MS)
    }
  })
