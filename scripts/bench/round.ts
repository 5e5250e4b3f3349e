// `bun run bench round [--rounds N] [--models K]`: the time of one evaluation round as the validator runs it —
// the Embedder's embedRound (prompt + K honest answers of ../shared/data/alpacaeval-dev, fresh: no text cache)
// then scoreRound — for embedding settings side by side, all measured in this run on the same rounds. Baseline:
// the fp32 graph, every window of every text, one worker (the settings before int8 and the window cap). The
// runs alternate (A B C … A B C …) so a change of machine load hits each setting alike; the load average is printed.
// Also the tokenization alone: the library's whole-text encoding vs the word-by-word memo (workers/wordTokens.ts).
import { loadavg } from "node:os"
import { readFileSync } from "node:fs"
import { Tokenizer } from "@huggingface/tokenizers"
import { Effect, ManagedRuntime } from "effect"
import { resolveModel } from "../../src/embeddings/ModelResolver.ts"
import { makeTokenIds } from "../../workers/wordTokens.ts"
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
  await tokenization(rounds)
}

/** Tokenization of the same rounds' texts, twice over (the second pass is what a running validator sees). */
const tokenization = async (rounds: ReadonlyArray<RoundInput>) => {
  const spec = await Effect.runPromise(resolveModel({ offline: true }))
  const json: unknown = JSON.parse(readFileSync(spec.tokenizerFile, "utf8"))
  const config: unknown = spec.tokenizerConfigFile === null ? {} : JSON.parse(readFileSync(spec.tokenizerConfigFile, "utf8"))
  const tok = new Tokenizer(json as object, config as object)
  const memo = makeTokenIds(tok, json)
  const texts = rounds.flatMap((r) => [r.prompt, ...r.responses.map((x) => x.text)])
  const time = (f: (t: string) => unknown) => {
    const t0 = performance.now()
    for (const t of texts) f(t)
    return (performance.now() - t0) / rounds.length
  }
  const whole = time((t) => tok.encode(t, { add_special_tokens: false }))
  const cold = time(memo)
  const warm = time(memo)
  console.log(`  tokenization per round (${spec.name}): library, whole texts ${whole.toFixed(1)} ms (baseline); word by word ${cold.toFixed(1)} ms on first sight (${(whole / cold).toFixed(2)}×), ${warm.toFixed(1)} ms with the words remembered (${(whole / warm).toFixed(2)}×)`)
}

if (import.meta.main) await run(process.argv.slice(2))
