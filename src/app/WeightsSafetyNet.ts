// A safety net for weights (the reference's degraded/emergency modes, done with the chain's own numbers): the
// blocks since our last weights update are watched against the activity cutoff read from chain. When fewer
// than `marginBlocks` remain and fresh scores are missing (no round scored lately: Challenge API down, no
// miners), the last weights that landed are submitted again, so the validator never drops out of consensus
// for want of new rounds. With fresh scores it asks the weight setter for a normal submission instead.
import { Effect, Schedule } from "effect"
import type { SubmitFailure, SubmitOutcome } from "../domain/Weights.ts"
import type { ChainStatus } from "../chain/ChainProbe.ts"
import type { StoreShape } from "../store/Store.ts"

export type Weights = ReadonlyArray<{ readonly uid: number; readonly weight: number }>

export const LAST_GOOD_KEY = "weights:last-good"

export type SafetyDecision =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "SubmitFresh"; readonly blocksToCutoff: number }
  | { readonly _tag: "ResubmitLastGood"; readonly blocksToCutoff: number; readonly weights: Weights }
  | { readonly _tag: "Stranded"; readonly blocksToCutoff: number }

export interface DecisionInput {
  readonly status: ChainStatus | null
  readonly marginBlocks: number
  readonly lastRoundAt: number | null
  readonly freshWindowMs: number
  readonly now: number
  readonly current: Weights
  readonly lastGood: Weights | null
}

/** Pure: what to do at this poll. */
export const decide = (i: DecisionInput): SafetyDecision => {
  const left = i.status?.blocksToCutoff ?? null
  if (left === null || left > i.marginBlocks) return { _tag: "Ok" }
  const fresh = i.lastRoundAt !== null && i.now - i.lastRoundAt <= i.freshWindowMs && i.current.some((w) => w.weight > 0)
  if (fresh) return { _tag: "SubmitFresh", blocksToCutoff: left }
  if (i.lastGood !== null && i.lastGood.length > 0) return { _tag: "ResubmitLastGood", blocksToCutoff: left, weights: i.lastGood }
  return { _tag: "Stranded", blocksToCutoff: left }
}

/** Keeps the weights of every successful submission (they survive restarts in the state table). */
export const rememberGood =
  (store: StoreShape, now: () => number) =>
  (weights: Weights): Effect.Effect<void> =>
    store.putState(LAST_GOOD_KEY, { weights, at: now() }, now()).pipe(Effect.catch((e) => Effect.logWarning("last good weights not stored", { message: e.message })))

export const readLastGood = (store: StoreShape): Effect.Effect<Weights | null> =>
  store.getState(LAST_GOOD_KEY).pipe(
    Effect.map((v) => {
      const w = (v as { weights?: unknown } | null)?.weights
      return Array.isArray(w) ? (w.filter((x) => typeof x?.uid === "number" && typeof x?.weight === "number") as Weights) : null
    }),
    Effect.catch(() => Effect.succeed(null))
  )

export interface SafetyNetOptions {
  readonly store: StoreShape
  readonly status: Effect.Effect<ChainStatus | null>
  readonly lastRoundAt: Effect.Effect<number | null>
  readonly current: () => Weights
  readonly submit: (weights: Weights) => Effect.Effect<SubmitOutcome, SubmitFailure>
  readonly setNow: Effect.Effect<unknown, { readonly _tag: string }>
  readonly marginBlocks: number
  readonly freshWindowMs: number
  readonly pollMs: number
  /** No second attempt within this time (the chain needs a few blocks to show LastUpdate). */
  readonly retryMs: number
  readonly now: () => number
}

export const runSafetyNet = (o: SafetyNetOptions) =>
  Effect.gen(function* () {
    let lastAttempt = 0
    const tick = Effect.gen(function* () {
      if (o.now() - lastAttempt < o.retryMs) return
      const d = decide({
        status: yield* o.status,
        marginBlocks: o.marginBlocks,
        lastRoundAt: yield* o.lastRoundAt,
        freshWindowMs: o.freshWindowMs,
        now: o.now(),
        current: o.current(),
        lastGood: yield* readLastGood(o.store)
      })
      if (d._tag === "Ok") return
      lastAttempt = o.now()
      if (d._tag === "SubmitFresh") {
        yield* Effect.logWarning("weights safety net: activity cutoff near, submitting fresh weights now", { blocksToCutoff: d.blocksToCutoff })
        yield* o.setNow.pipe(Effect.catch((e) => Effect.logWarning("weights safety net: submission failed", { reason: e._tag })))
      } else if (d._tag === "ResubmitLastGood") {
        yield* Effect.logWarning("weights safety net: no fresh scores and the activity cutoff is near; re-submitting the last good weights", {
          blocksToCutoff: d.blocksToCutoff,
          miners: d.weights.length
        })
        yield* o.submit(d.weights).pipe(
          Effect.tap((r) => Effect.logInfo("weights safety net: last good weights re-submitted", { kind: r.kind, block: r.blockHash ?? "-" })),
          Effect.catch((e) => Effect.logWarning("weights safety net: re-submission failed", { reason: e._tag, message: e.message }))
        )
      } else {
        yield* Effect.logError("weights safety net: activity cutoff near and no weights were ever set; the validator will lose its dividends", {
          blocksToCutoff: d.blocksToCutoff
        })
      }
    })
    return yield* tick.pipe(Effect.repeat(Schedule.spaced(`${o.pollMs} millis`)))
  })
