// `bun run bench round [--rounds N] [--models K]`: the time of one evaluation round as the validator runs it —
// the Embedder's embedRound (prompt + K honest answers of ../shared/data/alpacaeval-dev, fresh: no text cache)
// then scoreRound — for embedding settings side by side, all measured in this run on the same rounds. Baseline:
// the fp32 graph, every window of every text, one worker (the settings before int8 and the window cap). The
// runs alternate (A B C … A B C …) so a change of machine load hits each setting alike; the load average is printed.
import { loadavg } from "node:os"
import { ManagedRuntime } from "effect"
import { Embedder, EMBED_DEFAULTS, type EmbedderOptions } from "../../src/embeddings/Embedder.ts"
import { hasDataset, loadDataset } from "../../src/eval/dataset.ts"
import { buildRound, makePlan } from "../../src/eval/rounds.ts"
import { makeNoveltyMemory, scoreRound } from "../../src/scoring/round.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import type { RoundInput } from "../../src/scoring/types.ts"
import { ALPACA_DIR } from "../../src/miners/sim/AlpacaCorpus.ts"

const flag = (args: ReadonlyArray<string>, name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : NaN
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt
}

const SETTINGS: ReadonlyArray<[string, EmbedderOptions]> = [
  ["fp32, all windows, 1 worker (baseline)", { quantized: false, maxWindows: 0, poolSize: 1 }],
  ["fp32, all windows, 2 workers", { quantized: false, maxWindows: 0, poolSize: 2 }],
  ["int8, all windows, 2 workers", { quantized: true, maxWindows: 0, poolSize: 2 }],
  [`int8, ≤ ${EMBED_DEFAULTS.maxWindows} windows, 1 worker`, { poolSize: 1 }],
  [`defaults (int8, ≤ ${EMBED_DEFAULTS.maxWindows} windows, 2 workers)`, { poolSize: 2 }]
]

export async function run(args: Array<string> = []): Promise<void> {
  if (!hasDataset(ALPACA_DIR)) {
    console.log(`round: skipped (alpacaeval-dev not found at ${ALPACA_DIR})`)
    return
  }
  const nRounds = flag(args, "rounds", 6)
  const models = flag(args, "models", 16)
  const data = loadDataset(ALPACA_DIR)
  const plan = makePlan(data, { seed: 1, models, reference: false })
  const rounds: Array<RoundInput> = Array.from({ length: nRounds }, (_, r) => {
    const b = buildRound(data, plan, r)
    return { ...b.input, responses: b.input.responses.filter((_, k) => b.miners[k]!.kind === "honest") }
  })
  const runtimes = SETTINGS.map(([, o]) => ManagedRuntime.make(Embedder.layer({ offline: true, cacheSize: 0, timeoutMs: 600_000, ...o })))
  const times = SETTINGS.map(() => ({ embed: 0, score: 0 }))
  try {
    for (const rt of runtimes) await rt.runPromise(Embedder.use((e) => e.embedRound(rounds[0]!))) // load + warm up
    const load0 = loadavg()[0]!
    for (const round of rounds) {
      for (let s = 0; s < runtimes.length; s++) {
        const t0 = performance.now()
        const emb = await runtimes[s]!.runPromise(Embedder.use((e) => e.embedRound(round)))
        const t1 = performance.now()
        scoreRound(round, emb, DEFAULT_SCORING_CONFIG, makeNoveltyMemory(DEFAULT_SCORING_CONFIG))
        times[s]!.embed += t1 - t0
        times[s]!.score += performance.now() - t1
      }
    }
    const answers = rounds.reduce((s, r) => s + r.responses.length, 0) / rounds.length
    console.log(`${nRounds} rounds of ${answers.toFixed(0)} honest answers + prompt, fresh embeddings; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`)
    const per = (s: number) => (times[s]!.embed + times[s]!.score) / nRounds
    for (let s = 0; s < SETTINGS.length; s++) {
      const t = times[s]!
      console.log(
        `  ${SETTINGS[s]![0].padEnd(44)} ${per(s).toFixed(0).padStart(6)} ms per round (embed ${(t.embed / nRounds).toFixed(0)}, score ${(t.score / nRounds).toFixed(1)})  ${(per(0) / per(s)).toFixed(2)}×`
      )
    }
  } finally {
    for (const rt of runtimes) await rt.dispose()
  }
}

if (import.meta.main) await run(process.argv.slice(2))
