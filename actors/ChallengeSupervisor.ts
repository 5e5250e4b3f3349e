// Singleton supervisor: owns one MinerSession per UID (reconciled from the metagraph: new UIDs start,
// deregistered ones stop, a replaced hotkey restarts its session), takes challenges, persists them before
// anything else, selects miners, fans the query out, persists every answer as it arrives, and hands the
// finished round to the ScoringActor.
import { Cause, Effect, Exit, Ref, Schema, Scope, Semaphore } from "effect"
import type { Challenge } from "../src/domain/Challenge.ts"
import type { MinerInfo } from "../src/domain/Miner.ts"
import type { MinerTransport } from "../src/miners/Transport.ts"
import type { MinerResponse, RoundInput } from "../src/scoring/types.ts"
import type { StoreShape } from "../src/store/Store.ts"
import * as Actor from "./internal/Actor.ts"
import * as MinerSession from "./MinerSession.ts"
import { Evaluate, type ScoringActor } from "./ScoringActor.ts"

export class NewChallenge {
  readonly _tag = "NewChallenge"
  constructor(readonly challenge: Challenge) {}
}
export class Reconcile {
  readonly _tag = "Reconcile"
  constructor(readonly miners: ReadonlyArray<MinerInfo>) {}
}
/** A challenge persisted before a restart and not evaluated: score its stored answers, or run it again. */
export class Resume {
  readonly _tag = "Resume"
  constructor(readonly challenge: Challenge) {}
}
export type Msg = NewChallenge | Reconcile | Resume

export class RoundSkipped extends Schema.TaggedError<RoundSkipped>()("RoundSkipped", {
  challengeId: Schema.String,
  message: Schema.String
}) {}

export interface Deps {
  readonly transport: MinerTransport
  readonly store: StoreShape
  readonly scoring: ScoringActor
  readonly minMiners: number
  readonly maxMiners: number
  readonly timeoutMs: number
  readonly maxConcurrent: number
  /** Hotkeys never queried (this validator, other validators). */
  readonly excludeHotkeys: ReadonlySet<string>
  readonly now: () => number
  readonly random: () => number
  /**
   * Optional selection policy (the tournament's next group of adjacent ranks): uids to ask among the
   * available ones, or null to fall back to availability-weighted sampling.
   */
  readonly select?: (available: ReadonlyArray<number>, max: number) => ReadonlyArray<number> | null
}

interface Child {
  readonly info: MinerInfo
  readonly session: MinerSession.MinerSession
  readonly scope: Scope.Closeable
}

export interface ChallengeSupervisor {
  readonly ref: Actor.ActorRef<Msg>
  /** UIDs with a running session. */
  readonly children: Effect.Effect<ReadonlyArray<number>>
  readonly availability: Effect.Effect<ReadonlyArray<{ uid: number; availability: number }>>
  /** Sends every miner session a GET /availability probe (non-blocking; a full mailbox skips it). */
  readonly probeAll: (timeoutMs: number) => Effect.Effect<void>
}

/** Weighted sample without replacement (Efraimidis–Spirakis keys), deterministic for a given rng. */
export const sampleWeighted = <A>(items: ReadonlyArray<{ item: A; weight: number }>, k: number, random: () => number): A[] =>
  items
    .filter((x) => x.weight > 0)
    .map((x) => ({ item: x.item, key: Math.pow(Math.max(random(), 1e-12), 1 / x.weight) }))
    .sort((a, b) => b.key - a.key)
    .slice(0, k)
    .map((x) => x.item)

export const make = (deps: Deps): Effect.Effect<ChallengeSupervisor, never, Scope.Scope> =>
  Effect.gen(function* () {
    const outer = yield* Effect.scope
    const children = yield* Ref.make(new Map<number, Child>())
    const rounds = yield* Semaphore.make(deps.maxConcurrent)

    const startChild = (info: MinerInfo) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(outer)
        const session = yield* MinerSession.make(info, deps.transport, { now: deps.now }).pipe(Scope.provide(scope))
        return { info, session, scope } satisfies Child
      })

    const reconcile = (miners: ReadonlyArray<MinerInfo>) =>
      Effect.gen(function* () {
        const current = yield* Ref.get(children)
        const next = new Map<number, Child>()
        const wanted = new Map(miners.filter((m) => !deps.excludeHotkeys.has(m.hotkey)).map((m) => [m.uid, m]))
        for (const [uid, child] of current) {
          const want = wanted.get(uid)
          const same = want !== undefined && want.hotkey === child.info.hotkey && want.ip === child.info.ip && want.port === child.info.port
          if (same) next.set(uid, { ...child, info: want })
          else {
            yield* Scope.close(child.scope, Exit.void)
            yield* Effect.logInfo(want === undefined ? "miner session stopped (deregistered)" : "miner session replaced", { uid })
          }
        }
        for (const [uid, info] of wanted) {
          if (!next.has(uid)) {
            next.set(uid, yield* startChild(info))
            yield* Effect.logDebug("miner session started", { uid, hotkey: info.hotkey })
          }
        }
        yield* Ref.set(children, next)
      })

    const runRound = Effect.fn("ChallengeSupervisor.round")(function* (challenge: Challenge) {
      const all = [...(yield* Ref.get(children)).values()]
      const picked = deps.select?.(all.map((c) => c.info.uid), deps.maxMiners) ?? null
      const selected =
        picked !== null
          ? all.filter((c) => picked.includes(c.info.uid))
          : sampleWeighted(
              // sampling weight: availability from real answers; a failed /availability probe makes a miner unlikely
              yield* Effect.forEach(all, (c) =>
                c.session.stats.pipe(
                  Effect.map((s) => ({ item: c, weight: (0.05 + MinerSession.availabilityOf(s)) * (s.lastProbeOk === false ? 0.1 : 1) }))
                )
              ),
              deps.maxMiners,
              deps.random
            )
      if (selected.length < deps.minMiners) {
        yield* deps.store.setChallengeStatus(challenge.id, "failed", deps.now())
        return yield* new RoundSkipped({
          challengeId: challenge.id,
          message: `only ${selected.length} miner(s) available, MIN_MINERS is ${deps.minMiners}`
        })
      }
      yield* deps.store.setChallengeStatus(challenge.id, "running", deps.now())
      const responses = yield* Effect.forEach(
        selected,
        (c) =>
          Effect.gen(function* () {
            const availability = yield* c.session.availability
            const exit = yield* Effect.exit(c.session.query(challenge.request, deps.timeoutMs))
            const base = { uid: c.info.uid, hotkey: c.info.hotkey, coldkey: c.info.coldkey, ip: c.info.ip, availability }
            const response: MinerResponse & { usage?: unknown } = Exit.isSuccess(exit)
              ? {
                  ...base,
                  text: exit.value.responseText,
                  latencyMs: exit.value.latencyMs,
                  finishReason: exit.value.finishReason,
                  toolCalls: exit.value.toolCalls.map((t) => ({
                    ...(t.id === undefined ? {} : { id: t.id }),
                    name: t.function.name,
                    arguments: t.function.arguments
                  })),
                  usage: exit.value.usage
                }
              : {
                  ...base,
                  text: "",
                  latencyMs: null,
                  finishReason: null,
                  toolCalls: [],
                  error: errorTag(exit.cause)
                }
            // persisted as it arrives: a crash after this point loses no answer
            yield* deps.store.putResponse(challenge.id, response, deps.now())
            return response as MinerResponse
          }),
        { concurrency: "unbounded" }
      )
      yield* deps.scoring.ref.tell(new Evaluate(roundOf(challenge, responses), null))
    })

    const roundOf = (challenge: Challenge, responses: ReadonlyArray<MinerResponse>): RoundInput => ({
      id: challenge.id,
      prompt: challenge.request.prompt,
      taskType: challenge.taskType,
      reference: challenge.reference,
      tools: challenge.tools,
      responses
    })

    /** Runs the round in the background, at most maxConcurrent at once; a skipped round is logged. */
    const startRound = (challenge: Challenge) =>
      Effect.forkIn(
        rounds.withPermits(1)(runRound(challenge)).pipe(
          Effect.catch((e) => Effect.logWarning("round not run", { challenge: challenge.id, reason: e._tag, message: e.message }))
        ),
        outer
      )

    const resume = Effect.fn("ChallengeSupervisor.resume")(function* (challenge: Challenge) {
      const stored = yield* deps.store.responsesOf(challenge.id)
      if (stored.length >= deps.minMiners) {
        // every answer was persisted as it arrived: score them as they were received
        yield* Effect.logInfo("resuming round from stored answers", { challenge: challenge.id, responses: stored.length })
        yield* deps.scoring.ref.tell(new Evaluate(roundOf(challenge, stored), null))
        return
      }
      yield* Effect.logInfo("re-running round interrupted before its answers were in", { challenge: challenge.id, stored: stored.length })
      yield* startRound(challenge)
    })

    const handle = (msg: Msg) =>
      msg._tag === "Reconcile"
        ? reconcile(msg.miners)
        : msg._tag === "Resume"
          ? resume(msg.challenge)
          : Effect.gen(function* () {
            // persisted before anything else; a duplicate id is refused (no double processing)
            yield* deps.store.putChallenge({ id: msg.challenge.id, source: msg.challenge.source, payload: msg.challenge, now: deps.now() })
            yield* startRound(msg.challenge)
          })

    const ref = yield* Actor.make<Msg, unknown, never>({ name: "supervisor", capacity: 256 }, handle)
    return {
      ref,
      children: Ref.get(children).pipe(Effect.map((m) => [...m.keys()].sort((a, b) => a - b))),
      probeAll: (timeoutMs: number) =>
        Ref.get(children).pipe(
          Effect.flatMap((m) => Effect.forEach([...m.values()], (c) => c.session.ref.tryTell(new MinerSession.Probe(timeoutMs)), { discard: true }))
        ),
      availability: Ref.get(children).pipe(
        Effect.flatMap((m) =>
          Effect.forEach([...m.values()], (c) => c.session.availability.pipe(Effect.map((availability) => ({ uid: c.info.uid, availability }))))
        )
      )
    }
  })

const errorTag = (cause: Cause.Cause<unknown>): string => {
  for (const r of cause.reasons) {
    if (r._tag === "Fail") {
      const e = r.error as { _tag?: string; reason?: string }
      return e.reason ?? e._tag ?? "Error"
    }
  }
  return "Defect"
}
