// Load: thousands of simulated miner actors (in-process transport, no sockets) driven through the real
// actor system — ChallengeSupervisor, one MinerSession per UID, ScoringActor with the worker-pool embedder
// and the real scorer, SQLite persistence of every answer — against a baseline measured in the same run:
// the same rounds done directly (query fan-out → embed → score, no actors, no persistence).
// The actor pipeline runs twice on a SQLite file, synchronous NORMAL and FULL (the durability cost).
// Flags: --quick (500 miners, 3 rounds), --miners N, --rounds R, --per-round K.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Context, Effect, Exit, Layer, PubSub } from "effect"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import { mulberry32 } from "../../src/domain/random.ts"
import { inProcessConfig, inProcessMiners, inProcessPipeline } from "../../src/app/InProcessWorld.ts"
import { withLogging } from "../../src/app/Logging.ts"
import { Pipeline } from "../../src/app/Pipeline.ts"
import { makeScorer } from "../../src/app/Scorer.ts"
import { makeSyntheticSource } from "../../src/challenges/Synthetic.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { AnswerBoard, makeSimBrains } from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import type { MinerResponse, RoundInput } from "../../src/scoring/types.ts"
import { makeStore, openDatabase, type SqliteSynchronous } from "../../src/store/Store.ts"

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
  const world = inProcessMiners(brains, "bench-validator")
  const { transport, miners } = world
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
      yield* scorer.score(round, emb)
    }
    const baseMs = performance.now() - t0

    // actors: supervisor + one session per miner + scoring actor + SQLite (a real file: the durability
    // setting is measured too, DB_SYNCHRONOUS=NORMAL vs the live default FULL)
    const dir = mkdtempSync(join(tmpdir(), "quorum-load-"))
    const actorRun = (synchronous: SqliteSynchronous, tag: string) =>
      Effect.gen(function* () {
        const db = openDatabase(join(dir, `${tag}.db`), { synchronous })
        const store = makeStore(db)
        const ms = yield* Effect.scoped(
          Effect.gen(function* () {
            // the Pipeline layer over the in-process world; it does not start the supervisor's loops (the
            // bench sends its challenges itself)
            const config = yield* inProcessConfig({
              MIN_MINERS: "2", MAX_MINERS: String(perRound), CHALLENGE_TIMEOUT_SECONDS: "5", MAX_CONCURRENT_CHALLENGES: "4",
              EVALUATION_TIMEOUT_SECONDS: "120", AGGREGATION: "ema", TOURNAMENT_GROUP_SIZE: "25"
            })
            const { scoring, supervisor } = Context.get(yield* Layer.build(inProcessPipeline({ config, store, miners: world })), Pipeline)
            const sub = yield* PubSub.subscribe(scoring.results)
            const tStart = performance.now()
            yield* supervisor.ref.tell(new ChallengeSupervisor.Reconcile(miners))
            while ((yield* supervisor.children).length < miners.length) yield* Effect.sleep("5 millis")
            const sessionsMs = performance.now() - tStart
            const t1 = performance.now()
            const src = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 9 })
            for (let r = 0; r < rounds; r++) yield* supervisor.ref.tell(new ChallengeSupervisor.NewChallenge(src.next(`actor-${tag}-${r}`)))
            for (let r = 0; r < rounds; r++) yield* PubSub.take(sub)
            const sessions = (yield* supervisor.children).length
            console.log(`actors (${synchronous}): ${sessions} miner sessions started in ${sessionsMs.toFixed(0)} ms (not part of the timed rounds)`)
            return performance.now() - t1
          })
        )
        const stats = yield* store.stats()
        db.close()
        return { ms, stats }
      })
    const normal = yield* actorRun("NORMAL", "normal")
    const full = yield* actorRun("FULL", "full")
    const line = (name: string, r: typeof full) =>
      console.log(`${name} ${r.ms.toFixed(0)} ms (${(r.ms / rounds).toFixed(0)} ms/round), stored ${r.stats.responses} answers, ${r.stats.evaluations} evaluations`)
    console.log(`baseline (direct, sequential): ${baseMs.toFixed(0)} ms (${(baseMs / rounds).toFixed(0)} ms/round)`)
    line("actor pipeline, synchronous=NORMAL:", normal)
    line("actor pipeline, synchronous=FULL:  ", full)
    console.log(`ratio actor/baseline: ${(full.ms / baseMs).toFixed(2)}× with FULL, ${(normal.ms / baseMs).toFixed(2)}× with NORMAL (below 1 = the actors overlap rounds)`)
    console.log(`durability cost in the pipeline: FULL/NORMAL = ${(full.ms / normal.ms).toFixed(2)}×`)
    // the commit itself, isolated: one transaction per stored answer, as the supervisor writes them
    const commits = (synchronous: SqliteSynchronous) => {
      const db = openDatabase(join(dir, `commits-${synchronous}.db`), { synchronous })
      const store = makeStore(db)
      const t = performance.now()
      for (let i = 0; i < 1000; i++) {
        Effect.runSync(store.putResponse("c", { uid: i, hotkey: "h", coldkey: "c", ip: "i", text: "answer ".repeat(100), latencyMs: 1, finishReason: "stop", toolCalls: [] }, i))
      }
      db.close()
      return performance.now() - t
    }
    const cn = commits("NORMAL")
    const cf = commits("FULL")
    rmSync(dir, { recursive: true, force: true })
    console.log(`1000 answer commits: NORMAL ${cn.toFixed(0)} ms, FULL ${cf.toFixed(0)} ms (FULL/NORMAL = ${(cf / cn).toFixed(2)}×, ${((cf - cn) / 1000).toFixed(3)} ms per commit)`)
  })

  const modelPath = process.env["MODEL_PATH"] ?? "minilm-l6-shape"
  await Effect.runPromise(
    program.pipe(
      Effect.scoped,
      Effect.provide(Layer.fresh(Embedder.layer({ modelPath, poolSize: 2 }))),
      withLogging({ LOG_FORMAT: "logfmt", LOG_LEVEL: "Warn" })
    )
  )
}

if (import.meta.main) await run()
