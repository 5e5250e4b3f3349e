// The Validator layer over test layers, in-process: the same graph Main launches, with an in-memory store, the
// in-process world (simulated brains, no sockets to miners, weights as a dry run) and the synthetic source in
// place of the demo or chain world — the supervisor's own tick issues the challenges, the API answers.
import { describe, expect } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Layer } from "effect"
import { ChallengeSource } from "../../src/app/ChallengeSource.ts"
import { inProcessConfig, inProcessMiners, inProcessWorld } from "../../src/app/InProcessWorld.ts"
import { LoadProbe } from "../../src/app/LoadProbe.ts"
import { Pipeline } from "../../src/app/Pipeline.ts"
import { Scorer } from "../../src/app/Scorer.ts"
import { Validator } from "../../src/app/Validator.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { AnswerBoard, makeSimBrains } from "../../src/miners/sim/Behaviour.ts"
import { makeStore, openDatabase, Store } from "../../src/store/Store.ts"
import { itLive } from "../support/effect.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const FAST = { honest: { meanMs: 20, sdMs: 5 }, copycat: { meanMs: 30, sdMs: 5 }, "fast-junk": { meanMs: 5, sdMs: 1 } }

if (!hasUseLite) skipNote("Validator layer test", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip

d("Validator layer (test layers: memory store, in-process world, real model)", () => {
  itLive("the tick issues rounds, they are scored and stored, the API serves them, weights are set as a dry run", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "quorum-validator-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const db = openDatabase(":memory:")
      yield* Effect.addFinalizer(() => Effect.sync(() => db.close()))
      const store = makeStore(db)
      const config = yield* inProcessConfig({
        MIN_MINERS: "2", MAX_MINERS: "4", CHALLENGE_INTERVAL_SECONDS: "0.3", CHALLENGE_TIMEOUT_SECONDS: "3", DEMO_ROUNDS: "2",
        API_HOST: "127.0.0.1", API_PORT: "0", HEATMAP_DIR: join(dir, "heatmaps"), SHUTDOWN_GRACE_SECONDS: "1"
      })
      const brains = makeSimBrains({ count: 4, mix: { honest: 1 }, seed: 3, board: new AnswerBoard(), latency: FAST, corpus: loadCorpus() })
      const graph = Validator.layer.pipe(
        Layer.provideMerge(Pipeline.layer),
        Layer.provideMerge(
          Layer.mergeAll(
            inProcessWorld(inProcessMiners(brains)),
            Scorer.layer,
            ChallengeSource.synthetic,
            LoadProbe.none,
            Layer.fresh(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1 }))
          )
        ),
        Layer.provideMerge(Layer.mergeAll(Layer.succeed(Store, store), Layer.succeed(AppConfig, config)))
      )
      const v = Context.get(yield* Layer.build(graph), Validator)
      yield* v.awaitEvaluated(2).pipe(Effect.timeout("60 seconds"))
      expect(yield* v.issued).toBe(2)
      const stats = (yield* Effect.promise(() => fetch(`${v.apiUrl}/stats`).then((r) => r.json()))) as { evaluations?: number }
      expect(stats.evaluations).toBe(2)
      const outcome = yield* v.weights.setNow
      expect(outcome?.kind).toBe("dry-run")
      expect(yield* store.getState("weights:dry-run")).not.toBeNull()
    }), 90_000)
})
