// Singleton: receives finished rounds, embeds them in the worker pool, scores them with the pure engine,
// has the AggregateActor persist the evaluation and the aggregate it moves (one transaction, acknowledged
// once on disk) and publishes the result.
import { Deferred, Effect, PubSub, Schema } from "effect"
import type { Scope } from "effect"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../src/scoring/types.ts"
import * as Actor from "./internal/Actor.ts"

export class ScoringFailed extends Schema.TaggedError<ScoringFailed>()("ScoringFailed", {
  roundId: Schema.String,
  stage: Schema.Literals(["embed", "score", "store"]),
  message: Schema.String
}) {}

/** A round as it was scored and its result. */
export interface Scored {
  readonly round: RoundInput
  readonly result: RoundResult
  /** The embeddings it was scored on (the heatmap writer draws their similarity matrix). */
  readonly embeddings: RoundEmbeddings
}

/** evaluate waits for the embedding deadline twice (queued behind one round, then its own) plus this. */
const ASK_MARGIN_MS = 5_000

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
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => Effect.Effect<RoundResult, { readonly message: string }>
  /**
   * Stores the evaluation and moves the long-run aggregate with it, in one transaction (AggregateActor.update:
   * acknowledged once both are on disk).
   */
  readonly aggregate: (result: RoundResult) => Effect.Effect<void, { readonly message: string }>
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
      const result = yield* Effect.suspend(() => deps.score(round, emb)).pipe(Effect.mapError((e) => fail(round, "score", e.message)))
      // the evaluation and the aggregate it moves are one transaction (AggregateActor.update): a crash leaves
      // both or neither on disk, and the aggregate only moves for rounds that are stored
      yield* deps.aggregate(result).pipe(Effect.mapError((e) => fail(round, "store", e.message)))
      yield* PubSub.publish(results, { round, result, embeddings: emb })
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
        Actor.ask(ref, (reply: Deferred.Deferred<RoundResult, ScoringFailed>) => new Evaluate(round, reply), deps.evaluationTimeoutMs * 2 + ASK_MARGIN_MS)
    }
  })
