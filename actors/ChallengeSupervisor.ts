// Singleton supervisor: owns one MinerSession per UID (reconciled from the metagraph: new UIDs start,
// deregistered ones stop, a replaced hotkey restarts its session), takes challenges, persists them before
// anything else, selects miners (the configured policy, internal/selection.ts), fans the query out, persists every answer as it arrives, and hands the
// finished round to the ScoringActor. It owns its loops too: the challenge tick (one challenge per interval
// from the challenge source), the resume of rounds a restart interrupted, and the availability probes.
// A session that crashes past its restart cap escalates here: it is dropped and the next Reconcile starts
// it again. The miners a round asks are persisted as in-flight placeholders once it is marked running: a
// resumed round asks them again within the deadline or records them unanswered with a reason.
import { randomUUID } from "node:crypto"
import { Cause, Clock, Deferred, Effect, Exit, FiberMap, Random, Ref, Schedule, Schema, Scope, Semaphore } from "effect"
import { type Challenge, ChallengeSchema } from "../src/domain/Challenge.ts"
import type { MinerInfo } from "../src/domain/Miner.ts"
import type { MinerTransport } from "../src/miners/Transport.ts"
import type { MinerResponse, RoundInput } from "../src/scoring/types.ts"
import { IN_FLIGHT, makeRoundRecovery, UNANSWERED_GONE, UNANSWERED_RESTART } from "../src/store/RoundRecovery.ts"
import type { StoreError, StoreShape } from "../src/store/Store.ts"
import { DEFAULT_SELECTION_POLICY } from "../src/scoring/selection.ts"
import * as Actor from "./internal/Actor.ts"
import { choose, type SelectionDeps } from "./internal/selection.ts"
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
/** A challenge its receiver already persisted (the Challenge API push answers only after storing it): run it. */
export class Persisted {
  readonly _tag = "Persisted"
  constructor(readonly challenge: Challenge) {}
}
export type Msg = NewChallenge | Reconcile | Resume | Persisted

export class RoundSkipped extends Schema.TaggedError<RoundSkipped>()("RoundSkipped", {
  challengeId: Schema.String,
  message: Schema.String
}) {}

export interface Deps {
  readonly transport: MinerTransport
  readonly store: StoreShape
  readonly scoring: Pick<ScoringActor, "ref">
  readonly minMiners: number
  readonly maxMiners: number
  readonly timeoutMs: number
  readonly maxConcurrent: number
  /** Hotkeys never queried (this validator, other validators). */
  readonly excludeHotkeys: ReadonlySet<string>
  /** Who a round asks (policy, performance records, the groups policy's group); default: availability sampling. */
  readonly selection?: SelectionDeps
  /** The challenge source: the next challenge (null: none available now). */
  readonly nextChallenge: (id: string) => Effect.Effect<Challenge | null, { readonly message: string }>
  readonly schedule: SupervisorSchedule
  /** Set when the validator shuts down (Shutdown.ts): the challenge tick stops issuing. */
  readonly draining?: Ref.Ref<boolean>
}

/** The supervisor's own loops. */
export interface SupervisorSchedule {
  /** One challenge per interval, the first at once. */
  readonly challengeIntervalMs: number
  /** Stop issuing challenges after this many (0 = unbounded). */
  readonly maxChallenges: number
  /** GET /availability to every miner this often (the first round after probeDelayMs, its probes spread evenly
   *  over the interval), each with probeTimeoutMs. */
  readonly probeIntervalMs: number
  readonly probeDelayMs: number
  readonly probeTimeoutMs: number
}

interface Child {
  readonly info: MinerInfo
  readonly session: MinerSession.MinerSession
}

export interface ChallengeSupervisor {
  readonly ref: Actor.ActorRef<Msg>
  /** UIDs with a running session. */
  readonly children: Effect.Effect<ReadonlyArray<number>>
  /** Per session: availability from real answers and the queries in flight now (seed 003's load). */
  readonly availability: Effect.Effect<ReadonlyArray<{ uid: number; availability: number; inFlight: number }>>
  /** Sends every miner session a GET /availability probe (non-blocking; a full mailbox skips it). */
  readonly probeAll: (timeoutMs: number) => Effect.Effect<void>
  /**
   * Starts the supervisor's loops once the first miner list was reconciled: resumes the rounds stored
   * before a restart and never evaluated, then issues challenges on the tick and probes on its schedule.
   */
  readonly start: Effect.Effect<void, StoreError>
  /** Challenges issued since start (resumed ones not counted). */
  readonly issued: Effect.Effect<number>
}

const challengeFromRow = Schema.decodeUnknownExit(Schema.fromJsonString(ChallengeSchema))

export const make = (deps: Deps): Effect.Effect<ChallengeSupervisor, never, Scope.Scope> =>
  Effect.gen(function* () {
    const outer = yield* Effect.scope
    // one fiber per UID owns that session's scope; the map of sessions is what rounds select from
    const fibers = yield* FiberMap.make<number, void, never>()
    const children = yield* Ref.make(new Map<number, Child>())
    const rounds = yield* Semaphore.make(deps.maxConcurrent)
    const recovery = makeRoundRecovery(deps.store.db)
    const now = Clock.currentTimeMillis
    const selection: SelectionDeps = deps.selection ?? { policy: DEFAULT_SELECTION_POLICY }

    const dropChild = (uid: number, session: MinerSession.MinerSession) =>
      Ref.update(children, (m) => {
        if (m.get(uid)?.session !== session) return m
        const next = new Map(m)
        next.delete(uid)
        return next
      })

    /** Runs the session in its own fiber; returns once it is registered. Its crash (past the cap) lands here. */
    const startChild = (info: MinerInfo) =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<void>()
        const child = Effect.gen(function* () {
          const session = yield* MinerSession.make(info, deps.transport, {})
          yield* Ref.update(children, (m) => new Map(m).set(info.uid, { info, session }))
          yield* Effect.addFinalizer(() => dropChild(info.uid, session))
          yield* Deferred.succeed(ready, undefined)
          return yield* session.ref.crashed
        }).pipe(
          Effect.scoped,
          Effect.catch((e) =>
            Effect.logError("miner session crashed past its restarts; dropped until the next reconcile", { uid: info.uid, message: e.message })
          ),
          Effect.ensuring(Deferred.succeed(ready, undefined))
        )
        yield* FiberMap.run(fibers, info.uid, child)
        yield* Deferred.await(ready)
      })

    const reconcile = (miners: ReadonlyArray<MinerInfo>) =>
      Effect.gen(function* () {
        const current = yield* Ref.get(children)
        const wanted = new Map(miners.filter((m) => !deps.excludeHotkeys.has(m.hotkey)).map((m) => [m.uid, m]))
        for (const [uid, child] of current) {
          const want = wanted.get(uid)
          const same = want !== undefined && want.hotkey === child.info.hotkey && want.ip === child.info.ip && want.port === child.info.port
          if (same) yield* Ref.update(children, (m) => new Map(m).set(uid, { ...child, info: want }))
          else {
            yield* FiberMap.remove(fibers, uid)
            yield* dropChild(uid, child.session)
            yield* Effect.logInfo(want === undefined ? "miner session stopped (deregistered)" : "miner session replaced", { uid })
          }
        }
        for (const [uid, info] of wanted) {
          if (!(yield* Ref.get(children)).has(uid)) {
            yield* startChild(info)
            yield* Effect.logDebug("miner session started", { uid, hotkey: info.hotkey })
          }
        }
      })

    const runRound = Effect.fn("ChallengeSupervisor.round")(function* (challenge: Challenge) {
      const all = [...(yield* Ref.get(children)).values()]
      // enough draws for both passes of the performance policy (exploit, then explore)
      const random = yield* Random.next.pipe(Effect.replicateEffect(2 * all.length + 1))
      let draw = 0
      const { selected, atCap } = yield* choose(selection, all, deps.maxMiners, challenge.taskType, () => random[draw++] ?? 0.5)
      if (atCap > 0) yield* Effect.logDebug("miners at their in-flight cap skipped", { challengeId: challenge.id, skipped: atCap })
      if (selected.length < deps.minMiners) {
        yield* deps.store.setChallengeStatus(challenge.id, "failed", yield* now)
        return yield* new RoundSkipped({
          challengeId: challenge.id,
          message: `only ${selected.length} miner(s) available, MIN_MINERS is ${deps.minMiners}`
        })
      }
      // running (through the store, whose wrappers — metrics, load probe — time the queue stage), then the
      // selection as in-flight placeholders before anyone is asked: after a crash every asked miner is
      // accounted for, and a running round without placeholders is re-run
      yield* deps.store.setChallengeStatus(challenge.id, "running", yield* now)
      yield* recovery.recordAsked(challenge.id, selected.map((c) => c.info), yield* now)
      const responses = yield* Effect.forEach(selected, (c) => askOne(c, challenge, deps.timeoutMs), { concurrency: "unbounded" })
      yield* deps.scoring.ref.tell(new Evaluate(roundOf(challenge, responses), null))
    })

    /** Asks one miner and persists its answer (or its typed failure, tagged by `failureTag`) as it arrives. */
    const askOne = (c: Child, challenge: Challenge, timeoutMs: number, failureTag: (tag: string) => string = (tag) => tag) =>
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
          : unanswered(base, failureTag(errorTag(exit.cause)))
        // persisted as it arrives: a crash after this point loses no answer
        yield* deps.store.putResponse(challenge.id, response, yield* now)
        return response as MinerResponse
      })

    /**
     * A resumed round: miners still in flight at the crash are asked again with what is left of the
     * round's deadline, or recorded unanswered with the reason (a re-ask that runs out of that rest too is
     * the restart's doing: ValidatorRestarted, which the aggregate does not hold against the miner); then the
     * round is scored.
     */
    const finishResumed = Effect.fn("ChallengeSupervisor.finishResumed")(function* (challenge: Challenge, stored: ReadonlyArray<MinerResponse>) {
      const pending = yield* recovery.inFlight(challenge.id)
      const live = yield* Ref.get(children)
      const at = yield* now
      let reasked = 0
      const redone = yield* Effect.forEach(
        pending,
        (p) => {
          const remaining = p.askedAt + deps.timeoutMs - at
          const child = live.get(p.uid)
          if (child !== undefined && child.info.hotkey === p.hotkey && remaining >= MIN_REASK_MS) {
            reasked++
            // what is left of the deadline is the restart's doing: running out of it is no evidence against the miner
            return askOne(child, challenge, remaining, (tag) => (tag === "Timeout" ? UNANSWERED_RESTART : tag))
          }
          const reason = child === undefined || child.info.hotkey !== p.hotkey ? UNANSWERED_GONE : UNANSWERED_RESTART
          const response = unanswered({ uid: p.uid, hotkey: p.hotkey, coldkey: p.coldkey, ip: p.ip }, reason)
          return deps.store.putResponse(challenge.id, response, at).pipe(Effect.as(response as MinerResponse))
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
      if (!stored.some((r) => r.error === IN_FLIGHT)) {
        // every asked miner's answer (or failure) was persisted as it arrived: score them as they were received
        yield* Effect.logInfo("resuming round from stored answers", { challenge: challenge.id, responses: stored.length })
        return yield* deps.scoring.ref.tell(new Evaluate(roundOf(challenge, stored), null))
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
          : msg._tag === "Persisted"
            ? Effect.asVoid(startRound(msg.challenge))
            : Effect.gen(function* () {
            // persisted before anything else; a duplicate id is refused (no double processing)
            yield* deps.store.putChallenge({ id: msg.challenge.id, source: msg.challenge.source, payload: msg.challenge, now: yield* now })
            yield* startRound(msg.challenge)
          })

    const ref = yield* Actor.make<Msg, unknown, never>({ name: "supervisor", capacity: 256 }, handle)

    const probeAll = (timeoutMs: number) =>
      Ref.get(children).pipe(
        Effect.flatMap((m) => Effect.forEach([...m.values()], (c) => c.session.ref.tryTell(new MinerSession.Probe(timeoutMs)), { discard: true }))
      )

    /** One probe per session, evenly spaced over `spanMs` (the sessions of the moment; none: one idle span). */
    const probeSpread = (timeoutMs: number, spanMs: number) =>
      Effect.gen(function* () {
        const sessions = [...(yield* Ref.get(children)).values()]
        if (sessions.length === 0) return yield* Effect.sleep(`${spanMs} millis`)
        const gap = Math.max(1, Math.floor(spanMs / sessions.length))
        for (const c of sessions) {
          yield* c.session.ref.tryTell(new MinerSession.Probe(timeoutMs))
          yield* Effect.sleep(`${gap} millis`)
        }
      })

    /** Rounds received before a restart and never evaluated are resumed (nothing received is lost). */
    const resumeUnfinished = Effect.gen(function* () {
      const unfinished = yield* deps.store.unfinishedChallenges()
      for (const row of unfinished) {
        const decoded = challengeFromRow(row.payload)
        if (Exit.isFailure(decoded)) {
          yield* Effect.logWarning("stored challenge unreadable; marked failed", { challenge: row.id })
          yield* deps.store.setChallengeStatus(row.id, "failed", yield* now)
          continue
        }
        yield* ref.tell(new Resume(decoded.value)).pipe(Effect.ignore)
      }
      if (unfinished.length > 0) yield* Effect.logInfo("resuming unfinished rounds", { count: unfinished.length })
    })

    const issued = yield* Ref.make(0)
    const { challengeIntervalMs, maxChallenges, probeIntervalMs, probeDelayMs, probeTimeoutMs } = deps.schedule
    const issueOne = Effect.gen(function* () {
      if (deps.draining !== undefined && (yield* Ref.get(deps.draining))) return
      if (maxChallenges > 0 && (yield* Ref.get(issued)) >= maxChallenges) return
      const challenge = yield* deps.nextChallenge(randomUUID())
      if (challenge === null) return
      yield* Ref.update(issued, (n) => n + 1)
      yield* ref.tell(new NewChallenge(challenge))
    }).pipe(Effect.catch((e) => Effect.logWarning("no challenge this tick", { message: e.message })))

    const start = Effect.gen(function* () {
      yield* resumeUnfinished
      // a fixed period (CHALLENGE_INTERVAL_SECONDS), not a pause after each tick: the time a tick takes and a
      // late timer do not lower the challenge rate (spaced ticks gave 59.8 instead of 60 per minute under load)
      yield* Effect.forkIn(issueOne.pipe(Effect.repeat(Schedule.fixed(`${challengeIntervalMs} millis`))), outer)
      // a miner that says it is unavailable is rarely picked; the probes of one interval are spread over it
      // (each signs its request on the event loop: 256 at once blocked it for 0.4-1.4 s every minute)
      yield* Effect.forkIn(probeSpread(probeTimeoutMs, probeIntervalMs).pipe(Effect.forever, Effect.delay(`${probeDelayMs} millis`)), outer)
    })

    return {
      ref,
      children: Ref.get(children).pipe(Effect.map((m) => [...m.keys()].sort((a, b) => a - b))),
      probeAll,
      availability: Ref.get(children).pipe(
        Effect.flatMap((m) =>
          Effect.forEach([...m.values()], (c) =>
            c.session.stats.pipe(Effect.map((s) => ({ uid: c.info.uid, availability: MinerSession.availabilityOf(s), inFlight: s.inFlight })))
          )
        )
      ),
      start,
      issued: Ref.get(issued)
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
