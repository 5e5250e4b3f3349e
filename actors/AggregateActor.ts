// Singleton: owns the aggregation state (round rewards → long-run miner weights: EMA, the group tournament, or
// seed 003's cumulative / recent-historical blend, with its optional stake blend; internal/aggregation.ts) and
// seed 003's per-miner performance records (tiers, selection). Every change goes through its mailbox: a scored round (Update: its evaluation and
// the new state persisted in one transaction before it is acknowledged), the registered set (Sync), the
// tournament's next group (PickGroup) and the weights (ReadWeights). After each change the weights are published (`changes`, `published`).
import { Clock, Deferred, Effect, PubSub, Ref } from "effect"
import type { Scope } from "effect"
import type { MinerWeight } from "../src/domain/Weights.ts"
import { type PerformanceState, type TierName, tierOfRecord } from "../src/scoring/performance.ts"
import type { RoundResult } from "../src/scoring/types.ts"
import type { StoreError, StoreShape } from "../src/store/Store.ts"
import { type AggregatorOptions, type AppAggregator, loadAggregator } from "./internal/aggregation.ts"
import * as Actor from "./internal/Actor.ts"

/**
 * A scored round moves the aggregate; its evaluation and the new state are stored in one transaction, and
 * the reply comes once both are on disk.
 */
export class Update {
  readonly _tag = "Update"
  constructor(
    readonly result: RoundResult,
    readonly reply: Deferred.Deferred<void, StoreError>
  ) {}
}
/** Registered uid → hotkey: drops deregistered uids, resets replaced hotkeys; stakes when the source knows them. */
export class Sync {
  readonly _tag = "Sync"
  constructor(
    readonly registered: ReadonlyMap<number, string>,
    readonly stakes?: ReadonlyMap<number, number>
  ) {}
}
/** The next group of adjacent ranks among `available` (the groups selection policy). */
export class PickGroup {
  readonly _tag = "PickGroup"
  constructor(
    readonly available: ReadonlyArray<number>,
    readonly max: number,
    readonly reply: Deferred.Deferred<ReadonlyArray<number>>
  ) {}
}
export class ReadWeights {
  readonly _tag = "ReadWeights"
  constructor(readonly reply: Deferred.Deferred<ReadonlyArray<MinerWeight>>) {}
}
export type Msg = Update | Sync | PickGroup | ReadWeights

export interface Deps {
  readonly store: StoreShape
  readonly options: AggregatorOptions
  /** How long a caller waits for an answer (the actor only does memory work and one state write). */
  readonly askTimeoutMs: number
}

export interface AggregateActor {
  readonly kind: AppAggregator["kind"]
  readonly ref: Actor.ActorRef<Msg>
  readonly update: (result: RoundResult) => Effect.Effect<void, StoreError | Actor.AskTimeout | Actor.MailboxClosed>
  readonly sync: (registered: ReadonlyMap<number, string>, stakes?: ReadonlyMap<number, number>) => Effect.Effect<void, Actor.MailboxClosed>
  readonly pickGroup: (available: ReadonlyArray<number>, max: number) => Effect.Effect<ReadonlyArray<number>, Actor.AskTimeout | Actor.MailboxClosed>
  /** The weights now, in mailbox order (after every change sent before). */
  readonly weights: Effect.Effect<ReadonlyArray<MinerWeight>, Actor.AskTimeout | Actor.MailboxClosed>
  /** The weights as last published (no mailbox wait: for readers such as the HTTP API). */
  readonly published: Effect.Effect<ReadonlyArray<MinerWeight>>
  /** Every change of the weights (after an update or a sync). */
  readonly changes: PubSub.PubSub<ReadonlyArray<MinerWeight>>
  /** Each miner's aggregate score as last published (uid → score; for the operator console). */
  readonly publishedScores: Effect.Effect<ReadonlyMap<number, number | null>>
  /** Seed 003's per-miner records as last published (tiers, selection, /miners). */
  readonly publishedPerformance: Effect.Effect<PerformanceState>
}

/** The tier of each miner of a round (seed 003, over the record's recent window). */
const tiersOf = (perf: PerformanceState, result: RoundResult): Map<number, TierName | null> =>
  new Map(result.miners.map((m) => {
    const r = perf.miners[String(m.uid)]
    return [m.uid, r === undefined || r.hotkey !== m.hotkey ? null : tierOfRecord(r)] as const
  }))

const tierChanges = (before: ReadonlyMap<number, TierName | null>, after: ReadonlyMap<number, TierName | null>) =>
  [...after].flatMap(([uid, to]) => (before.get(uid) === to || to === null ? [] : [{ uid, from: before.get(uid) ?? "new", to }]))

export const make = (deps: Deps): Effect.Effect<AggregateActor, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    // the state: restored from the store (a corrupt or foreign snapshot starts fresh), then only touched here
    const agg = yield* loadAggregator(deps.store, deps.options)
    const published = yield* Ref.make(agg.weights())
    const changes = yield* PubSub.sliding<ReadonlyArray<MinerWeight>>(16)
    const scoresNow = (): ReadonlyMap<number, number | null> =>
      new Map(Object.entries(agg.state().miners).map(([uid, e]) => [Number(uid), e.score] as const))
    const scores = yield* Ref.make(scoresNow())
    const performance = yield* Ref.make(agg.performance())
    const publish = Effect.suspend(() => {
      const w = agg.weights()
      return Ref.set(published, w).pipe(
        Effect.andThen(Ref.set(scores, scoresNow())),
        Effect.andThen(Ref.set(performance, agg.performance())),
        Effect.andThen(PubSub.publish(changes, w)),
        Effect.asVoid
      )
    })
    // the scored round's evaluation and the aggregate state it produced, in one transaction (with the
    // `aggregate:applied` counter): a crash leaves both or neither on disk
    const persist = (result: RoundResult) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        deps.store.putEvaluation(result, now, { key: `aggregate:${agg.kind}`, snapshot: agg.snapshot() })
      )

    const handle = (msg: Msg): Effect.Effect<void> => {
      switch (msg._tag) {
        case "Update":
          return Effect.sync(() => {
            const before = tiersOf(agg.performance(), msg.result)
            agg.update(msg.result)
            return tierChanges(before, tiersOf(agg.performance(), msg.result))
          }).pipe(
            Effect.tap((changed) =>
              // a first tier is routine (debug); a change of tier is news for the operator
              Effect.forEach(changed, (c) => (c.from === "new" ? Effect.logDebug("miner tier", c) : Effect.logInfo("miner tier changed", c)), { discard: true })
            ),
            Effect.andThen(persist(msg.result)),
            Effect.exit,
            Effect.tap(() => publish),
            Effect.flatMap((exit) => Deferred.done(msg.reply, exit)),
            Effect.asVoid
          )
        case "Sync":
          return Effect.sync(() => agg.sync(msg.registered, msg.stakes)).pipe(Effect.andThen(publish))
        case "PickGroup":
          return Deferred.succeed(msg.reply, agg.pickGroup(msg.available, msg.max)).pipe(Effect.asVoid)
        case "ReadWeights":
          return Deferred.succeed(msg.reply, agg.weights()).pipe(Effect.asVoid)
      }
    }
    const ref = yield* Actor.make<Msg, never, never>({ name: "aggregate", capacity: 256 }, handle)
    const ask = <A, E>(build: (reply: Deferred.Deferred<A, E>) => Msg) => Actor.ask(ref, build, deps.askTimeoutMs)
    return {
      kind: agg.kind,
      ref,
      update: (result) => ask((reply: Deferred.Deferred<void, StoreError>) => new Update(result, reply)),
      sync: (registered, stakes) => ref.tell(new Sync(registered, stakes)),
      pickGroup: (available, max) => ask((reply: Deferred.Deferred<ReadonlyArray<number>>) => new PickGroup(available, max, reply)),
      weights: ask((reply: Deferred.Deferred<ReadonlyArray<MinerWeight>>) => new ReadWeights(reply)),
      published: Ref.get(published),
      changes,
      publishedScores: Ref.get(scores),
      publishedPerformance: Ref.get(performance)
    } satisfies AggregateActor
  })
