// `bun run bench embeddings [--rounds N] [--answers N] [--models=a,b]`: embedding whole rounds of real LLM
// answers (alpacaeval-dev: prompt + N responses with honest, copycat, junk and failed miners, in arrival
// order). Side by side, all measured in this run on the same rounds:
//   bare       one onnxruntime session (1 thread) on the main thread, fed the round's windows in arrival
//              order in batches of 32 (what a straightforward validator does); only session.run is timed
//   bare+sort  the same session, windows sorted by length first (the bucketing effect alone)
//   pipeline   the Embedder: length-bucketed batches across the round, exact-text cache off / on, with
//              1 and 2 workers (scaling 1 → 2), and the workers × threads the machine gives by default
// Without alpacaeval-dev (../shared/data) the benchmark says so and stops.
import { availableParallelism } from "node:os"
import { Effect, ManagedRuntime } from "effect"
import { Embedder, type EmbedderOptions } from "../../src/embeddings/Embedder.ts"
import { makeEncoder } from "../../workers/encoder.ts"
import { DEFAULT_SHARED_MODELS_DIR, readModelSpec } from "../../src/embeddings/ModelResolver.ts"
import { chooseParallelism } from "../../src/embeddings/pipeline.ts"
import { ALPACA_DIR, hasAlpaca, loadAlpaca } from "../../src/miners/sim/AlpacaCorpus.ts"
import type { RoundInput } from "../../src/scoring/types.ts"
import { alpacaRounds } from "../lib/alpacaRounds.ts"

const flag = (args: ReadonlyArray<string>, name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : NaN
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt
}
const textsOf = (r: RoundInput) => [r.prompt, ...r.responses.map((x) => (x.error === undefined ? x.text : ""))]

const benchModel = async (name: string, rounds: ReadonlyArray<RoundInput>) => {
  const dir = `${DEFAULT_SHARED_MODELS_DIR}/${name}`
  const spec = await Effect.runPromise(readModelSpec(dir))
  const enc = await makeEncoder(spec, { intraOpThreads: 1 })
  const total = rounds.reduce((s, r) => s + 1 + r.responses.length, 0)

  // the bare session's batches, prepared outside the timing (tokenization is not counted for it)
  const arrival = rounds.map((r) => {
    const windows = enc.windowsOf(textsOf(r))
    return Array.from({ length: Math.ceil(windows.length / 32) }, (_, k) => enc.batchOf(windows.slice(k * 32, (k + 1) * 32)))
  })
  const sorted = rounds.map((r) => enc.planBatches(enc.windowsOf(textsOf(r))))
  const tokens = arrival.flat().reduce((s, b) => s + b.windows.reduce((t, w) => t + w.ids.length, 0), 0)
  const paddedOf = (bs: typeof sorted) => bs.flat().reduce((s, b) => s + b.windows.length * b.seqLen, 0)
  const bareMs = async (plans: typeof sorted) => {
    const t0 = performance.now()
    for (const plan of plans) for (const b of plan) await enc.session.run(b.feeds)
    return performance.now() - t0
  }

  const pipelineMs = async (options: EmbedderOptions) => {
    const rt = ManagedRuntime.make(Embedder.layer({ modelPath: dir, offline: true, timeoutMs: 600_000, ...options }))
    try {
      await rt.runPromise(Embedder.use((e) => e.embed(["warm the workers up"])))
      const t0 = performance.now()
      for (const r of rounds) await rt.runPromise(Embedder.use((e) => e.embedRound(r)))
      const ms = performance.now() - t0
      const stats = await rt.runPromise(Embedder.use((e) => e.stats))
      return { ms, stats }
    } finally {
      await rt.dispose()
    }
  }

  await bareMs(arrival.slice(0, 1)) // warm-up
  const bare = await bareMs(arrival)
  const bareSorted = await bareMs(sorted)
  const machine = chooseParallelism(availableParallelism())
  const runs: Array<[string, EmbedderOptions]> = [
    ["pipeline 1 worker, round dedup, no LRU cache", { poolSize: 1, intraOpThreads: 1, cacheSize: 0 }],
    ["pipeline 1 worker, dedup + LRU cache", { poolSize: 1, intraOpThreads: 1 }],
    ["pipeline 2 workers, dedup + LRU cache", { poolSize: 2, intraOpThreads: 1 }],
    [`pipeline machine default (${machine.poolSize}×${machine.intraOpThreads})`, {}]
  ]
  const results: Array<[string, number, string]> = []
  for (const [label, options] of runs) {
    const { ms, stats } = await pipelineMs(options)
    results.push([label, ms, `embedded ${stats.embedded} of ${total} texts, cache hits ${stats.cacheHits}`])
  }
  const bareAgain = await bareMs(arrival)
  const base = Math.min(bare, bareAgain)
  const rate = (ms: number) => `${((total / ms) * 1000).toFixed(1).padStart(7)} texts/s`
  console.log(
    `${name}: ${rounds.length} rounds × ${rounds[0]?.responses.length ?? 0} answers (+ prompt), ${tokens} tokens; padding in arrival order ` +
      `${((paddedOf(arrival) / tokens - 1) * 100).toFixed(0)}%, length-sorted ${((paddedOf(sorted) / tokens - 1) * 100).toFixed(0)}%; ${availableParallelism()} cores`
  )
  console.log(`  ${"bare session, arrival order (baseline)".padEnd(44)} ${rate(base)}  ${base.toFixed(0).padStart(6)} ms  1.00× (first ${bare.toFixed(0)} ms, last ${bareAgain.toFixed(0)} ms)`)
  console.log(`  ${"bare session, length-sorted".padEnd(44)} ${rate(bareSorted)}  ${bareSorted.toFixed(0).padStart(6)} ms  ${(base / bareSorted).toFixed(2)}×`)
  for (const [label, ms, note] of results) {
    console.log(`  ${label.padEnd(44)} ${rate(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${(base / ms).toFixed(2)}×  ${note}`)
  }
  const one = results[1]![1]
  const two = results[2]![1]
  console.log(`  scaling 1 → 2 workers: ${(one / two).toFixed(2)}× (goal for the pipeline vs bare: ≥ 1.2×)`)
  await enc.session.release()
}

export async function run(args: Array<string> = []): Promise<void> {
  if (!hasAlpaca()) {
    console.log(`embeddings: skipped (alpacaeval-dev not found at ${ALPACA_DIR})`)
    return
  }
  const nRounds = flag(args, "rounds", 3)
  const answers = flag(args, "answers", 128)
  const picked = args.find((a) => a.startsWith("--models="))
  const models = picked !== undefined ? picked.slice("--models=".length).split(",") : ["use-lite", "minilm-l6-shape"]
  const rounds = alpacaRounds(loadAlpaca(ALPACA_DIR, nRounds + 5).corpus, nRounds, answers)
  for (const name of models) {
    const spec = await Effect.runPromiseExit(readModelSpec(`${DEFAULT_SHARED_MODELS_DIR}/${name}`))
    if (spec._tag === "Failure") {
      console.log(`${name}: skipped (not found in ${DEFAULT_SHARED_MODELS_DIR})`)
      continue
    }
    await benchModel(name, rounds)
  }
}

if (import.meta.main) await run(process.argv.slice(2))
