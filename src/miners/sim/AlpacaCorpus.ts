// Real LLM answers (../shared/data/alpacaeval-dev) as a simulated-miner corpus, so load tests and benchmarks
// see what a validator really receives: 39+ models' answers to the same instructions, 1–2k characters
// typical. Also the latency distribution those answers imply at a given generation speed.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Schema } from "effect"
import type { LatencySpec } from "./Behaviour.ts"
import type { CorpusFile } from "../../challenges/Corpus.ts"

export const ALPACA_DIR = resolve(import.meta.dir, "../../../../shared/data/alpacaeval-dev")
export const hasAlpaca = (dir: string = ALPACA_DIR) => existsSync(join(dir, "prompts.json"))

const Prompts = Schema.Array(Schema.Struct({ index: Schema.Number, dataset: Schema.String, instruction: Schema.String }))
const Outputs = Schema.Struct({
  generator: Schema.String,
  outputs: Schema.Array(Schema.Struct({ index: Schema.Number, output: Schema.String }))
})

export interface AlpacaData {
  readonly corpus: CorpusFile
  /** Every answer's length in characters (all models, all prompts). */
  readonly lengths: ReadonlyArray<number>
}

/** Loads prompts and all models' outputs (sorted by file name: Bun's readdir is unsorted). Throws when malformed. */
export const loadAlpaca = (dir: string = ALPACA_DIR, maxPrompts: number = Number.POSITIVE_INFINITY): AlpacaData => {
  const prompts = Schema.decodeUnknownSync(Prompts)(JSON.parse(readFileSync(join(dir, "prompts.json"), "utf8"))).slice(0, maxPrompts)
  const byIndex = new Map<number, Array<string>>(prompts.map((p) => [p.index, []]))
  const lengths: Array<number> = []
  const files = readdirSync(join(dir, "outputs")).filter((f) => f.endsWith(".json")).sort()
  for (const f of files) {
    const o = Schema.decodeUnknownSync(Outputs)(JSON.parse(readFileSync(join(dir, "outputs", f), "utf8")))
    for (const { index, output } of o.outputs) {
      const list = byIndex.get(index)
      if (list === undefined || output.trim() === "") continue
      list.push(output)
      lengths.push(output.length)
    }
  }
  const entries = prompts.map((p, k) => {
    const decoyFrom = byIndex.get(prompts[(k + 1) % prompts.length]!.index) ?? []
    return {
      id: `alpaca-${p.index}`,
      topic: p.dataset,
      prompt: p.instruction,
      answers: byIndex.get(p.index) ?? [],
      decoy: decoyFrom[0] ?? "I cannot help with that."
    }
  }).filter((e) => e.answers.length > 0)
  return { corpus: { version: 1, entries, toolPrompts: [] }, lengths }
}

/**
 * Latency of generating answers of these lengths: time to first token plus length / speed. Returned as the
 * mean and standard deviation a lognormal sampler takes (Behaviour.sampleLatency).
 */
export const latencyFromLengths = (lengths: ReadonlyArray<number>, charsPerSecond: number = 400, firstTokenMs: number = 250): LatencySpec => {
  const ms = lengths.map((l) => firstTokenMs + (l / charsPerSecond) * 1000)
  const mean = ms.reduce((s, x) => s + x, 0) / Math.max(1, ms.length)
  const sd = Math.sqrt(ms.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, ms.length))
  return { meanMs: mean, sdMs: sd }
}
