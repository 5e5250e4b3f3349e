// bun run score <round.json> [--json] [--model DIR] [--config FILE] [--heatmap OUT.svg|OUT.png]
// Scores one recorded round: decode the file, embed it with the Embedder (worker threads; with no --model the
// real use-lite model from ../shared/models), score it with the versioned config, print a per-miner table.
// --json prints exactly one JSON object on stdout: {"miners":[{uid,reward,axes,filtered}],"consensus":[uids]}.
// --heatmap writes the round's similarity matrix as SVG or PNG (rasterized in the worker pool).
// Logs and errors go to stderr; a bad file or config exits 1.
// Batch: several files or directories (or --memory) → one JSON line per round {id, file, miners, consensus},
// one model load; --memory carries the novelty memory across them in order. Replay: --db PATH [--round ID |
// --last N] scores stored rounds again with the current config and shows old vs new per miner
// (scripts/lib/scoreBatch.ts).
import { existsSync, statSync, writeFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { Effect, Logger } from "effect"
import { formatRoundFileError, loadRoundFile } from "../src/domain/RoundFile.ts"
import { formatScoringConfigError, loadScoringConfig } from "../src/domain/ScoringConfig.ts"
import { Embedder } from "../src/embeddings/Embedder.ts"
import { explain, scoreRound } from "../src/scoring/round.ts"
import { runBatch, runReplay } from "./lib/scoreBatch.ts"
import type { RoundResult } from "../src/scoring/types.ts"

const usage =
  "usage: bun run score <round.json> [--json] [--model DIR] [--config FILE] [--heatmap OUT.svg|OUT.png]\n" +
  "       bun run score <files or dirs...> [--memory] [--json] [--model DIR] [--config FILE]\n" +
  "       bun run score --db PATH [--round ID | --last N] [--memory] [--json] [--model DIR] [--config FILE]"

const table = (result: RoundResult): string => {
  const axes = [...new Set(result.miners.flatMap((m) => Object.keys(m.axes)))]
  const header = ["uid", "reward", ...axes, "filtered"]
  const rows = result.miners.map((m) => [
    String(m.uid),
    m.reward.toFixed(4),
    ...axes.map((a) => (m.axes[a] === undefined ? "-" : m.axes[a]!.toFixed(3))),
    m.filtered === null ? "" : m.note === undefined ? m.filtered : `${m.filtered} (${m.note})`
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (k === header.length - 1 ? 0 : r[k]!.length))))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, k) => (k === cells.length - 1 ? c : c.padStart(widths[k]!))).join("  ")
  return [line(header), ...rows.map(line)].join("\n")
}

const isDirectory = (p: string): boolean => existsSync(p) && statSync(p).isDirectory()

const main = async (): Promise<number> => {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        model: { type: "string" },
        config: { type: "string" },
        heatmap: { type: "string" },
        memory: { type: "boolean", default: false },
        db: { type: "string" },
        round: { type: "string" },
        last: { type: "string" },
        help: { type: "boolean", default: false }
      }
    })
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`)
    return 1
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    console.log(usage)
    return 0
  }
  const shared = { json: values.json === true, model: values.model, config: values.config, memory: values.memory === true }
  if (values.db !== undefined) {
    const last = values.last === undefined ? undefined : Number(values.last)
    if (positionals.length > 0 || (values.round !== undefined && last !== undefined) || (last !== undefined && !(Number.isInteger(last) && last > 0))) {
      console.error(`--db takes no files, and either --round ID or --last N (N ≥ 1)\n${usage}`)
      return 1
    }
    return runReplay(values.db, { round: values.round, last }, shared)
  }
  const batch = positionals.length > 1 || shared.memory || (positionals.length === 1 && isDirectory(positionals[0]!))
  if (batch && values.heatmap === undefined) return runBatch(positionals, shared)
  if (positionals.length !== 1) {
    console.error(usage)
    return 1
  }
  const file = positionals[0]!
  const heatmapOut = values.heatmap
  if (heatmapOut !== undefined && !/\.(svg|png)$/i.test(heatmapOut)) {
    console.error(`--heatmap wants a .svg or .png path, got ${heatmapOut}\n${usage}`)
    return 1
  }
  // the inputs are checked before the model is loaded: a bad file fails fast, without a model
  const program = Effect.gen(function* () {
    const config = yield* loadScoringConfig(values.config)
    const round = yield* loadRoundFile(file)
    return yield* Effect.gen(function* () {
      const embedder = yield* Embedder
      yield* Effect.logDebug("embedding round").pipe(Effect.annotateLogs({ round: round.id, responses: round.responses.length, model: embedder.model.name }))
      const emb = yield* embedder.embedRound(round)
      const result = scoreRound(round, emb, config)
      if (heatmapOut !== undefined) {
        const png = /\.png$/i.test(heatmapOut)
        const out = yield* embedder.renderHeatmap(
          {
            similarity: emb.similarity,
            n: round.responses.length,
            labels: round.responses.map((r) => String(r.uid)),
            title: `round ${round.id}`,
            clusters: result.clusters
          },
          { png, fitWidth: 1200 }
        )
        const bytes = png && out.png !== null ? out.png : new TextEncoder().encode(out.svg)
        yield* Effect.sync(() => writeFileSync(heatmapOut, bytes))
      }
      return { result, model: embedder.model.name }
    }).pipe(Effect.provide(Embedder.layer({ modelPath: values.model, poolSize: 1 })), Effect.scoped)
  }).pipe(Effect.provide(Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)])))
  const exit = await Effect.runPromiseExit(
    program.pipe(
      Effect.map((r) => ({ ok: true as const, ...r })),
      Effect.catchTags({
        RoundFileError: (e) => Effect.succeed({ ok: false as const, message: `bad round file: ${formatRoundFileError(e)}` }),
        ScoringConfigError: (e) => Effect.succeed({ ok: false as const, message: `bad scoring config: ${formatScoringConfigError(e)}` }),
        ModelNotFound: (e) => Effect.succeed({ ok: false as const, message: `embedding model not found: ${e.message}` }),
        EmbedError: (e) => Effect.succeed({ ok: false as const, message: `embedding failed (${e.operation}): ${e.message}` })
      })
    )
  )
  if (exit._tag === "Failure") {
    console.error(`score: unexpected failure\n${String(exit.cause)}`)
    return 1
  }
  const out = exit.value
  if (!out.ok) {
    console.error(out.message)
    return 1
  }
  const { result } = out
  if (values.json === true) {
    const json = {
      miners: result.miners.map((m) => ({ uid: m.uid, reward: m.reward, axes: m.axes, filtered: m.filtered })),
      consensus: result.consensus
    }
    process.stdout.write(`${JSON.stringify(json)}\n`)
  } else {
    console.log(`round ${result.roundId} (${result.taskType}), model ${out.model}`)
    console.log(table(result))
    console.log(result.consensus.length === 0 ? "consensus: none" : `consensus: ${result.consensus.join(", ")}`)
    console.log(`best: ${result.best === null ? "none" : result.best}`)
    console.log(explain(result)[1] ?? "")
  }
  return 0
}

process.exitCode = await main()
