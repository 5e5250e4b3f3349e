// Actor behaviour on the TestClock, without the model: time only moves with TestClock.adjust, so deadlines,
// restarts and schedules are checked exactly and without sleeping. Fake transports and embedders; real SQLite.
import { describe, expect } from "bun:test"
import { Clock, Effect, Fiber, PubSub, Ref } from "effect"
import { TestClock } from "effect/testing"
import * as AggregateActor from "../../actors/AggregateActor.ts"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import * as Actor from "../../actors/internal/Actor.ts"
import * as MinerSession from "../../actors/MinerSession.ts"
import * as ScoringActor from "../../actors/ScoringActor.ts"
import * as WeightSetter from "../../actors/WeightSetter.ts"
import type { Challenge } from "../../src/domain/Challenge.ts"
import type { InferenceReply, InferenceRequest } from "../../src/domain/Inference.ts"
import type { MinerInfo, MinerTarget } from "../../src/domain/Miner.ts"
import type { MinerTransport } from "../../src/miners/Transport.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"
import { DEFAULT_SELECTION_POLICY } from "../../src/scoring/selection.ts"
import { itEffect } from "../support/effect.ts"

const reply = (text: string): InferenceReply => ({ responseText: text, toolCalls: [], finishReason: "stop", usage: null, latencyMs: 1, status: 200 })
const request = (id: string): InferenceRequest => ({
  challengeId: id,
  prompt: "p",
  messages: [{ role: "user", content: "p" }],
  model: null,
  max_tokens: 16,
  temperature: null,
  top_p: null,
  tools: [],
  tool_choice: null
})
const target = (uid: number, hotkey = `hk${uid}`): MinerInfo => ({ uid, hotkey, ip: "127.0.0.1", port: 1000 + uid, coldkey: `ck${uid}` })

/** Answers after `delayMs` of (test) time; probes die when `probeDies` is set. */
const slowTransport = (delayMs: number, probeDies = false): MinerTransport => ({
  protocol: "dendrite",
  query: (t: MinerTarget) => Effect.sleep(`${delayMs} millis`).pipe(Effect.as(reply(`answer of ${t.uid}`))),
  availability: () => (probeDies ? Effect.die("probe exploded") : Effect.succeed(true))
})

const memoryStore = Effect.acquireRelease(
  Effect.sync(() => openDatabase(":memory:")),
  (db) => Effect.sync(() => db.close())
).pipe(Effect.map(makeStore))

const emptyResult = (round: RoundInput): RoundResult => ({
  roundId: round.id,
  taskType: round.taskType,
  miners: round.responses.map((r) => ({ uid: r.uid, hotkey: r.hotkey, reward: 0.5, axes: {}, score: 0.5, filtered: null })),
  consensus: [],
  clusters: [],
  best: null
})
const noEmbeddings: RoundEmbeddings = { dim: 1, prompt: new Float32Array(1), responses: new Float32Array(0), reference: null, similarity: new Float32Array(0) }
const round = (id: string): RoundInput => ({ id, prompt: "p", taskType: "chat", reference: null, tools: [], responses: [] })

describe("MinerSession on the TestClock", () => {
  itEffect("an answer inside the deadline counts; the ask deadline is the transport deadline plus the margin", () =>
    Effect.gen(function* () {
      const session = yield* MinerSession.make(target(1), slowTransport(2_000))
      const ok = yield* Effect.forkChild(session.query(request("a"), 3_000))
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(ok)).responseText).toBe("answer of 1")
      expect(yield* session.availability).toBe(1)

      // the fake transport ignores its deadline: the ask gives up at timeout + margin, not before
      const stuck = yield* MinerSession.make(target(9), slowTransport(60_000))
      const late = yield* Effect.forkChild(Effect.flip(stuck.query(request("b"), 1_000)))
      yield* TestClock.adjust(`${1_000 + MinerSession.SESSION_DEFAULTS.askMarginMs - 1} millis`)
      expect(late.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      expect((yield* Fiber.join(late))._tag).toBe("AskTimeout")
    })
  )

  itEffect("a defect in the mailbox loop restarts it after the backoff; its stats survive", () =>
    Effect.gen(function* () {
      const session = yield* MinerSession.make(target(2), slowTransport(10, true))
      const first = yield* Effect.forkChild(session.query(request("a"), 1_000))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(first)
      yield* session.ref.tell(new MinerSession.Probe(100)) // dies inside the loop → restart
      const second = yield* Effect.forkChild(session.query(request("b"), 1_000))
      yield* TestClock.adjust("99 millis")
      expect(second.pollUnsafe()).toBeUndefined() // still in the 100 ms restart backoff
      yield* TestClock.adjust("11 millis") // backoff over, then the 10 ms answer
      expect((yield* Fiber.join(second)).responseText).toBe("answer of 2")
      expect((yield* session.stats).asked).toBe(2)
    })
  )
})

describe("ScoringActor on the TestClock", () => {
  itEffect("stores the evaluation, moves the aggregate, publishes; a slow embedding fails at the deadline", () =>
    Effect.gen(function* () {
      const store = yield* memoryStore
      const aggregated = yield* Ref.make<ReadonlyArray<string>>([])
      const slow = new Set(["slow"])
      const scoring = yield* ScoringActor.make({
        embed: (r) => (slow.has(r.id) ? Effect.sleep("10 seconds").pipe(Effect.as(noEmbeddings)) : Effect.succeed(noEmbeddings)),
        score: (round) => Effect.succeed(emptyResult(round)),
        // the AggregateActor stores the evaluation with the aggregate it moves; this stand-in stores it too
        aggregate: (result) =>
          Clock.currentTimeMillis.pipe(
            Effect.flatMap((now) => store.putEvaluation(result, now)),
            Effect.andThen(Ref.update(aggregated, (xs) => [...xs, result.roundId]))
          ),
        evaluationTimeoutMs: 5_000
      })
      yield* store.putChallenge({ id: "fast", source: "synthetic", payload: {}, now: 0 })
      expect((yield* scoring.evaluate(round("fast"))).roundId).toBe("fast")
      expect(yield* Ref.get(aggregated)).toEqual(["fast"])
      expect((yield* store.getChallenge("fast"))?.status).toBe("evaluated")

      const failed = yield* Effect.forkChild(Effect.flip(scoring.evaluate(round("slow"))))
      yield* TestClock.adjust("4999 millis")
      expect(failed.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      const e = yield* Fiber.join(failed)
      expect(e._tag === "ScoringFailed" ? e.stage : e._tag).toBe("embed")
      expect(yield* Ref.get(aggregated)).toEqual(["fast"]) // a failed round never moves the aggregate
    })
  )
})

describe("WeightSetter on the TestClock", () => {
  itEffect("submits once per interval (not at start); a failure is recorded and retried at the next tick", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const setter = yield* WeightSetter.make({
        weights: Effect.succeed([{ uid: 1, weight: 0.5 }, { uid: 2, weight: 0 }]),
        submit: (ws) =>
          Ref.updateAndGet(calls, (n) => n + 1).pipe(
            Effect.flatMap((n) =>
              n === 2 ? Effect.fail({ _tag: "WeightsRejected", message: "rate limited" }) : Effect.succeed({ kind: "set", blockHash: null, uids: ws.map((w) => w.uid) })
            )
          ),
        intervalMs: 1_000
      })
      yield* TestClock.adjust("999 millis")
      expect(yield* Ref.get(calls)).toBe(0)
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(calls)).toBe(1)
      expect((yield* setter.last).ok?.uids).toEqual([1]) // zero weights are not submitted
      yield* TestClock.adjust("1 second")
      expect(yield* Ref.get(calls)).toBe(2)
      expect((yield* setter.last).error?._tag).toBe("WeightsRejected")
      yield* TestClock.adjust("1 second")
      expect(yield* Ref.get(calls)).toBe(3)
      expect((yield* setter.last).error).toBeNull()
    })
  )
})

describe("ChallengeSupervisor on the TestClock", () => {
  const supervisor = (nextChallenge: ChallengeSupervisor.Deps["nextChallenge"], maxChallenges = 0) =>
    Effect.gen(function* () {
      const store = yield* memoryStore
      const evaluated = yield* Ref.make<ReadonlyArray<string>>([])
      const scoringRef = yield* Actor.make<ScoringActor.Msg, never, never>({ name: "fake-scoring", capacity: 16 }, (m) =>
        Ref.update(evaluated, (xs) => [...xs, m.round.id])
      )
      const sup = yield* ChallengeSupervisor.make({
        transport: slowTransport(100),
        store,
        scoring: { ref: scoringRef },
        minMiners: 1,
        maxMiners: 8,
        timeoutMs: 1_000,
        maxConcurrent: 2,
        excludeHotkeys: new Set(["validator"]),
        nextChallenge,
        schedule: { challengeIntervalMs: 1_000, maxChallenges, probeIntervalMs: 60_000, probeDelayMs: 60_000, probeTimeoutMs: 100 }
      })
      return { sup, store, evaluated }
    })

  itEffect("reconcile: new uids start, deregistered ones stop, a replaced hotkey restarts, excluded hotkeys never start", () =>
    Effect.gen(function* () {
      const { sup } = yield* supervisor(() => Effect.succeed(null))
      yield* sup.ref.tell(new ChallengeSupervisor.Reconcile([target(0), target(1), target(2), target(3, "validator")]))
      yield* TestClock.adjust("1 millis")
      expect(yield* sup.children).toEqual([0, 1, 2])
      yield* sup.ref.tell(new ChallengeSupervisor.Reconcile([target(0), target(1, "new-owner")]))
      yield* TestClock.adjust("1 millis")
      expect(yield* sup.children).toEqual([0, 1])
      const avail = yield* sup.availability
      expect(avail.map((a) => a.uid).sort()).toEqual([0, 1])
    })
  )

  itEffect("start: one challenge per interval, the first at once, at most maxChallenges; each round reaches scoring", () =>
    Effect.gen(function* () {
      let n = 0
      const challenge = (id: string): Challenge => ({ id, source: "synthetic", taskType: "chat", request: request(id), reference: null, tools: [] })
      const { sup, evaluated } = yield* supervisor(() => Effect.sync(() => challenge(`c${n++}`)), 3)
      yield* sup.ref.tell(new ChallengeSupervisor.Reconcile([target(0), target(1)]))
      yield* sup.start
      yield* TestClock.adjust("1 millis")
      expect(yield* sup.issued).toBe(1)
      yield* TestClock.adjust("999 millis")
      expect(yield* sup.issued).toBe(2)
      yield* TestClock.adjust("10 seconds")
      expect(yield* sup.issued).toBe(3)
      expect([...(yield* Ref.get(evaluated))].sort()).toEqual(["c0", "c1", "c2"])
    })
  )

  itEffect("start: the probes of one interval are spread evenly over it (a burst of signed probes blocked the event loop)", () =>
    Effect.gen(function* () {
      const store = yield* memoryStore
      const probed = yield* Ref.make<ReadonlyArray<[number, number]>>([])
      const transport: MinerTransport = {
        ...slowTransport(100),
        availability: (t) => Clock.currentTimeMillis.pipe(Effect.flatMap((now) => Ref.update(probed, (xs) => [...xs, [t.uid, now] as [number, number]])), Effect.as(true))
      }
      const scoringRef = yield* Actor.make<ScoringActor.Msg, never, never>({ name: "fake-scoring", capacity: 16 }, () => Effect.void)
      const sup = yield* ChallengeSupervisor.make({
        transport,
        store,
        scoring: { ref: scoringRef },
        minMiners: 1,
        maxMiners: 8,
        timeoutMs: 1_000,
        maxConcurrent: 2,
        excludeHotkeys: new Set(),
        nextChallenge: () => Effect.succeed(null),
        schedule: { challengeIntervalMs: 1_000, maxChallenges: 0, probeIntervalMs: 60_000, probeDelayMs: 2_000, probeTimeoutMs: 100 }
      })
      yield* sup.ref.tell(new ChallengeSupervisor.Reconcile([0, 1, 2, 3].map((uid) => target(uid))))
      yield* TestClock.adjust("1 millis")
      yield* sup.start
      yield* TestClock.adjust("1999 millis")
      expect((yield* Ref.get(probed)).length).toBe(0)
      yield* TestClock.adjust("1 millis")
      expect((yield* Ref.get(probed)).length).toBe(1) // the first after probeDelayMs
      yield* TestClock.adjust("120 seconds")
      const times = (yield* Ref.get(probed)).map(([, t]) => t)
      // two full intervals and the first probe of the third: one every 15 s, each miner once per interval
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(Array.from({ length: 8 }, () => 15_000))
      expect((yield* Ref.get(probed)).slice(0, 4).map(([uid]) => uid).sort()).toEqual([0, 1, 2, 3])
    })
  )

  itEffect("start resumes a stored round that has its answers (scored as stored) and marks an unreadable one failed", () =>
    Effect.gen(function* () {
      const { sup, store, evaluated } = yield* supervisor(() => Effect.succeed(null))
      const c: Challenge = { id: "old", source: "synthetic", taskType: "chat", request: request("old"), reference: null, tools: [] }
      yield* store.putChallenge({ id: "old", source: "synthetic", payload: c, now: 0 })
      yield* store.putResponse("old", { uid: 0, hotkey: "hk0", coldkey: "ck0", ip: "127.0.0.1", availability: 1, text: "a", latencyMs: 5, finishReason: "stop", toolCalls: [] }, 0)
      yield* store.putChallenge({ id: "junk", source: "synthetic", payload: { not: "a challenge" }, now: 0 })
      yield* sup.start
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(evaluated)).toEqual(["old"])
      expect((yield* store.getChallenge("junk"))?.status).toBe("failed")
    })
  )
})

describe("AggregateActor", () => {
  itEffect("an update is persisted before it is acknowledged and published; a restart restores it; sync drops uids", () =>
    Effect.gen(function* () {
      const store = yield* memoryStore
      const options = { kind: "ema", alpha: 0.5, decay: 0.1, groupSize: 4 } as const
      const agg = yield* AggregateActor.make({ store, options, askTimeoutMs: 1_000 })
      const changes = yield* PubSub.subscribe(agg.changes)
      const result = emptyResult({ ...round("r1"), responses: [] })
      yield* agg.update({ ...result, miners: [1, 2].map((uid) => ({ uid, hotkey: `hk${uid}`, reward: uid / 4, axes: {}, score: uid / 4, filtered: null })) })
      expect(yield* store.getState("aggregate:ema")).not.toBeNull()
      const published = yield* PubSub.take(changes)
      expect(published.map((w) => w.uid)).toEqual([1, 2])
      expect(yield* agg.weights).toEqual(published)
      expect(yield* agg.pickGroup([1, 2], 4)).toEqual([2, 1]) // ranked by weight (the groups policy)

      const restored = yield* AggregateActor.make({ store, options, askTimeoutMs: 1_000 })
      expect(yield* restored.weights).toEqual(published)
      yield* restored.sync(new Map([[2, "hk2"]]))
      expect((yield* restored.weights).map((w) => w.uid)).toEqual([2])
      expect((yield* restored.published).map((w) => w.uid)).toEqual([2])
    })
  )
})

describe("load balancing on the TestClock (seed 003: max concurrent tasks per miner)", () => {
  const challenge = (id: string): Challenge => ({ id, source: "synthetic", taskType: "chat", request: request(id), reference: null, tools: [] })
  /** uid 0 answers after 5 s, the others after 100 ms. */
  const unevenTransport: MinerTransport = {
    protocol: "dendrite",
    query: (t: MinerTarget) => Effect.sleep(t.uid === 0 ? "5 seconds" : "100 millis").pipe(Effect.as(reply(`answer of ${t.uid}`))),
    availability: () => Effect.succeed(true)
  }

  itEffect("a session counts its queries in flight until each outcome", () =>
    Effect.gen(function* () {
      const session = yield* MinerSession.make(target(1), slowTransport(2_000))
      const a = yield* Effect.forkChild(session.query(request("a"), 10_000))
      const b = yield* Effect.forkChild(session.query(request("b"), 10_000))
      yield* TestClock.adjust("1 millis")
      expect((yield* session.stats).inFlight).toBe(2)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      expect((yield* session.stats).inFlight).toBe(0)
    })
  )

  itEffect("a miner at its cap is skipped by the next round (not queued) and asked again once it answered", () =>
    Effect.gen(function* () {
      const store = yield* memoryStore
      const asked = yield* Ref.make<ReadonlyArray<readonly [string, ReadonlyArray<number>]>>([])
      const scoringRef = yield* Actor.make<ScoringActor.Msg, never, never>({ name: "fake-scoring", capacity: 16 }, (m) =>
        Ref.update(asked, (xs) => [...xs, [m.round.id, m.round.responses.map((r) => r.uid).sort()] as const])
      )
      const sup = yield* ChallengeSupervisor.make({
        transport: unevenTransport,
        store,
        scoring: { ref: scoringRef },
        minMiners: 1,
        maxMiners: 8,
        timeoutMs: 10_000,
        maxConcurrent: 4,
        excludeHotkeys: new Set(),
        selection: { policy: { ...DEFAULT_SELECTION_POLICY, maxConcurrentTasks: 1 } },
        nextChallenge: () => Effect.succeed(null),
        schedule: { challengeIntervalMs: 60_000, maxChallenges: 0, probeIntervalMs: 60_000, probeDelayMs: 60_000, probeTimeoutMs: 100 }
      })
      yield* sup.ref.tell(new ChallengeSupervisor.Reconcile([target(0), target(1), target(2)]))
      yield* TestClock.adjust("1 millis")
      yield* sup.ref.tell(new ChallengeSupervisor.NewChallenge(challenge("c0")))
      yield* TestClock.adjust("1 millis") // the round starts and its queries begin their (test) time
      yield* TestClock.adjust("200 millis")
      expect((yield* sup.availability).find((a) => a.uid === 0)?.inFlight).toBe(1)
      yield* sup.ref.tell(new ChallengeSupervisor.NewChallenge(challenge("c1")))
      yield* TestClock.adjust("1 millis")
      yield* TestClock.adjust("5 seconds")
      expect((yield* sup.availability).every((a) => a.inFlight === 0)).toBe(true)
      yield* sup.ref.tell(new ChallengeSupervisor.NewChallenge(challenge("c2")))
      yield* TestClock.adjust("1 millis")
      yield* TestClock.adjust("6 seconds")
      const byRound = new Map(yield* Ref.get(asked))
      expect(byRound.get("c0")).toEqual([0, 1, 2])
      expect(byRound.get("c1")).toEqual([1, 2]) // uid 0 had one task in flight: skipped
      expect(byRound.get("c2")).toEqual([0, 1, 2])
    })
  )
})
