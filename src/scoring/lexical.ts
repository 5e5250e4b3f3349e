// Lexical evidence about answers: word tokens, content units (Porter-stemmed content words and their
// adjacent pairs) and word shingles. Copies, prompt echoes and the content-support pyramid are decided on
// this evidence rather than on cosines of pooled embeddings, which independent long answers share.
// Pure: no I/O.
import { stemmer } from "stemmer"
import { eng } from "stopword"

const WORD = /[\p{L}\p{N}]+/gu
const STOP: ReadonlySet<string> = new Set(eng)

/** Lowercased letter/digit runs, NFKC-normalized, in order. */
export const words = (text: string): Array<string> => text.normalize("NFKC").toLowerCase().match(WORD) ?? []

/** A content word's unit form: stopwords are dropped (null), others stemmed (digits kept as they are). */
const contentStem = (w: string): string | null => (STOP.has(w) ? null : /^\p{N}+$/u.test(w) ? w : stemmer(w))

/** A list item's number at the start of a line ("2." or "2)", or a bare number ending the text): layout, not
 * content — otherwise every numbered list would share "1", "2", "3" with every other. */
const LIST_NUMBER = /(^|\n)[ \t]*\d{1,3}(?:[.)](?=\s|$)|$)/g

/**
 * Content units of a text with the position of their first occurrence: each stemmed content word and each
 * pair of adjacent content words (stopwords skipped). A prefix of a text has a subset of the text's units,
 * at the same positions.
 */
export const contentUnits = (text: string): Map<string, number> => {
  const units = new Map<string, number>()
  let prev: string | null = null
  for (const w of words(text.replace(LIST_NUMBER, "$1"))) {
    const s = contentStem(w)
    if (s === null) continue
    if (!units.has(s)) units.set(s, units.size)
    if (prev !== null) {
      const pair = `${prev} ${s}`
      if (!units.has(pair)) units.set(pair, units.size)
    }
    prev = s
  }
  return units
}

/** Word k-shingles (k consecutive words joined by a space) of a token list. */
export const shinglesOf = (tokens: ReadonlyArray<string>, k: number): Set<string> => {
  const out = new Set<string>()
  for (let i = 0; i + k <= tokens.length; i++) out.add(tokens.slice(i, i + k).join(" "))
  return out
}

/** |a ∩ b|. */
export const intersectionSize = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  let k = 0
  for (const x of small) if (large.has(x)) k++
  return k
}

/** Share of `a` contained in `b` (0 for an empty `a`). */
export const containment = (a: ReadonlySet<string>, b: ReadonlySet<string>): number =>
  a.size === 0 ? 0 : intersectionSize(a, b) / a.size

/** FNV-1a 32-bit hash of a string (for compact shingle fingerprints kept across rounds). */
export const hash32 = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Sorted, distinct 32-bit fingerprints of a shingle set. */
export const fingerprint = (shingles: ReadonlySet<string>): Uint32Array => {
  const out = Uint32Array.from(shingles, hash32)
  out.sort()
  let k = 0
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[k - 1]) out[k++] = out[i]!
  return out.slice(0, k)
}

/** |a ∩ b| of two sorted fingerprint arrays. */
export const fingerprintOverlap = (a: Uint32Array, b: Uint32Array): number => {
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++
    else if (a[i]! > b[j]!) j++
    else {
      k++
      i++
      j++
    }
  }
  return k
}

/** What the prompt contributes: its tokens, shingles and content units (answers are judged beyond them). */
export interface PromptEvidence {
  readonly tokens: ReadonlyArray<string>
  readonly tokenSet: ReadonlySet<string>
  readonly shingles: ReadonlySet<string>
  readonly units: ReadonlySet<string>
}

export const promptEvidence = (prompt: string, k: number): PromptEvidence => {
  const tokens = words(prompt)
  return { tokens, tokenSet: new Set(tokens), shingles: shinglesOf(tokens, k), units: new Set(contentUnits(prompt).keys()) }
}

/** One answer's lexical evidence. `novel` = its shingles that are not the prompt's (in an answer made of the
 *  prompt's words, neither the ones of prompt words only). */
export interface AnswerEvidence {
  readonly tokens: ReadonlyArray<string>
  /** The tokens joined by single spaces with a space at both ends: a run of another answer's words is a substring. */
  readonly run: string
  readonly shingles: ReadonlySet<string>
  readonly novel: ReadonlySet<string>
  readonly units: ReadonlyMap<string, number>
}

/** An answer at least this share of whose words are the prompt's is made of the prompt (a table of its facts, an
 *  extraction): its word sequences of prompt words only are the prompt's too, however rearranged, so two models
 *  laying out the same facts do not look like copies. */
const PROMPT_MADE_SHARE = 0.8

export const answerEvidence = (text: string, prompt: PromptEvidence, k: number): AnswerEvidence => {
  const tokens = words(text)
  const shingles = shinglesOf(tokens, k)
  const novel = new Set<string>()
  const fromPrompt = tokens.filter((t) => prompt.tokenSet.has(t)).length >= PROMPT_MADE_SHARE * tokens.length
  for (const s of shingles) if (!prompt.shingles.has(s) && !(fromPrompt && s.split(" ").every((t) => prompt.tokenSet.has(t)))) novel.add(s)
  return { tokens, run: ` ${tokens.join(" ")} `, shingles, novel, units: contentUnits(text) }
}

export interface EchoThresholds {
  /** Share of the prompt's shingles the answer reproduces, and of the answer's shingles taken from the
   *  prompt, at or above which the answer is the prompt handed back. */
  readonly echoContainment: number
  /** Share of the answer's words that are prompt words, and of the prompt's distinct words it uses, at or above
   *  which (with few of the prompt's word sequences kept) the answer is the prompt's words reshuffled. */
  readonly jumbleWordShare: number
}

/**
 * Why an answer is the prompt given back (verbatim, or its words reshuffled), or null. Answers that pick a
 * few words out of the prompt ("Mike.") or rewrite a text the prompt quotes are not echoes: an echo must
 * reproduce most of the prompt, instruction included.
 */
export const echoOf = (answer: AnswerEvidence, prompt: PromptEvidence, th: EchoThresholds): string | null => {
  if (prompt.tokens.length === 0 || answer.tokens.length === 0) return null
  if (prompt.shingles.size > 0) {
    const kept = containment(prompt.shingles, answer.shingles)
    const taken = containment(answer.shingles, prompt.shingles)
    if (kept >= th.echoContainment && taken >= th.echoContainment) {
      return `reproduces ${(kept * 100).toFixed(0)}% of the prompt's word sequences`
    }
  }
  let fromPrompt = 0
  for (const w of answer.tokens) if (prompt.tokenSet.has(w)) fromPrompt++
  const share = fromPrompt / answer.tokens.length
  const used = intersectionSize(new Set(answer.tokens), prompt.tokenSet) / prompt.tokenSet.size
  // in whatever order: a short prompt's words reshuffled keep some of its 3-grams ("wears short shorts? Who")
  if (share >= th.jumbleWordShare && used >= th.jumbleWordShare && answer.tokens.length >= 0.5 * prompt.tokens.length) {
    return `${(share * 100).toFixed(0)}% of its words are the prompt's, using ${(used * 100).toFixed(0)}% of them`
  }
  return null
}
