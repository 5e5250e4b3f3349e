// Resumed rounds (issue 10 item 2) and shutdown closing (item 7): every miner a round asked is accounted
// for after a restart — asked again within the round's deadline, or recorded unanswered with a reason —
// and the evaluation and the aggregate it moves are written in one transaction.
import { describe, expect } from "bun:test"
import { Context, Effect, Layer, PubSub, Ref } from "effect"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import { makeAggregator } from "../../src/domain/AggregationState.ts"
import { inProcessConfig, inProcessMiners, inProcessPipeline } from "../../src/app/InProcessWorld.ts"
import { Pipeline } from "../../src/app/Pipeline.ts"
import { drainRounds } from "../../src/app/Shutdown.ts"
import { makeSyntheticSource } from "../../src/challenges/Synthetic.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { AnswerBoard, makeSimBrains } from "../../src/miners/sim/Behaviour.ts"
import { MinerError, type MinerTransport } from "../../src/miners/Transport.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import { IN_FLIGHT, makeRoundRecovery, UNANSWERED_GONE, UNANSWERED_RESTART, UNANSWERED_SHUTDOWN } from "../../src/store/RoundRecovery.ts"
import { AGGREGATE_APPLIED_KEY, makeStore, openDatabase } from "../../src/store/Store.ts"
import { itLive } from "../support/effect.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const corpus = loadCorpus()
const FAST = { honest: { meanMs: 20, sdMs: 5 }, copycat: { meanMs: 30, sdMs: 5 }, "fast-junk": { meanMs: 5, sdMs: 1 } }
const TIMEOUT_MS = 3_000

describe("RoundRecovery and drainRounds (SQLite, no actors)", () => {
  itLive("placeholders record who was asked; a closed round has every in-flight miner unanswered and status failed", () =>
    Effect.gen(function* () {
      const db = openDatabase(":memory:")
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const store = makeStore(db)
      const rec = makeRoundRecovery(db)
      const miners = [0, 1, 2].map((uid) => ({ uid, hotkey: `hk${uid}`, coldkey: `ck${uid}`, ip: `10.0.0.${uid}` }))
      yield* store.putChallenge({ id: "r1", source: "synthetic", payload: {}, now: 1 })
      yield* store.setChallengeStatus("r1", "running", 1000)
      yield* rec.recordAsked("r1", miners, 1000)
      expect((yield* store.getChallenge("r1"))?.status).toBe("running")
      expect((yield* rec.inFlight("r1")).map((m) => [m.uid, m.askedAt])).toEqual([[0, 1000], [1, 1000], [2, 1000]])
      // an answer replaces its placeholder
      yield* store.putResponse("r1", { ...miners[1]!, text: "hi", latencyMs: 5, finishReason: "stop", toolCalls: [] }, 1100)
      expect((yield* rec.inFlight("r1")).map((m) => m.uid)).toEqual([0, 2])
      // shutdown with the grace period over: closed, none left running or in flight
      const draining = yield* Ref.make(false)
      const drained = yield* drainRounds({ store, draining, graceMs: 0 })
      expect(drained.closed).toEqual(["r1"])
      expect(yield* Ref.get(draining)).toBe(true)
      expect((yield* store.getChallenge("r1"))?.status).toBe("failed")
      const rows = yield* store.responsesOf("r1")
      expect(rows.map((r) => r.error ?? null)).toEqual([UNANSWERED_SHUTDOWN, null, UNANSWERED_SHUTDOWN])
      expect(rows.some((r) => r.error === IN_FLIGHT)).toBe(false)
    }))

  itLive("a drain waits for a round that finishes within the grace period and closes nothing", () =>
    Effect.gen(function* () {
      const db = openDatabase(":memory:")
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const store = makeStore(db)
      yield* store.putChallenge({ id: "r2", source: "synthetic", payload: {}, now: 1 })
      yield* Effect.forkChild(Effect.sleep("300 millis").pipe(Effect.andThen(store.setChallengeStatus("r2", "evaluated", 2))))
      const drained = yield* drainRounds({ store, draining: yield* Ref.make(false), graceMs: 5_000, pollMs: 20 })
      expect(drained.closed).toEqual([])
      expect(drained.waitedMs).toBeGreaterThanOrEqual(250)
      expect(drained.waitedMs).toBeLessThan(3_000)
    }))
})

if (!hasUseLite) skipNote("resume tests with the actor system", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip

d("resumed rounds (actors, in-process miners, real embedder)", () => {
  itLive("in-flight miners are asked again within the deadline, or recorded unanswered; evaluation + aggregate in one transaction", () =>
    Effect.gen(function* () {
      const brains = makeSimBrains({ count: 6, mix: { honest: 1 }, seed: 3, board: new AnswerBoard(), latency: FAST, corpus })
      const inner = inProcessMiners(brains)
      const asked = new Map<number, number>()
      const transport: MinerTransport = {
        ...inner.transport,
        query: (t, r, ms) => Effect.suspend(() => {
          asked.set(t.uid, (asked.get(t.uid) ?? 0) + 1)
          // uid 2 does not make it within what the restart left of its deadline
          if (t.uid === 2) return Effect.fail(new MinerError({ uid: 2, hotkey: t.hotkey, reason: "Timeout", status: 408, message: `no answer within ${ms} ms`, latencyMs: ms }))
          return inner.transport.query(t, r, ms)
        })
      }
      const db = openDatabase(":memory:")
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const store = makeStore(db)
      const config = yield* inProcessConfig({
        MIN_MINERS: "2", MAX_MINERS: "6", CHALLENGE_TIMEOUT_SECONDS: String(TIMEOUT_MS / 1000), MAX_CONCURRENT_CHALLENGES: "2",
        EVALUATION_TIMEOUT_SECONDS: "60", AGGREGATION: "ema", TOURNAMENT_GROUP_SIZE: "8"
      })
      // the Pipeline layer does not start the supervisor's loops: the test sends the resume itself
      const { aggregate, aggregation, scoring, supervisor } = Context.get(
        yield* Layer.build(inProcessPipeline({ config, store, miners: { miners: inner.miners, transport } })),
        Pipeline
      )
      const results = yield* PubSub.subscribe(scoring.results)
      const miners = inner.miners
      // uids 0..4 are live sessions; uid 5 was asked before the crash but is gone now
      yield* supervisor.ref.tell(new ChallengeSupervisor.Reconcile(miners.slice(0, 5)))
      for (let i = 0; i < 200 && (yield* supervisor.children).length !== 5; i++) yield* Effect.sleep("10 millis")

      // the state a crash left: uid 0 answered; uids 1, 2 asked just now (deadline open); uids 3, 4 asked
      // long ago (deadline passed); uid 5 asked, deregistered since
      const challenge = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 5 }).next("crashed-1")
      const rec = makeRoundRecovery(db)
      const now = Date.now()
      yield* store.putChallenge({ id: challenge.id, source: "synthetic", payload: challenge, now: now - 60_000 })
      yield* rec.recordAsked(challenge.id, miners.slice(3, 6), now - 60_000)
      yield* rec.recordAsked(challenge.id, miners.slice(0, 3), now)
      const entry = corpus.entries.find((e) => e.prompt === challenge.request.prompt)!
      yield* store.putResponse(challenge.id, { ...miners[0]!, text: entry.answers[0]!, latencyMs: 800, finishReason: "stop", toolCalls: [] }, now)

      yield* supervisor.ref.tell(new ChallengeSupervisor.Resume(challenge))
      const { result } = yield* PubSub.take(results)
      expect(result.roundId).toBe(challenge.id)
      expect(result.miners.map((m) => m.uid)).toEqual([0, 1, 2, 3, 4, 5])
      const stored = yield* store.responsesOf(challenge.id)
      const errorOf = (uid: number) => stored.find((r) => r.uid === uid)?.error ?? null
      // re-asked within the deadline: a real answer from the session, or a timeout that is the restart's doing
      expect([errorOf(1), errorOf(2)]).toEqual([null, UNANSWERED_RESTART])
      expect([...asked].sort((a, b) => a[0] - b[0])).toEqual([[1, 1], [2, 1]])
      expect([errorOf(3), errorOf(4), errorOf(5)]).toEqual([UNANSWERED_RESTART, UNANSWERED_RESTART, UNANSWERED_GONE])
      expect(errorOf(0)).toBeNull()
      expect(stored.some((r) => r.error === IN_FLIGHT)).toBe(false)
      // one transaction: the evaluation, its rewards, the aggregate snapshot and the applied counter
      expect((yield* store.getChallenge(challenge.id))?.status).toBe("evaluated")
      expect(yield* store.getState(AGGREGATE_APPLIED_KEY)).toBe(1)
      // the stored snapshot is the aggregate the actor holds
      expect(makeAggregator(aggregation, yield* store.getState("aggregate:ema")).weights()).toEqual(yield* aggregate.weights)
      // uids 2, 3 and 4 went unanswered through the restart: the aggregate does not judge them on this round
      const judged = Object.keys(((yield* store.getState("aggregate:ema")) as { miners: Record<string, unknown> }).miners)
      expect(judged).toContain("0")
      expect(judged.filter((uid) => ["2", "3", "4"].includes(uid))).toEqual([])
      const rewarded = db.query("SELECT COUNT(*) AS n FROM rewards WHERE challenge_id = ?").get(challenge.id) as { n: number }
      expect(rewarded.n).toBe(6)
    }).pipe(Effect.provide(Layer.fresh(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1 })))), 60_000)
})
