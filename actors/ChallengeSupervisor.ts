// Singleton supervisor: owns one MinerSession per UID (reconciled from the metagraph: new UIDs start,
// deregistered ones stop, a replaced hotkey restarts its session), takes challenges, persists them before
// anything else, selects miners, fans the query out, persists every answer as it arrives, and hands the
// finished round to the ScoringActor.
import { Cause, Effect, Exit, Ref, Schema, Scope, Semaphore } from "effect"
import { InferenceRequest, type MinerTarget, type MinerTransport } from "../src/miners/Transport.ts"
import type { MinerResponse, RoundInput, ToolSpec } from "../src/scoring/types.ts"
import { IN_FLIGHT, makeRoundRecovery, UNANSWERED_GONE, UNANSWERED_RESTART } from "../src/store/RoundRecovery.ts"
import type { StoreShape } from "../src/store/Store.ts"
import * as Actor from "./internal/Actor.ts"
import * as MinerSession from "./MinerSession.ts"
import { Evaluate, type ScoringActor } from "./ScoringActor.ts"

/** A miner as the metagraph describes it. */
export interface MinerInfo extends MinerTarget {
  readonly coldkey: string
}

export interface Challenge {
  readonly id: string
  readonly source: "synthetic" | "api"
  readonly taskType: string
  readonly request: InferenceRequest
  readonly reference: string | null
  readonly tools: ReadonlyArray<ToolSpec>
}

/** The stored form of a challenge (decoded when a round is resumed after a restart). */
export const ChallengeSchema = Schema.Struct({
  id: Schema.String,
  source: Schema.Literals(["synthetic", "api"]),
  taskType: Schema.String,
  request: InferenceRequest,
  reference: Schema.NullOr(Schema.String),
  tools: Schema.Array(Schema.Struct({ name: Schema.String, parameters: Schema.optionalKey(Schema.Unknown) }))
})

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
    const recovery = makeRoundRecovery(deps.store.db)

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
      // the selection is persisted with the running status: after a crash every asked miner is accounted for
      yield* recovery.markAsked(challenge.id, selected.map((c) => c.info), deps.now())
      const responses = yield* Effect.forEach(selected, (c) => askOne(c, challenge, deps.timeoutMs), { concurrency: "unbounded" })
      yield* deps.scoring.ref.tell(new Evaluate(roundOf(challenge, responses), null))
    })

    /** Asks one miner and persists its answer (or its typed failure) as it arrives. */
    const askOne = (c: Child, challenge: Challenge, timeoutMs: number) =>
      Effect.gen(function* () {
        const availability = yield* c.session.availability
        const exit = yield* Effect.exit(c.session.query(challenge.request, timeoutMs))
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
          : unanswered(base, errorTag(exit.cause))
        // persisted as it arrives: a crash after this point loses no answer
        yield* deps.store.putResponse(challenge.id, response, deps.now())
        return response as MinerResponse
      })

    /**
     * A resumed round: miners still in flight at the crash are asked again with what is left of the
     * round's deadline, or recorded unanswered with the reason; then the round is scored.
     */
    const finishResumed = Effect.fn("ChallengeSupervisor.finishResumed")(function* (challenge: Challenge, stored: ReadonlyArray<MinerResponse>) {
      const pending = yield* recovery.inFlight(challenge.id)
      const live = yield* Ref.get(children)
      const now = deps.now()
      let reasked = 0
      const redone = yield* Effect.forEach(
        pending,
        (p) => {
          const remaining = p.askedAt + deps.timeoutMs - now
          const child = live.get(p.uid)
          if (child !== undefined && child.info.hotkey === p.hotkey && remaining >= MIN_REASK_MS) {
            reasked++
            return askOne(child, challenge, remaining)
          }
          const reason = child === undefined || child.info.hotkey !== p.hotkey ? UNANSWERED_GONE : UNANSWERED_RESTART
          const response = unanswered({ uid: p.uid, hotkey: p.hotkey, coldkey: p.coldkey, ip: p.ip }, reason)
          return deps.store.putResponse(challenge.id, response, now).pipe(Effect.as(response as MinerResponse))
        },
        { concurrency: "unbounded" }
      )
      const answered = stored.filter((r) => r.error !== IN_FLIGHT)
      const responses = [...answered, ...redone].sort((a, b) => a.uid - b.uid)
      yield* Effect.logInfo("resuming round", {
        challenge: challenge.id,
        stored: answered.length,
        asked_again: reasked,
        unanswered: pending.length - reasked
      })
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
      if (stored.length === 0) {
        yield* Effect.logInfo("re-running round interrupted before its miners were asked", { challenge: challenge.id })
        return yield* startRound(challenge)
      }
      // every asked miner has a row (an answer, a failure, or an in-flight placeholder): finish from there
      yield* Effect.forkIn(
        rounds.withPermits(1)(finishResumed(challenge, stored)).pipe(
          Effect.catch((e) => Effect.logWarning("resumed round not scored", { challenge: challenge.id, reason: e._tag, message: e.message }))
        ),
        outer
      )
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

/** A resumed round re-asks an in-flight miner only if at least this much of its deadline is left. */
const MIN_REASK_MS = 250

const unanswered = (base: Omit<MinerResponse, "text" | "latencyMs" | "finishReason" | "toolCalls" | "error">, error: string): MinerResponse => ({
  ...base,
  text: "",
  latencyMs: null,
  finishReason: null,
  toolCalls: [],
  error
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
