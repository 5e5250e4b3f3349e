// Load: thousands of simulated miner actors (in-process transport, no sockets) driven through the real
// actor system — ChallengeSupervisor, one MinerSession per UID, ScoringActor with the worker-pool embedder
// and the real scorer, SQLite persistence of every answer — against a baseline measured in the same run:
// the same rounds done directly (query fan-out → embed → score, no actors, no persistence).
// Flags: --quick (500 miners, 3 rounds), --miners N, --rounds R, --per-round K.
import { parseArgs } from "node:util"
import { Effect, Exit, Layer, PubSub } from "effect"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import * as ScoringActor from "../../actors/ScoringActor.ts"
import * as AggregateActor from "../../actors/AggregateActor.ts"
import { mulberry32 } from "../../src/domain/random.ts"
import { withLogging } from "../../src/app/Logging.ts"
import { makeScorer } from "../../src/app/Scorer.ts"
import { makeSyntheticSource } from "../../src/challenges/Synthetic.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { inProcessFromBrains, makeInProcessTransport } from "../../src/miners/InProcessTransport.ts"
import { AnswerBoard, makeSimBrains } from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import type { MinerResponse, RoundInput } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

const MIX = { honest: 0.7, "fast-junk": 0.1, copycat: 0.1, offline: 0.1 } as const
const LATENCY = {
  honest: { meanMs: 30, sdMs: 10 },
  "fast-junk": { meanMs: 5, sdMs: 2 },
  copycat: { meanMs: 40, sdMs: 10 }
}

export const run = async (args: ReadonlyArray<string> = process.argv.slice(2)) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      quick: { type: "boolean", default: false },
      miners: { type: "string" },
      rounds: { type: "string" },
      "per-round": { type: "string" }
    },
    strict: false
  })
  const quick = values.quick === true
  const minerCount = Number(values.miners ?? (quick ? 500 : 2000))
  const rounds = Number(values.rounds ?? (quick ? 3 : 6))
  const perRound = Number(values["per-round"] ?? 256)

  const brains = makeSimBrains({ count: minerCount, mix: MIX, seed: 5, board: new AnswerBoard(), latency: LATENCY })
  const { targets, lookup } = inProcessFromBrains(brains)
  const transport = makeInProcessTransport({ lookup, validatorHotkey: "bench-validator" })
  const miners = targets.map((t) => ({ ...t, coldkey: `ck-${t.uid}` }))
  const corpus = loadCorpus()

  const program = Effect.gen(function* () {
    const embedder = yield* Embedder
    const scorer = yield* makeScorer({})
    console.log(`model ${embedder.model.name} (${embedder.model.source}), ${minerCount} miners, ${rounds} rounds × ${perRound} answers`)

    // baseline: direct fan-out → embed → score, one round after another
    const source = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 9 })
    const rng = mulberry32(1)
    const t0 = performance.now()
    for (let r = 0; r < rounds; r++) {
      const c = source.next(`base-${r}`)
      const picked = [...miners].sort(() => rng() - 0.5).slice(0, perRound)
      const responses = yield* Effect.forEach(
        picked,
        (m) =>
          transport.query(m, c.request, 5_000).pipe(
            Effect.exit,
            Effect.map(
              (exit): MinerResponse =>
                Exit.isSuccess(exit)
                  ? { uid: m.uid, hotkey: m.hotkey, coldkey: m.coldkey, ip: m.ip, text: exit.value.responseText, latencyMs: exit.value.latencyMs, finishReason: exit.value.finishReason, toolCalls: [] }
                  : { uid: m.uid, hotkey: m.hotkey, coldkey: m.coldkey, ip: m.ip, text: "", latencyMs: null, finishReason: null, toolCalls: [], error: "Error" }
            )
          ),
        { concurrency: "unbounded" }
      )
      const round: RoundInput = { id: c.id, prompt: c.request.prompt, taskType: c.taskType, reference: c.reference, tools: [], responses }
      const emb = yield* embedder.embedRound(round)
      scorer.score(round, emb)
    }
    const baseMs = performance.now() - t0

    // actors: supervisor + one session per miner + scoring actor + SQLite
    const db = openDatabase(":memory:")
    const store = makeStore(db)
    const actorMs = yield* Effect.scoped(
      Effect.gen(function* () {
        const aggregate = yield* AggregateActor.make({ store, options: { kind: "ema", alpha: 0.3, decay: 0.02, groupSize: 25 }, askTimeoutMs: 10_000 })
        const scoring = yield* ScoringActor.make({
          embed: embedder.embedRound,
          score: scorer.score,
          store,
          aggregate: aggregate.update,
          evaluationTimeoutMs: 120_000
        })
        const sub = yield* PubSub.subscribe(scoring.results)
        const supervisor = yield* ChallengeSupervisor.make({
          transport,
          store,
          scoring,
          minMiners: 2,
          maxMiners: perRound,
          timeoutMs: 5_000,
          maxConcurrent: 4,
          excludeHotkeys: new Set(),
          nextChallenge: () => Effect.succeed(null),
          // the bench sends its challenges itself; the supervisor's loops are not started
          schedule: { challengeIntervalMs: 3_600_000, maxChallenges: 0, probeIntervalMs: 3_600_000, probeDelayMs: 3_600_000, probeTimeoutMs: 1_000 }
        })
        const tStart = performance.now()
        yield* supervisor.ref.tell(new ChallengeSupervisor.Reconcile(miners))
        while ((yield* supervisor.children).length < miners.length) yield* Effect.sleep("5 millis")
        const sessionsMs = performance.now() - tStart
        const t1 = performance.now()
        const src = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 9 })
        for (let r = 0; r < rounds; r++) yield* supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(src.next(`actor-${r}`)))
        for (let r = 0; r < rounds; r++) yield* PubSub.take(sub)
        const sessions = (yield* supervisor.children).length
        console.log(`actors: ${sessions} miner sessions started in ${sessionsMs.toFixed(0)} ms (not part of the timed rounds)`)
        return performance.now() - t1
      })
    )
    const stats = yield* store.stats()
    db.close()
    console.log(`baseline (direct, sequential): ${baseMs.toFixed(0)} ms (${(baseMs / rounds).toFixed(0)} ms/round)`)
    console.log(`actor pipeline (persisted):    ${actorMs.toFixed(0)} ms (${(actorMs / rounds).toFixed(0)} ms/round), stored ${stats.responses} answers, ${stats.evaluations} evaluations`)
    console.log(`ratio actor/baseline: ${(actorMs / baseMs).toFixed(2)}× (below 1 = the actors overlap rounds)`)
  })

  const modelPath = process.env["MODEL_PATH"] ?? "minilm-l6-shape"
  await Effect.runPromise(
    program.pipe(
      Effect.provide(Layer.fresh(Embedder.layer({ modelPath, poolSize: 2 }))),
      withLogging({ LOG_FORMAT: "logfmt", LOG_LEVEL: "Warn" })
    )
  )
}

if (import.meta.main) await run()
