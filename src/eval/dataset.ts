// The AlpacaEval-style evaluation data set (../shared/data/alpacaeval-dev): prompts, each model's answers, and
// the leaderboard's length-controlled win rate. Decoding is pure (values already read); loadDataset reads a dir.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Schema } from "effect"

export interface EvalPrompt {
  readonly index: number
  readonly dataset: string
  readonly instruction: string
}

export interface Dataset {
  readonly prompts: ReadonlyArray<EvalPrompt>
  /** model → prompt index → answer text. */
  readonly outputs: ReadonlyMap<string, ReadonlyMap<number, string>>
  /** model → length-controlled win rate (percent). */
  readonly lc: ReadonlyMap<string, number>
}

const PromptsSchema = Schema.Array(Schema.Struct({ index: Schema.Number, dataset: Schema.String, instruction: Schema.String }))
const OutputsSchema = Schema.Struct({
  generator: Schema.optionalKey(Schema.String),
  outputs: Schema.Array(Schema.Struct({ index: Schema.Number, output: Schema.String }))
})
const decodePrompts = Schema.decodeUnknownSync(PromptsSchema)
const decodeOutputs = Schema.decodeUnknownSync(OutputsSchema)

const VARIANT = /_(concise|verbose)$/

/** A model prompted to answer shorter or longer (`<family>_concise`, `<family>_verbose`), or null. */
export const variantOf = (model: string): { readonly family: string; readonly style: "concise" | "verbose" } | null => {
  const m = VARIANT.exec(model)
  return m === null ? null : { family: model.slice(0, m.index), style: m[1] as "concise" | "verbose" }
}

/** Models that are not a concise/verbose variant, sorted by name. */
export const baseModels = (d: Dataset): Array<string> => [...d.outputs.keys()].filter((m) => variantOf(m) === null).sort()
export const variantModels = (d: Dataset): Array<string> => [...d.outputs.keys()].filter((m) => variantOf(m) !== null).sort()

/** leaderboard.csv text → model → length_controlled_winrate. */
export const parseLeaderboard = (csv: string): Map<string, number> => {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== "")
  const header = (lines[0] ?? "").split(",").map((h) => h.trim())
  const mi = header.indexOf("model")
  const li = header.indexOf("length_controlled_winrate")
  if (mi < 0 || li < 0) throw new Error("leaderboard.csv: needs the columns model and length_controlled_winrate")
  const out = new Map<string, number>()
  for (const line of lines.slice(1)) {
    const cells = line.split(",")
    const v = Number(cells[li])
    if (cells[mi] !== undefined && Number.isFinite(v)) out.set(cells[mi]!.trim(), v)
  }
  return out
}

/** Parsed JSON values → Dataset (throws with the part named on a shape error). */
export const decodeDataset = (prompts: unknown, outputs: ReadonlyMap<string, unknown>, leaderboardCsv: string): Dataset => {
  const ps = decodePrompts(prompts)
  const out = new Map<string, Map<number, string>>()
  for (const [model, u] of outputs) {
    try {
      out.set(model, new Map(decodeOutputs(u).outputs.map((o) => [o.index, o.output])))
    } catch (e) {
      throw new Error(`outputs/${model}.json: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return { prompts: ps, outputs: out, lc: parseLeaderboard(leaderboardCsv) }
}

/** Whether `dir` looks like the data set (prompts.json, outputs/, leaderboard.csv). */
export const hasDataset = (dir: string): boolean =>
  existsSync(join(dir, "prompts.json")) && existsSync(join(dir, "outputs")) && existsSync(join(dir, "leaderboard.csv"))

export const loadDataset = (dir: string): Dataset => {
  const readJson = (p: string): unknown => JSON.parse(readFileSync(p, "utf8"))
  const outputs = new Map<string, unknown>()
  for (const f of readdirSync(join(dir, "outputs")).filter((f) => f.endsWith(".json")).sort()) {
    outputs.set(f.replace(/\.json$/, ""), readJson(join(dir, "outputs", f)))
  }
  return decodeDataset(readJson(join(dir, "prompts.json")), outputs, readFileSync(join(dir, "leaderboard.csv"), "utf8"))
}
