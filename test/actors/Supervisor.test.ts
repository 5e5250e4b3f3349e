// The actor system with the real pieces except sockets: simulated miner brains behind the in-process
// transport, one MinerSession per UID, the ChallengeSupervisor, the ScoringActor with the real embedder
// (use-lite) and scorer, SQLite in memory — the app's Pipeline layer over the in-process world.
import { describe, expect } from "bun:test"
import { Context, Effect, Layer, PubSub } from "effect"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import { inProcessConfig, inProcessMiners, inProcessPipeline } from "../../src/app/InProcessWorld.ts"
import { Pipeline } from "../../src/app/Pipeline.ts"
import { makeSyntheticSource } from "../../src/challenges/Synthetic.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { AnswerBoard, makeSimBrains, type Mix } from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"
import { itLive } from "../support/effect.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const corpus = loadCorpus()
const FAST = { honest: { meanMs: 20, sdMs: 5 }, copycat: { meanMs: 30, sdMs: 5 }, "fast-junk": { meanMs: 5, sdMs: 1 } }

/** The Pipeline layer does not start the supervisor's loops: challenges are sent by the test. */
const system = (count: number, mix: Mix, opts: { minMiners?: number; maxMiners?: number } = {}) =>
  Effect.gen(function* () {
    const brains = makeSimBrains({ count, mix, seed: 3, board: new AnswerBoard(), latency: FAST, corpus })
    const world = inProcessMiners(brains)
    const db = openDatabase(":memory:")
    yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
    const store = makeStore(db)
    const config = yield* inProcessConfig({
      MIN_MINERS: String(opts.minMiners ?? 2),
      MAX_MINERS: String(opts.maxMiners ?? count),
      CHALLENGE_TIMEOUT_SECONDS: "3",
      MAX_CONCURRENT_CHALLENGES: "2",
      EVALUATION_TIMEOUT_SECONDS: "60",
      AGGREGATION: "ema",
      TOURNAMENT_GROUP_SIZE: "8"
    })
    const { scoring, supervisor } = Context.get(yield* Layer.build(inProcessPipeline({ config, store, miners: world })), Pipeline)
    const results = yield* PubSub.subscribe(scoring.results)
    const miners = world.miners
    const source = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 5 })
    const waitChildren = (n: number) =>
      Effect.gen(function* () {
        for (let i = 0; i < 200 && (yield* supervisor.children).length !== n; i++) yield* Effect.sleep("10 millis")
        return yield* supervisor.children
      })
    return { brains, miners, store, supervisor, results, source, waitChildren }
  })

if (!hasUseLite) skipNote("actor-system tests", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip
const withEmbedder = <A, E>(eff: Effect.Effect<A, E, Embedder | import("effect").Scope.Scope>) =>
  eff.pipe(Effect.provide(Layer.fresh(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1 }))))

d("ChallengeSupervisor + MinerSessions + ScoringActor", () => {
  itLive("a challenge is persisted, every answer stored, the round scored; junk and offline earn 0", () =>
    withEmbedder(
      Effect.gen(function* () {
        const s = yield* system(6, { honest: 0.5, "fast-junk": 0.17, offline: 0.33 })
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.Reconcile(s.miners))
        expect(yield* s.waitChildren(6)).toEqual([0, 1, 2, 3, 4, 5])
        const c = s.source.next("round-1")
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(c))
        const { result } = yield* PubSub.take(s.results)
        expect(result.roundId).toBe("round-1")
        expect((yield* s.store.getChallenge("round-1"))?.status).toBe("evaluated")
        const stored = yield* s.store.responsesOf("round-1")
        expect(stored.map((r) => r.uid)).toEqual([0, 1, 2, 3, 4, 5])
        for (const m of result.miners) {
          const b = s.brains[m.uid]!.behaviour
          if (b !== "honest") expect({ uid: m.uid, b, reward: m.reward }).toEqual({ uid: m.uid, b, reward: 0 })
          if (b === "offline") expect(stored.find((r) => r.uid === m.uid)?.error).toBe("ConnectError")
        }
        expect(result.miners.reduce((a, m) => a + m.reward, 0)).toBeCloseTo(1, 9)
      })
    ), 60_000)

  itLive("a duplicate challenge id is never processed twice; a replaced hotkey restarts its session; too few miners fails the round", () =>
    withEmbedder(
      Effect.gen(function* () {
        const s = yield* system(3, { honest: 1 }, { minMiners: 3 })
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.Reconcile(s.miners))
        yield* s.waitChildren(3)
        const c = s.source.next("dup-1")
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(c))
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(c))
        yield* PubSub.take(s.results)
        yield* Effect.sleep("300 millis")
        expect((yield* s.store.stats()).evaluations).toBe(1)
        // uid 0 re-registered by another hotkey: its session restarts and answers under the new hotkey
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.Reconcile(s.miners.map((m) => (m.uid === 0 ? { ...m, hotkey: "new-hotkey" } : m))))
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(s.source.next("after-replace")))
        const { result: after } = yield* PubSub.take(s.results)
        expect(after.miners.find((m) => m.uid === 0)?.hotkey).toBe("new-hotkey")
        expect((yield* s.store.responsesOf("after-replace")).find((r) => r.uid === 0)?.hotkey).toBe("new-hotkey")
        // one miner deregistered: 2 < MIN_MINERS = 3 → the round is marked failed, nothing is scored
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.Reconcile(s.miners.slice(0, 2)))
        expect(yield* s.waitChildren(2)).toEqual([0, 1])
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(s.source.next("short-1")))
        let status: string | undefined
        for (let i = 0; i < 100 && status !== "failed"; i++) {
          yield* Effect.sleep("10 millis")
          status = (yield* s.store.getChallenge("short-1"))?.status
        }
        expect(status).toBe("failed")
      })
    ), 60_000)

  itLive("a failed availability probe makes a miner rarely picked", () =>
    withEmbedder(
      Effect.gen(function* () {
        const s = yield* system(8, { honest: 0.5, offline: 0.5 }, { maxMiners: 4 })
        yield* s.supervisor.ref.tell(new ChallengeSupervisor.Reconcile(s.miners))
        yield* s.waitChildren(8)
        yield* s.supervisor.probeAll(1_000)
        yield* Effect.sleep("200 millis")
        const offline = new Set(s.brains.filter((b) => b.behaviour === "offline").map((b) => b.uid))
        let picksOfOffline = 0
        for (let r = 0; r < 6; r++) {
          yield* s.supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(s.source.next(`probe-${r}`)))
          const { result } = yield* PubSub.take(s.results)
          picksOfOffline += result.miners.filter((m) => offline.has(m.uid)).length
        }
        // 6 rounds × 4 picks among 4 online and 4 probed-offline miners: weights 1.05 vs 0.105
        expect(picksOfOffline).toBeLessThanOrEqual(4)
      })
    ), 90_000)
})
