// Singleton: receives finished rounds, embeds them in the worker pool, scores them with the pure engine,
// persists the evaluation and the aggregation state, and publishes the result.
import { Deferred, Effect, PubSub, Schema } from "effect"
import type { Scope } from "effect"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../src/scoring/types.ts"
import type { StoreError, StoreShape } from "../src/store/Store.ts"
import * as Actor from "./internal/Actor.ts"

export class ScoringFailed extends Schema.TaggedError<ScoringFailed>()("ScoringFailed", {
  roundId: Schema.String,
  stage: Schema.Literals(["embed", "score", "store"]),
  message: Schema.String
}) {}

/** Round rewards → long-run miner weights (EMA or group tournament); state is plain data. */
export interface Aggregator {
  readonly kind: string
  readonly update: (result: RoundResult) => void
  readonly weights: () => ReadonlyArray<{ readonly uid: number; readonly weight: number }>
  readonly snapshot: () => unknown
}

/** A round as it was scored and its result. */
export interface Scored {
  readonly round: RoundInput
  readonly result: RoundResult
}

export class Evaluate {
  readonly _tag = "Evaluate"
  constructor(
    readonly round: RoundInput,
    readonly reply: Deferred.Deferred<RoundResult, ScoringFailed> | null
  ) {}
}
export type Msg = Evaluate

export interface Deps {
  readonly embed: (round: RoundInput) => Effect.Effect<RoundEmbeddings, { readonly message: string }>
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => RoundResult
  readonly store: StoreShape
  readonly aggregator: Aggregator
  readonly now: () => number
  readonly evaluationTimeoutMs: number
}

export interface ScoringActor {
  readonly ref: Actor.ActorRef<Msg>
  /** Every scored round with its input (subscribers: counters, the Challenge API post-back). */
  readonly results: PubSub.PubSub<Scored>
  /** Scores a round and waits for the result. */
  readonly evaluate: (round: RoundInput) => Effect.Effect<RoundResult, ScoringFailed | Actor.AskTimeout | Actor.MailboxClosed>
}

export const make = (deps: Deps): Effect.Effect<ScoringActor, never, Scope.Scope> =>
  Effect.gen(function* () {
    const results = yield* PubSub.bounded<Scored>({ capacity: 256, replay: 1 })
    const fail = (round: RoundInput, stage: "embed" | "score" | "store", message: string) =>
      new ScoringFailed({ roundId: round.id, stage, message })

    const evaluate = Effect.fn("ScoringActor.evaluate")(function* (round: RoundInput) {
      const emb = yield* deps.embed(round).pipe(
        Effect.timeoutOrElse({
          duration: `${deps.evaluationTimeoutMs} millis`,
          orElse: () => Effect.fail({ message: `embedding timed out after ${deps.evaluationTimeoutMs} ms` })
        }),
        Effect.mapError((e) => fail(round, "embed", e.message))
      )
      const result = yield* Effect.try({
        try: () => deps.score(round, emb),
        catch: (e) => fail(round, "score", String(e))
      })
      const now = deps.now()
      // the evaluation and the aggregate it moves are one transaction: a crash leaves both or neither on disk
      deps.aggregator.update(result)
      yield* deps.store
        .putEvaluation(result, now, { key: `aggregate:${deps.aggregator.kind}`, snapshot: deps.aggregator.snapshot() })
        .pipe(Effect.mapError((e: StoreError) => fail(round, "store", e.message)))
      yield* PubSub.publish(results, { round, result })
      yield* Effect.logInfo("round scored", {
        round: round.id,
        responses: round.responses.length,
        consensus: result.consensus.length,
        best: result.best
      })
      return result
    })

    const ref = yield* Actor.make<Msg, ScoringFailed, never>({ name: "scoring", capacity: 64 }, (msg) =>
      evaluate(msg.round).pipe(
        Effect.exit,
        Effect.flatMap((exit) => (msg.reply === null ? Effect.void : Deferred.done(msg.reply, exit))),
        Effect.asVoid
      )
    )
    return {
      ref,
      results,
      evaluate: (round: RoundInput) =>
        Actor.ask(ref, (reply: Deferred.Deferred<RoundResult, ScoringFailed>) => new Evaluate(round, reply), deps.evaluationTimeoutMs * 2 + 5_000)
    }
  })
