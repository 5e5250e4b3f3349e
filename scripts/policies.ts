// bun run policies [--seed N] [--seeds N] [--rounds N] [--max N] [--pairs a,b] [--out DIR] [--config FILE] [--model DIR] [--no-cache] [--json]
// Seed 003's policies measured side by side (issue 14): the demo's simulated populations (honest, slow, junk,
// copycat, flaky, a sybil entity, a staked junk miner, a low-stake honest miner, a newcomer at round 30) under
// every selection × aggregation pair, in virtual time (src/eval/policySim.ts), scored with the real scoreRound
// and real embeddings (exact-text cache in .cache/eval/ unless --no-cache). Prints per pair the honest share
// after 20 and 100 rounds, the CV among identical honest miners, the newcomer's rounds to half the median
// honest weight and the best strategy's gain per unit of cost (src/eval/policyMetrics.ts), a recommendation by
// the documented rule and the stake blend's effect; writes <out>/report.json, plot.svg and plot.png.
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { Effect, Schema } from "effect"
import { loadCorpus } from "../src/challenges/Corpus.ts"
import { DEFAULT_SCORING_CONFIG_PATH, formatScoringConfigError, loadScoringConfig } from "../src/domain/ScoringConfig.ts"
import { Embedder } from "../src/embeddings/Embedder.ts"
import { EmbeddingCache } from "../src/eval/EmbeddingCache.ts"
import { combineSeeds, COST_PER_ANSWER, type Gain, honestShare, LIMITS, metricsTable, pairMetrics, recommend, SYBIL_EXTRA_HOTKEY, SYBIL_FIRST_HOTKEY, stakeView } from "../src/eval/policyMetrics.ts"
import { shareSvg } from "../src/eval/policyPlot.ts"
import { ALL_PAIRS, DEFAULT_POPULATION, STRATEGIES, DEFAULT_SIM, makePopulation, pairName, type PairRun, type PairSpec, runPair, type TextVectors } from "../src/eval/policySim.ts"
import { runCli } from "./lib/cli.ts"

const ROOT = resolve(import.meta.dir, "..")
/** Exploration shares compared for the performance policy. */
const EXPLORATION_SWEEP = [0, 0.1, 0.25, 0.5] as const
const usage = "usage: bun run policies [--seed N] [--seeds N] [--rounds N (≥ 100)] [--max N] [--pairs NAME,...] [--out DIR] [--config FILE] [--model DIR] [--no-cache] [--no-memory] [--json]"

const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} wants an integer ≥ ${min}, got ${v}`)
  return n
}

const args = () => {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      rounds: { type: "string" },
      max: { type: "string" },
      pairs: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      model: { type: "string" },
      "no-cache": { type: "boolean", default: false },
      "no-memory": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false }
    }
  })
  const pairs = values.pairs === undefined ? ALL_PAIRS : ALL_PAIRS.filter((p) => values.pairs!.split(",").includes(pairName(p)))
  if (pairs.length === 0) throw new Error(`--pairs matched none of: ${ALL_PAIRS.map(pairName).join(", ")}`)
  return {
    help: values.help === true,
    seed: int("seed", values.seed, DEFAULT_SIM.seed, 0),
    // seeds seed, seed+1, ...: every pair runs on each (the same challenges and draws), the metrics averaged
    seeds: int("seeds", values.seeds, 3, 1),
    // the table reads weights after 20 and 100 rounds
    rounds: int("rounds", values.rounds, DEFAULT_SIM.rounds, 100),
    max: int("max", values.max, DEFAULT_SIM.maxPerRound, 1),
    pairs,
    out: resolve(values.out ?? join(ROOT, "bench-results/policies")),
    config: values.config ?? DEFAULT_SCORING_CONFIG_PATH,
    model: values.model,
    cache: values["no-cache"] !== true,
    memory: values["no-memory"] !== true,
    json: values.json === true
  }
}
type Args = ReturnType<typeof args>

/** JSON has no Infinity: a gain without cost is written as the string "Infinity". */
const finiteGain = (g: Gain) => ({ ...g, gain: Number.isFinite(g.gain) ? g.gain : "Infinity" })

class SimError extends Schema.TaggedError<SimError>()("SimError", { message: Schema.String }) {}

/** In-memory vectors (with --no-cache). */
const memoryVectors = (dim: number): TextVectors => {
  const m = new Map<string, Float32Array>()
  return { dim, get: (t) => m.get(t), put: (t, v) => void m.set(t, Float32Array.from(v)) }
}

const run = (a: Args) =>
  Effect.gen(function* () {
    const config = yield* loadScoringConfig(a.config)
    const embedder = yield* Embedder
    const corpus = loadCorpus()
    const population = makePopulation(DEFAULT_POPULATION)
    const sim = { ...DEFAULT_SIM, seed: a.seed, rounds: a.rounds, maxPerRound: a.max, memory: a.memory }
    const disk = a.cache ? new EmbeddingCache(join(ROOT, ".cache/eval"), embedder.model.name, embedder.model.dim) : null
    const vectors: TextVectors = disk ?? memoryVectors(embedder.model.dim)
    const embed = (texts: ReadonlyArray<string>) => Effect.runPromise(embedder.embed(texts)).then((r) => r.data)
    const seeds = Array.from({ length: a.seeds }, (_, k) => a.seed + k)
    const started = performance.now()
    const results: Array<{ readonly pair: PairSpec; readonly runs: ReadonlyArray<PairRun> }> = []
    for (const pair of a.pairs) {
      const t0 = performance.now()
      const runs: Array<PairRun> = []
      for (const seed of seeds) {
        runs.push(
          yield* Effect.tryPromise({
            try: () => runPair(pair, population, corpus, config, { ...sim, seed }, vectors, embed),
            catch: (e) => new SimError({ message: `${pairName(pair)} seed ${seed}: ${e instanceof Error ? e.message : String(e)}` })
          })
        )
        disk?.flush()
      }
      results.push({ pair, runs })
      yield* Effect.sync(() => process.stderr.write(`policies: ${pairName(pair)} — ${seeds.length} × ${a.rounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`))
    }
    const metrics = results.map(({ pair, runs }) => combineSeeds(pairName(pair), runs.map((r) => pairMetrics(pairName(pair), r, population))))
    const recommendation = recommend(metrics)
    const averaged = <A extends Record<string, number>>(xs: ReadonlyArray<A>): A =>
      Object.fromEntries(Object.keys(xs[0]!).map((k) => [k, xs.reduce((acc, x) => acc + x[k]!, 0) / xs.length])) as A
    const stake = results
      .filter(({ pair }) => pair.selection === "availability" && (pair.aggregation === "ema" || pair.aggregation === "blend"))
      .map(({ pair, runs }) => ({ pair: pairName(pair), ...averaged(runs.map((r) => ({ ...stakeView(r.weights, population, 100) }))) }))
    const series = results.map(({ pair, runs }) => ({
      selection: pair.selection,
      aggregation: `${pair.aggregation}${pair.stakeBlend ? "+stake" : ""}`,
      values: runs[0]!.weights.map((_, k) => runs.reduce((acc, r) => acc + honestShare(r.weights, population, k + 1), 0) / runs.length)
    }))
    // why the exploration share: the performance policy with a quarter of the slots drawn uniformly vs less or more
    const sweep: Array<{ readonly explorationShare: number } & ReturnType<typeof combineSeeds>> = []
    for (const share of EXPLORATION_SWEEP) {
      const swept = { ...config, policies: { ...config.policies, selection: { ...config.policies.selection, explorationShare: share } } }
      const pair: PairSpec = { selection: "performance", aggregation: "blend", stakeBlend: false }
      const perSeed: Array<ReturnType<typeof pairMetrics>> = []
      for (const seed of seeds) {
        const r = yield* Effect.tryPromise({
          try: () => runPair(pair, population, corpus, swept, { ...sim, seed }, vectors, embed),
          catch: (e) => new SimError({ message: `exploration ${share} seed ${seed}: ${e instanceof Error ? e.message : String(e)}` })
        })
        perSeed.push(pairMetrics(pairName(pair), r, population))
      }
      disk?.flush()
      sweep.push({ explorationShare: share, ...combineSeeds(`${pairName(pair)} exploration ${share}`, perSeed) })
    }
    const seedText = seeds.length === 1 ? `seed ${a.seed}` : `mean of seeds ${seeds[0]}–${seeds.at(-1)}`
    const svg = shareSvg(series, `Honest share of weight: ${population.length} miners, ${a.max} per round, ${seedText}`, DEFAULT_POPULATION.newcomerAt)
    const png = yield* embedder.renderPng(svg)
    const report = {
      command: `bun run policies --seed ${a.seed} --seeds ${a.seeds} --rounds ${a.rounds} --max ${a.max}${a.memory ? "" : " --no-memory"}`,
      date: new Date().toISOString(),
      options: { ...sim, seeds, config: a.config, configVersion: config.version, embeddingModel: embedder.model.name },
      population: population.map(({ uid, hotkey, coldkey, strategy, role, joinRound, stake }) => ({ uid, hotkey, coldkey, strategy, role, joinRound, stake })),
      costs: { perAnswer: COST_PER_ANSWER, sybil: { firstHotkey: SYBIL_FIRST_HOTKEY, extraHotkey: SYBIL_EXTRA_HOTKEY } },
      limits: LIMITS,
      pairs: metrics.map((m, k) => ({
        ...m,
        best: finiteGain(m.best),
        gains: m.gains.map(finiteGain),
        perSeed: m.perSeed.map((x) => ({ ...x, best: finiteGain(x.best), gains: x.gains.map(finiteGain) })),
        // answers paid (reward > 0) per strategy, summed over the seeds: junk paid at all is a scorer leak, not a policy
        paidAnswers: Object.fromEntries(
          STRATEGIES.map((st) => [st, results[k]!.runs.reduce((acc, r) => acc + population.filter((p) => p.strategy === st).reduce((x, p) => x + r.paid[p.uid]!, 0), 0)])
        ),
        honestShare: series[k]!.values
      })),
      recommendation: { ...recommendation, gainWarning: recommendation.gainWarning === null ? null : finiteGain(recommendation.gainWarning) },
      stakeBlend: stake,
      exploration: sweep.map(({ explorationShare, honestShare100, cv100, onboarding, best }) => ({ explorationShare, honestShare100, cv100, onboarding, best: finiteGain(best) })),
      seconds: (performance.now() - started) / 1000
    }
    yield* Effect.sync(() => {
      mkdirSync(a.out, { recursive: true })
      writeFileSync(join(a.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`)
      writeFileSync(join(a.out, "plot.svg"), svg)
      writeFileSync(join(a.out, "plot.png"), png)
    })
    return { report, table: metricsTable(metrics), stake, sweep: metricsTable(sweep) }
  }).pipe(Effect.provide(Embedder.layer({ modelPath: a.model, timeoutMs: 600_000 })), Effect.scoped)

const pct = (x: number) => `${(100 * x).toFixed(2)}%`

const main = (): Promise<number> =>
  runCli({
    name: "policies",
    usage,
    parse: args,
    program: run,
    describe: (e) => {
      switch (e._tag) {
        case "ScoringConfigError":
          return `bad scoring config: ${formatScoringConfigError(e)}`
        case "ModelNotFound":
          return `embedding model not found: ${e.message} (bun run model fetch, or --model DIR)`
        case "EmbedError":
          return `embedding failed (${e.operation}): ${e.message}`
        case "SimError":
          return `simulation failed: ${e.message}`
        default:
          return null
      }
    },
    print
  })

const print = (a: Args, r: Effect.Success<ReturnType<typeof run>>): number => {
  const { report, table, stake, sweep } = r
  if (a.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`)
    return 0
  }
  const rec = report.recommendation
  const lines = [
    `${report.command} (${report.date}); ${report.population.length} miners, ${a.max} per round; gain = (emission/cost of the strategy) / (emission/cost of honest) over rounds 1–100; means over ${a.seeds} seed(s) (honest@100: lowest–highest); new→½med: median over seeds`,
    table,
    `recommended default: ${rec.pair}${rec.passed ? "" : " (no pair meets both limits: fewest missed)"} — rule: ${rec.rule}; passing: ${rec.passing.join(", ") || "none"}`,
    ...(rec.gainWarning === null
      ? []
      : [`  note: under ${rec.pair} ${rec.gainWarning.strategy} earns ${String(rec.gainWarning.gain === "Infinity" ? "∞" : Number(rec.gainWarning.gain).toFixed(2))}× honest per unit of cost (see its paid answers in report.json)`]),
    "stake blend (selection availability, shares after 100 rounds, mean over the seeds): pair | low-stake honest | median honest | staked junk | all junk",
    ...stake.map((s) => `  ${s.pair.padEnd(26)} ${pct(s.smallHonest).padStart(7)} ${pct(s.medianHonest).padStart(7)} ${pct(s.whale).padStart(7)} ${pct(s.junk).padStart(7)}`),
    "exploration share of the performance policy (performance×blend; the config default 0.25):",
    sweep,
    `wrote ${join(a.out, "report.json")}, plot.svg, plot.png (${report.seconds.toFixed(0)} s)`
  ]
  console.log(lines.join("\n"))
  return 0
}

process.exitCode = await main()
