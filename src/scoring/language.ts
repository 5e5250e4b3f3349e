// Which language an answer is written in (franc-min's trigram profiles), for the one judgment a monolingual
// embedding model cannot make: an answer in another language than the round's. A question on a French story
// answered in French embeds far from the English answers (use-lite cosines ~0.35), and shares none of their
// words, yet it agrees with the other French answers. Pure.
import { francAll } from "franc-min"

/** Characters franc reads: its trigram profile settles within a few hundred, and the cost grows with length. */
const SAMPLE_CHARS = 400
/** Below this many characters franc cannot name a language ("und"). */
const MIN_CHARS = 20

/** Answers read to tell the round's language (in order): enough to see a majority, bounded in a 256-miner round. */
const MAJORITY_SAMPLE = 32

/** A sure call: the runner-up language scores at most this (franc's scores are relative to the best, 1). On the
 *  dev split the lines of a quoted French story have runners-up at 0.80–0.85; most short English questions that
 *  franc reads as French, Portuguese or Dutch have one at 0.87–1.0. Used for the prompt's lines, whose many short
 *  English instructions would otherwise add a language of chance. */
const SURE_RUNNER_UP = 0.86

/**
 * The ISO 639-3 code of the language `text` is written in, or null when too short or unclear (code, tables);
 * `sure`: null also when a second language scores nearly as well (short texts often read as several).
 */
export const languageOf = (text: string, sure = false): string | null => {
  const [best, second] = francAll(text.slice(0, SAMPLE_CHARS), { minLength: MIN_CHARS })
  if (best === undefined || best[0] === "und") return null
  return sure && second !== undefined && second[1] > SURE_RUNNER_UP ? null : best[0]
}

/** The languages a prompt is surely written in: the whole and each line (a story quoted under an English instruction). */
export const promptLanguages = (prompt: string): ReadonlySet<string> => {
  const found = new Set<string>()
  for (const part of [prompt, ...prompt.split(/\n+/)]) {
    const code = languageOf(part, true)
    if (code !== null) found.add(code)
  }
  return found
}

/**
 * For answer i: the other entities' answers written in i's language, when that is a language of the prompt but
 * not the one most entities answered in (empty otherwise). `texts[j]` is null for answers that do not take part;
 * `entity[j]` < 0 likewise. Languages are detected lazily, once per answer, only when a round asks; peers are
 * counted by best guess; the prompt's languages are sure calls.
 */
export const languagePeers = (
  prompt: string,
  texts: ReadonlyArray<string | null>,
  entity: ArrayLike<number>
): ((i: number) => ReadonlyArray<number>) => {
  const n = texts.length
  const codes = new Map<number, string | null>()
  const codeOf = (j: number): string | null => {
    if (!codes.has(j)) codes.set(j, texts[j] === null || entity[j]! < 0 ? null : languageOf(texts[j]!))
    return codes.get(j)!
  }
  let inPrompt: ReadonlySet<string> | undefined
  let widest: ReadonlySet<string> | undefined // the languages most entities answered in (ties: all of them)
  const majority = (): ReadonlySet<string> => {
    if (widest !== undefined) return widest
    const speakers = new Map<string, Set<number>>()
    for (let j = 0, read = 0; j < n && read < MAJORITY_SAMPLE; j++) {
      if (texts[j] === null || entity[j]! < 0) continue
      read++
      const code = codeOf(j)
      if (code !== null) speakers.set(code, (speakers.get(code) ?? new Set<number>()).add(entity[j]!))
    }
    const most = Math.max(0, ...[...speakers.values()].map((s) => s.size))
    widest = new Set([...speakers].filter(([, s]) => s.size === most).map(([code]) => code))
    return widest
  }
  return (i) => {
    const code = codeOf(i)
    if (code === null) return []
    inPrompt ??= promptLanguages(prompt)
    // answers by best guess (a French answer's runner-up can be Spanish at 0.87); the prompt's lines by sure calls
    if (!inPrompt.has(code) || majority().has(code)) return []
    const peers: Array<number> = []
    for (let j = 0; j < n; j++) if (j !== i && entity[j] !== entity[i] && codeOf(j) === code) peers.push(j)
    return peers
  }
}
