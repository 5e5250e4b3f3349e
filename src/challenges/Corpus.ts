// The prompt/answer corpus the simulated honest miners answer from (data/corpus.json), validated
// with a Schema, plus nearest-prompt lookup by word overlap.
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Schema } from "effect"
import corpusAsset from "../../data/corpus.json" with { type: "file" }

export const CorpusEntry = Schema.Struct({
  id: Schema.String,
  topic: Schema.String,
  prompt: Schema.String,
  answers: Schema.Array(Schema.String),
  decoy: Schema.String
})
export type CorpusEntry = typeof CorpusEntry.Type

export const ToolPrompt = Schema.Struct({
  id: Schema.String,
  prompt: Schema.String,
  tools: Schema.Array(Schema.Unknown),
  expected: Schema.Struct({ name: Schema.String, arguments: Schema.Record(Schema.String, Schema.Unknown) }),
  answer: Schema.String
})
export type ToolPrompt = typeof ToolPrompt.Type

export const CorpusFile = Schema.Struct({
  version: Schema.Number,
  entries: Schema.Array(CorpusEntry),
  toolPrompts: Schema.Array(ToolPrompt)
})
export type CorpusFile = typeof CorpusFile.Type

/** data/corpus.json. Imported as a file so the compiled binary embeds it: Bun then gives the file's path (the
 *  embedded copy under /$bunfs in dist/quorum). TypeScript types JSON imports as their content, hence the check. */
export const DEFAULT_CORPUS_PATH: string =
  typeof corpusAsset === "string" ? corpusAsset : resolve(import.meta.dir, "../../data/corpus.json")

let cached: CorpusFile | undefined
/** Loads and validates the corpus (cached for the default path). Throws on a malformed file. */
export const loadCorpus = (path: string = DEFAULT_CORPUS_PATH): CorpusFile => {
  if (path === DEFAULT_CORPUS_PATH && cached !== undefined) return cached
  const parsed = Schema.decodeUnknownSync(CorpusFile)(JSON.parse(readFileSync(path, "utf8")))
  if (path === DEFAULT_CORPUS_PATH) cached = parsed
  return parsed
}

export const words = (s: string): Array<string> => s.toLowerCase().match(/[a-z0-9]+/g) ?? []

const STOP = new Set(["the", "a", "an", "is", "of", "to", "in", "and", "do", "does", "what", "how", "i", "my", "it", "for"])
const contentWords = (s: string) => new Set(words(s).filter((w) => !STOP.has(w)))

/** Jaccard overlap of content words (stop words removed). */
export const overlap = (a: string, b: string): number => {
  const A = contentWords(a)
  const B = contentWords(b)
  if (A.size === 0 || B.size === 0) return 0
  let inter = 0
  for (const w of A) if (B.has(w)) inter++
  return inter / (A.size + B.size - inter)
}

// nearest entries are remembered per corpus and prompt: every miner of a round asks for the same prompt
const nearestMemo = new WeakMap<CorpusFile, Map<string, CorpusEntry>>()
const MEMO_PROMPTS = 4096

/** The corpus entry whose prompt best matches (exact match first, else highest word overlap; ties → first). */
export const nearestEntry = (corpus: CorpusFile, prompt: string): CorpusEntry => {
  let memo = nearestMemo.get(corpus)
  if (memo === undefined) nearestMemo.set(corpus, (memo = new Map()))
  const hit = memo.get(prompt)
  if (hit !== undefined) return hit
  const found = searchNearest(corpus, prompt)
  if (memo.size >= MEMO_PROMPTS) memo.clear()
  memo.set(prompt, found)
  return found
}

const searchNearest = (corpus: CorpusFile, prompt: string): CorpusEntry => {
  const first = corpus.entries[0]
  if (first === undefined) throw new Error("corpus has no entries")
  const norm = prompt.trim().toLowerCase()
  let best = first
  let bestScore = -1
  for (const e of corpus.entries) {
    if (e.prompt.toLowerCase() === norm) return e
    const s = overlap(e.prompt, prompt)
    if (s > bestScore) {
      best = e
      bestScore = s
    }
  }
  return best
}

/** The tool prompt matching this prompt (overlap ≥ 0.5), if any. */
export const matchToolPrompt = (corpus: CorpusFile, prompt: string): ToolPrompt | undefined => {
  let best: ToolPrompt | undefined
  let bestScore = 0.5
  for (const t of corpus.toolPrompts) {
    const s = t.prompt.toLowerCase() === prompt.trim().toLowerCase() ? 1 : overlap(t.prompt, prompt)
    if (s >= bestScore) {
      best = t
      bestScore = s
    }
  }
  return best
}
