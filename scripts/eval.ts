// bun run eval [--seed N] [--rounds N] [--models K] [--reference] [--reference-model M] [--data DIR] [--out DIR]
//              [--config FILE] [--model DIR] [--fp32] [--max-windows N] [--no-memory] [--no-cache] [--time-samples N] [--json]
//              [--dump DIR] (each round as a round file, DIR/rounds/NNN-<id>.json, and who is who in
//              DIR/miners.json, for `bun run score DIR/rounds --memory` replays) [--restart-every N [--forget]] (a
//              validator restart every N rounds: the memory restored from its snapshot, or with --forget lost)
// Real-answer evaluation of the scoring: rounds built from ../shared/data/alpacaeval-dev (K honest models,
// the concise/verbose variants, nine adversary kinds; src/eval/rounds.ts), embedded with the Embedder
// (exact-text cache in .cache/eval/ unless --no-cache), scored in order with one NoveltyMemory (unless
// --no-memory), summarized by src/eval/metrics.ts. Writes <out>/report.json, plot.svg and plot.png; prints a
// summary (or, with --json, the report JSON) on stdout; progress on stderr. Without the data dir: exit 0.
import { mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import type { Database } from "bun:sqlite"
import { Effect } from "effect"
import { toRoundFile } from "../src/domain/RoundFile.ts"
import { DEFAULT_SCORING_CONFIG_PATH, formatScoringConfigError, loadScoringConfig } from "../src/domain/ScoringConfig.ts"
import { Embedder, variantOf } from "../src/embeddings/Embedder.ts"
import { hasDataset, loadDataset } from "../src/eval/dataset.ts"
import { EmbeddingCache, roundEmbeddingsOf, roundTexts } from "../src/eval/EmbeddingCache.ts"
import { EvalMetrics, type Report } from "../src/eval/metrics.ts"
import { scatterSvg, type PlotPoint } from "../src/eval/plot.ts"
import { buildRound, makePlan, type EvalRound } from "../src/eval/rounds.ts"
import type { ScoringConfig } from "../src/scoring/config.ts"
import { makeNoveltyMemory, type NoveltyMemory, scoreRound } from "../src/scoring/round.ts"
import { restoreMemory, snapshotMemory } from "../src/scoring/memorySnapshot.ts"
import { loadMemorySnapshot, saveMemorySnapshot } from "../src/store/MemorySnapshotStore.ts"
import { openDatabase } from "../src/store/Store.ts"
import type { RoundEmbeddings, RoundInput } from "../src/scoring/types.ts"
import { runCli } from "./lib/cli.ts"

const ROOT = resolve(import.meta.dir, "..")
const usage =
  "usage: bun run eval [--seed N] [--rounds N] [--models K] [--reference] [--reference-model M] [--data DIR] [--out DIR] [--config FILE] [--model DIR] [--fp32] [--max-windows N] [--no-memory] [--no-cache] [--time-samples N] [--json] [--dump DIR] [--restart-every N [--forget]]"

const int = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got ${v}`)
  return n
}

const args = () => {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      rounds: { type: "string" },
      models: { type: "string" },
      reference: { type: "boolean", default: false },
      "reference-model": { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      model: { type: "string" },
      fp32: { type: "boolean", default: false },
      "max-windows": { type: "string" },
      memory: { type: "boolean", default: true },
      "no-memory": { type: "boolean", default: false },
      cache: { type: "boolean", default: true },
      "no-cache": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "time-samples": { type: "string" },
      dump: { type: "string" },
      "restart-every": { type: "string" },
      forget: { type: "boolean", default: false },
      help: { type: "boolean", default: false }
    }
  })
  return {
    help: values.help === true,
    seed: int("seed", values.seed, 1),
    rounds: values.rounds === undefined ? null : int("rounds", values.rounds, 0),
    models: int("models", values.models, 16),
    reference: values.reference === true || values["reference-model"] !== undefined,
    referenceModel: values["reference-model"],
    data: resolve(values.data ?? join(ROOT, "../shared/data/alpacaeval-dev")),
    out: resolve(values.out ?? join(ROOT, "bench-results/eval")),
    config: values.config ?? DEFAULT_SCORING_CONFIG_PATH,
    model: values.model,
    quantized: values.fp32 === true ? false : undefined,
    maxWindows: values["max-windows"] === undefined ? undefined : int("max-windows", values["max-windows"], 0),
    memory: values.memory !== false && values["no-memory"] !== true,
    cache: values.cache !== false && values["no-cache"] !== true,
    json: values.json === true,
    timeSamples: int("time-samples", values["time-samples"], 10),
    dump: values.dump === undefined ? null : resolve(values.dump),
    restartEvery: int("restart-every", values["restart-every"], 0),
    forget: values.forget === true
  }
}
type Args = ReturnType<typeof args>

/** The memory a restarted validator scores with: empty (--forget: no snapshot kept), else what
 *  src/app/ScoringMemory.ts restores — the snapshot written and read back by the store (MemorySnapshotStore.ts),
 *  here on an in-memory database. */
const restartedMemory = (db: Database | null, memory: NoveltyMemory, config: ScoringConfig) =>
  Effect.gen(function* () {
    const fresh = makeNoveltyMemory(config)
    if (db === null) return fresh
    yield* saveMemorySnapshot(db, snapshotMemory(memory, config), 0, 0)
    const stored = yield* loadMemorySnapshot(db)
    const outcome = stored === null ? { ok: false as const, reason: "nothing stored" } : restoreMemory(fresh, stored.snapshot, config)
    if (!outcome.ok) return yield* Effect.die(new Error(`memory snapshot not restored: ${outcome.reason}`))
    return fresh
  }).pipe(Effect.orDie)

/** Embeddings of a round from the cache, embedding only the texts it does not hold yet. */
const embedCached = (embedder: Embedder["Service"], cache: EmbeddingCache, input: RoundInput) =>
  Effect.gen(function* () {
    const missing = [...new Set(roundTexts(input).filter((t) => cache.get(t) === undefined))]
    if (missing.length > 0) {
      const { data } = yield* embedder.embed(missing)
      missing.forEach((t, k) => cache.put(t, data.subarray(k * cache.dim, (k + 1) * cache.dim)))
    }
    return roundEmbeddingsOf(input, (t) => cache.get(t)!, cache.dim)
  })

/** Embeds every text of the rounds the cache lacks, in batches large enough to use the whole worker pool. */
const prefetch = (embedder: Embedder["Service"], cache: EmbeddingCache, inputs: ReadonlyArray<RoundInput>) =>
  Effect.gen(function* () {
    const missing = [...new Set(inputs.flatMap(roundTexts))].filter((t) => cache.get(t) === undefined)
    const BATCH = 64 // two chunks of 32: one per worker
    for (let k = 0; k < missing.length; k += BATCH) {
      const batch = missing.slice(k, k + BATCH)
      const { data } = yield* embedder.embed(batch)
      batch.forEach((t, j) => cache.put(t, data.subarray(j * cache.dim, (j + 1) * cache.dim)))
      cache.flush()
      yield* Effect.sync(() => process.stderr.write(`eval: embedded ${Math.min(k + BATCH, missing.length)}/${missing.length} new texts into the cache\n`))
    }
  })

interface Timing {
  readonly samples: number
  readonly answersPerRound: number
  /** Fresh embedRound + scoreRound of the whole round, ms (mean). */
  readonly roundMs: number
  readonly roundEmbedMs: number
  readonly roundScoreMs: number
  /** The same for the round's 16 (or K) honest answers alone. */
  readonly round16Ms: number
  readonly round16Answers: number
  /** CPU time of the process (all threads) over the whole round's embedding + scoring, ms: less load-dependent. */
  readonly roundCpuMs: number
  /** 1-minute load average at the end and the machine's cores: times measured on a shared machine. */
  readonly loadAverage: number
  readonly cores: number
}

/** Writes the rounds as round files, named so a directory listing keeps their order, and who each miner is. */
const dumpRounds = (dir: string, rounds: ReadonlyArray<EvalRound>): void => {
  mkdirSync(join(dir, "rounds"), { recursive: true })
  const width = String(rounds.length).length
  const miners: Record<string, Array<{ uid: number; name: string; kind: string; adversary?: string }>> = {}
  rounds.forEach((round, r) => {
    writeFileSync(join(dir, "rounds", `${String(r + 1).padStart(width, "0")}-${round.input.id}.json`), `${JSON.stringify(toRoundFile(round.input))}\n`)
    miners[round.input.id] = round.miners.map((m) => ({ uid: m.uid, name: m.name, kind: m.kind, ...(m.adversary === undefined ? {} : { adversary: m.adversary }) }))
  })
  writeFileSync(join(dir, "miners.json"), `${JSON.stringify(miners)}\n`)
}

const run = (a: Args) =>
  Effect.gen(function* () {
    const config: ScoringConfig = yield* loadScoringConfig(a.config)
    const data = loadDataset(a.data)
    const plan = makePlan(data, { seed: a.seed, models: a.models, reference: a.reference, referenceModel: a.referenceModel })
    const rounds = Math.min(a.rounds ?? plan.order.length, plan.order.length)
    const embedder = yield* Embedder
    const cache = a.cache ? new EmbeddingCache(join(ROOT, ".cache/eval"), `${embedder.model.name}${variantOf(embedder.model)}`, embedder.model.dim) : null
    let memory = a.memory ? makeNoveltyMemory(config) : undefined
    let restarts = 0
    const snapshotDb = a.restartEvery > 0 && !a.forget ? openDatabase(":memory:") : null
    const metrics = new EvalMetrics(data.lc)
    const built = Array.from({ length: rounds }, (_, r) => buildRound(data, plan, r))
    if (a.dump !== null) yield* Effect.sync(() => dumpRounds(a.dump!, built))
    if (cache !== null) yield* prefetch(embedder, cache, built.map((b) => b.input))
    // with the cache, a sample of rounds is also embedded fresh to measure the time per round
    const sampleEvery = cache === null ? 1 : Math.max(1, Math.floor(rounds / Math.max(1, a.timeSamples)))
    const times = { n: 0, cpu: 0, embed: 0, score: 0, full: 0, small: 0, answers: 0, smallAnswers: 0 }
    const started = performance.now()
    let last: EvalRound | null = null
    for (let r = 0; r < rounds; r++) {
      const round = built[r]!
      last = round
      const timed = cache === null || (a.timeSamples > 0 && r % sampleEvery === 0)
      let emb: RoundEmbeddings
      if (timed) {
        // fresh embeddings (the worker pool, as the validator does) for the time per round
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        emb = yield* embedder.embedRound(round.input)
        const t1 = performance.now()
        scoreRound(round.input, emb, config, makeNoveltyMemory(config))
        const t2 = performance.now()
        const c1 = process.cpuUsage(c0)
        const honest = round.input.responses.filter((_, k) => round.miners[k]!.kind === "honest").slice(0, 16)
        const small: RoundInput = { ...round.input, responses: honest }
        const t3 = performance.now()
        const smallEmb = yield* embedder.embedRound(small)
        scoreRound(small, smallEmb, config, makeNoveltyMemory(config))
        const t4 = performance.now()
        times.n++
        times.embed += t1 - t0
        times.score += t2 - t1
        times.full += t2 - t0
        times.cpu += (c1.user + c1.system) / 1000
        times.small += t4 - t3
        times.answers += round.input.responses.length
        times.smallAnswers += honest.length
        if (cache !== null) emb = yield* embedCached(embedder, cache, round.input)
      } else emb = yield* embedCached(embedder, cache!, round.input)
      if (memory !== undefined && a.restartEvery > 0 && r > 0 && r % a.restartEvery === 0) {
        memory = yield* restartedMemory(snapshotDb, memory, config)
        restarts++
      }
      const result = scoreRound(round.input, emb, config, memory)
      metrics.add(round, result.miners)
      if ((r + 1) % 10 === 0 || r + 1 === rounds) {
        cache?.flush()
        const s = ((performance.now() - started) / 1000).toFixed(1)
        yield* Effect.sync(() => process.stderr.write(`eval: ${r + 1}/${rounds} rounds, ${s} s\n`))
      }
    }
    cache?.flush()
    const timing: Timing = {
      samples: times.n,
      answersPerRound: times.n === 0 ? 0 : times.answers / times.n,
      roundMs: times.n === 0 ? 0 : times.full / times.n,
      roundEmbedMs: times.n === 0 ? 0 : times.embed / times.n,
      roundScoreMs: times.n === 0 ? 0 : times.score / times.n,
      round16Ms: times.n === 0 ? 0 : times.small / times.n,
      round16Answers: times.n === 0 ? 0 : times.smallAnswers / times.n,
      roundCpuMs: times.n === 0 ? 0 : times.cpu / times.n,
      loadAverage: loadavg()[0]!,
      cores: availableParallelism()
    }
    const report = metrics.report()
    const points: Array<PlotPoint> = [
      ...Object.entries(report.honest.perModel).map(([label, v]) => ({ label, kind: "honest" as const, lc: v.lc, meanReward: v.meanReward })),
      ...report.variants.map((v) => ({ label: v.model, kind: "variant" as const, lc: data.lc.get(v.model) ?? null, meanReward: v.meanReward })),
      ...Object.entries(report.adversaries).map(([label, v]) => ({ label, kind: "adversary" as const, lc: null, meanReward: v.meanReward }))
    ]
    const title = `Quorum scoring v${config.version} on ${rounds} rounds (seed ${a.seed}${a.reference ? `, reference ${plan.referenceModel}` : ""}): Spearman ${report.spearman.rho}`
    const svg = scatterSvg(points, title)
    const png = yield* embedder.renderPng(svg)
    const full = {
      options: {
        seed: a.seed,
        rounds,
        models: a.models,
        reference: plan.referenceModel,
        memory: a.memory,
        restarts: { every: a.restartEvery, count: restarts, memory: a.restartEvery === 0 ? null : a.forget ? "forgotten" : "restored" },
        cache: a.cache,
        config: a.config,
        configVersion: config.version,
        embeddingModel: embedder.model.name,
        embeddingFile: embedder.model.file,
        maxWindows: embedder.model.maxWindows,
        answersPerRound: last?.input.responses.length ?? 0
      },
      ...report,
      timing
    }
    yield* Effect.sync(() => {
      mkdirSync(a.out, { recursive: true })
      writeFileSync(join(a.out, "report.json"), `${JSON.stringify(full, null, 2)}\n`)
      writeFileSync(join(a.out, "plot.svg"), svg)
      writeFileSync(join(a.out, "plot.png"), png)
    })
    return full
    // no in-memory text cache: the timed rounds must embed every text fresh (the eval has its own cache)
  }).pipe(
    Effect.provide(Embedder.layer({ modelPath: a.model, quantized: a.quantized, maxWindows: a.maxWindows, cacheSize: 0, timeoutMs: 600_000 })),
    Effect.scoped
  )

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

type Options = { rounds: number; reference: string | null; embeddingModel: string; embeddingFile: string; maxWindows: number }
const summary = (r: Report & { options: Options; timing: Timing }, out: string): string => {
  const lines = [
    `rounds ${r.rounds}, reference ${r.options.reference ?? "none"}, embeddings ${r.options.embeddingModel} ${r.options.embeddingFile}, ${r.options.maxWindows > 0 ? `≤ ${r.options.maxWindows}` : "all"} windows per text`,
    `honest false-zero: ${pct(r.honest.falseZeroRate)} (${r.honest.zeros}/${r.honest.answers})` +
      ` — ${Object.entries(r.honest.perReason).map(([k, v]) => `${k} ${v.count}`).join(", ") || "none"}`,
    `  of the zeros: empty ${r.honest.perKind.empty}, repetitive ${r.honest.perKind.repetitive}, refusals ${r.honest.perKind.refusal}, unexplained ${r.honest.perKind.unexplained} (${pct(r.honest.unexplainedRate)} of honest answers)`,
    `Spearman(mean reward, LC win rate) over ${r.spearman.models} models: ${r.spearman.rho}`,
    `adversaries' share of all reward: ${pct(r.adversaryRewardShare)}`,
    "adversary          paid   mean×honest  max×honest",
    ...Object.entries(r.adversaries).map(([k, v]) => `${k.padEnd(16)} ${pct(v.paidShare).padStart(6)}  ${v.meanRelative.toFixed(3).padStart(11)} ${v.maxRelative.toFixed(3).padStart(11)}${v.paidIn.length > 0 ? `  paid in ${v.paidIn.join(", ")}` : ""}`),
    "variant vs standard:",
    ...r.variants.map((v) => `  ${v.model.padEnd(28)} ${String(v.ratio).padStart(6)}× ${v.against === "standard" ? v.family : "the honest mean (standard model not in the data)"}`),
    `time per round (fresh embeddings + scoring, ${r.timing.samples} sampled rounds): ${r.timing.roundMs.toFixed(0)} ms for ${r.timing.answersPerRound.toFixed(0)} answers ` +
      `(embed ${r.timing.roundEmbedMs.toFixed(0)}, score ${r.timing.roundScoreMs.toFixed(1)}); ${r.timing.round16Ms.toFixed(0)} ms for a ${r.timing.round16Answers.toFixed(0)}-answer round` +
      `; CPU ${r.timing.roundCpuMs.toFixed(0)} ms per whole round (load average ${r.timing.loadAverage.toFixed(1)} on ${r.timing.cores} cores)`,
    "zeroed honest models (most first): " +
      Object.entries(r.honest.perModel)
        .filter(([, v]) => v.zeros > 0)
        .sort((a, b) => b[1].rate - a[1].rate)
        .slice(0, 8)
        .map(([k, v]) => `${k} ${pct(v.rate)}`)
        .join(", "),
    `wrote ${join(out, "report.json")}, plot.svg, plot.png`
  ]
  return lines.join("\n")
}

const main = (): Promise<number> =>
  runCli({
    name: "eval",
    usage,
    parse: args,
    program: (a: Args) => (hasDataset(a.data) ? run(a) : Effect.succeed(null)),
    describe: (e) => {
      switch (e._tag) {
        case "ScoringConfigError":
          return `bad scoring config: ${formatScoringConfigError(e)}`
        case "ModelNotFound":
          return `embedding model not found: ${e.message}`
        case "EmbedError":
          return `embedding failed (${e.operation}): ${e.message}`
        default:
          return null
      }
    },
    print: (a, r) => {
      if (r === null) {
        console.error(`eval: skipped — no data set at ${a.data} (needs prompts.json, outputs/, leaderboard.csv; pass --data DIR)`)
        return 0
      }
      process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : `${summary(r, a.out)}\n`)
      return 0
    }
  })

process.exitCode = await main()
