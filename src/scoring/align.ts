// Edit-tolerant copies (stage 2, after the shingle test): word alignment between short answers. Three word
// edits break a third of a short answer's word 3-grams, so shingle containment misses an edited copy of a
// one-line answer; the longest common word subsequence does not. Independent models do write near-identical
// short answers, so alignment alone does not make a copy: the later answer must also add nothing the round
// agrees on (its content units beyond the earlier answer's are noise, not content others hold), and it must
// not be common ground (aligned with two or more other entities). An answer made of the prompt's words is aligned
// too when it holds a word no one else wrote (what an edit leaves), at a stricter 0.9. A copier by its record
// (copyRecord.ts) gets none of these excuses. Pure: no I/O.
import { orderLatency } from "./novelty.ts"

/** Length of the longest common subsequence of two token lists: O(|a|·|b|) time, O(|b|) memory. */
export const lcsLength = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  if (a.length === 0 || b.length === 0) return 0
  const ids = new Map<string, number>()
  const id = (w: string) => {
    let k = ids.get(w)
    if (k === undefined) ids.set(w, (k = ids.size))
    return k
  }
  const bs = Int32Array.from(b, id)
  let prev = new Int32Array(b.length + 1)
  let cur = new Int32Array(b.length + 1)
  for (const w of a) {
    const x = id(w)
    for (let j = 1; j <= bs.length; j++) cur[j] = bs[j - 1] === x ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!)
    ;[prev, cur] = [cur, prev]
  }
  return prev[bs.length]!
}

/** 2·LCS / (|a| + |b|): 1 for the same word sequence, ≈ 1 − e/|a| for e word edits of a. */
export const alignment = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number =>
  a.length + b.length === 0 ? 0 : (2 * lcsLength(a, b)) / (a.length + b.length)

/** Entities with short answers of their own words a round needs before alignment can tell a copy from common ground. */
const MIN_ALIGN_VOICES = 4
/** Alignment at or above which an answer made of the prompt's words, holding a word no one else wrote, is an edited
 *  copy, when the config does not say: independent restatements of the prompt align this closely only word for word. */
const PROMPT_MADE_ALIGN = 0.9

export interface AlignCandidate {
  readonly index: number
  readonly uid: number
  readonly entity: number
  readonly latencyMs: number | null
  readonly tokens: ReadonlyArray<string>
  readonly units: ReadonlySet<string>
  /** Whether the answer is mostly its own words (enough novel 3-grams, not mostly the prompt's): only those can be
   *  told from a coincidence or a quoted text. */
  readonly own: boolean
  /** Whether it holds a word that neither the prompt nor any other entity's answer holds: what word edits leave. */
  readonly stray: boolean
  /** A copier by its record (copyRecord.ts): aligned whatever its words, with no common-ground or added-content excuse. */
  readonly suspect?: boolean
}

export interface AlignConfig {
  /** Word alignment (2·LCS over both lengths) at or above which a later answer may be an edited copy. */
  readonly alignShare: number
  /** Only answers of at most this many words are aligned (longer edited copies keep most 3-grams). */
  readonly alignMaxWords: number
  /** … and of at least this many (shorter ones coincide honestly). */
  readonly alignMinWords: number
  /** The alignment an answer made of the prompt's words, holding a word no one else wrote, needs (≥ alignShare). */
  readonly promptMadeAlignShare?: number | undefined
  /** Answers aligned with this many other miners (of other entities) are common ground (a short answer everyone
   *  gives), not copies. */
  readonly commonEntities: number
  /** A unit the later answer adds is content when at least this share of the other entities (and 2) hold it. */
  readonly addedShare: number
}

export interface AlignFinding {
  readonly of: number
  readonly share: number
}

/**
 * Edited copies among short answers of their own words: x copies a faster answer o of another entity when
 * their words align (≥ alignShare), none of x's content units missing from o is held by addedShare of the other
 * miners (at least 2, neither x's entity nor o), and fewer than commonEntities miners of other entities (faster
 * or slower) align with x. Ordered like detectRoundCopies
 * (faster first; at equal latency the longer, then the lower uid). Order-independent.
 */
export const detectEditedCopies = (candidates: ReadonlyArray<AlignCandidate>, config: AlignConfig): Map<number, AlignFinding> => {
  const lat = orderLatency
  const ordered = [...candidates].sort((a, b) => lat(a) - lat(b) || b.tokens.length - a.tokens.length || a.uid - b.uid)
  const found = new Map<number, AlignFinding>()
  const short = (x: AlignCandidate) => x.tokens.length >= config.alignMinWords && x.tokens.length <= config.alignMaxWords
  const counts = new Map<number, Map<string, number>>()
  const countsOf = (x: AlignCandidate) => {
    let c = counts.get(x.index)
    if (c === undefined) {
      c = new Map<string, number>()
      for (const w of x.tokens) c.set(w, (c.get(w) ?? 0) + 1)
      counts.set(x.index, c)
    }
    return c
  }
  const aligned = (x: AlignCandidate, o: AlignCandidate): number => {
    // cheap bounds first: the LCS is at most the shorter length, and at most the shared word multiset
    const n = x.tokens.length + o.tokens.length
    if (!short(o) || (2 * Math.min(x.tokens.length, o.tokens.length)) / n < config.alignShare) return 0
    const cx = countsOf(x)
    const co = countsOf(o)
    let shared = 0
    for (const [w, k] of cx) shared += Math.min(k, co.get(w) ?? 0)
    if ((2 * shared) / n < config.alignShare) return 0
    return alignment(x.tokens, o.tokens)
  }
  // an added unit is content when it belongs to what the round agrees on (held by a pyramid share of the others).
  // Holders are counted by miner, x's own entity excluded: joining other miners into one entity must not turn a
  // third party's answer into a copy (that would pay the farm for merging)
  const need = Math.max(2, config.addedShare * (candidates.length - 1))
  const holdersOf = (u: string, x: AlignCandidate, o: AlignCandidate): number =>
    candidates.filter((t) => t.entity !== x.entity && t.index !== o.index && t.units.has(u)).length
  // what independent models share is only known from enough of them: with few short answers of their own words
  // (two models writing the same line) alignment says nothing
  const voices = new Set(candidates.filter((t) => t.own && short(t)).map((t) => t.entity)).size >= MIN_ALIGN_VOICES
  for (let q = 1; q < ordered.length; q++) {
    const x = ordered[q]!
    const suspect = x.suspect === true
    if (!(voices || suspect) || !(x.own || x.stray || suspect) || !short(x)) continue
    const threshold = x.own || suspect ? config.alignShare : Math.max(config.alignShare, config.promptMadeAlignShare ?? PROMPT_MADE_ALIGN)
    let original: AlignFinding | null = null
    const holders = new Set<number>()
    for (let p = 0; p < ordered.length; p++) {
      const o = ordered[p]!
      if (p === q || o.entity === x.entity || o.uid === x.uid) continue
      const share = aligned(x, o)
      if (share < threshold) continue
      holders.add(o.index)
      if (p > q || original !== null) continue
      const added = [...x.units].filter((u) => !o.units.has(u))
      const supported = added.some((u) => holdersOf(u, x, o) >= need)
      if (!supported || suspect) original = { of: o.index, share }
    }
    if (original !== null && (holders.size < config.commonEntities || suspect)) found.set(x.index, original)
  }
  return found
}

/** A holder of a part counts as common ground only when the part is nearly its whole answer (at most this many
 *  times the part's words): a sentence that longer answers begin with is what a truncation copies, not evidence
 *  that independent models answer with that sentence alone. */
export const WHOLE_ANSWER_RATIO = 2

type Words = { readonly tokens: ReadonlyArray<string>; readonly run: string }
/** Whether `o` is short enough for a run of x in it to be (nearly) o's whole answer. */
const nearlyWholeLength = (o: Words, x: Words): boolean => o.tokens.length <= WHOLE_ANSWER_RATIO * x.tokens.length

/** Whether `o` holds the run of `x` as (nearly) its whole answer. */
export const holdsNearlyWhole = (o: Words, x: Words): boolean => nearlyWholeLength(o, x) && o.run.includes(x.run)

export interface PartCandidate {
  readonly index: number
  readonly uid: number
  readonly entity: number
  readonly latencyMs: number | null
  readonly tokens: ReadonlyArray<string>
  /** The tokens joined by single spaces with a space at both ends (AnswerEvidence.run). */
  readonly run: string
  /** A copier by its record: a part of any length, with no common-ground excuse. */
  readonly suspect?: boolean
}

/**
 * Copied parts: x (at least `minWords` words) is a run of a longer answer o of another entity sent no later
 * than x (a truncation: its first sentence, a paragraph) — unless it is common ground, held as (nearly) their
 * whole answer by `commonEntities` or more other entities, faster or slower. Catches parts that the shingle test
 * cannot: quoted text (no novel shingles) and short parts. Independent models rarely write a 6-word run of
 * one other answer and nothing more. Order-independent; x's earliest-sent source is reported.
 */
export const detectCopiedParts = (
  candidates: ReadonlyArray<PartCandidate>,
  config: { readonly minWords: number; readonly commonEntities: number }
): Map<number, { readonly of: number }> => {
  const lat = orderLatency
  const found = new Map<number, { readonly of: number }>()
  candidates.forEach((x, q) => {
    const suspect = x.suspect === true
    if (x.tokens.length < (suspect ? 1 : config.minWords)) return
    const holders = new Set<number>()
    let source: PartCandidate | null = null
    candidates.forEach((o, p) => {
      if (p === q || o.entity === x.entity || o.uid === x.uid || !o.run.includes(x.run)) return
      if (nearlyWholeLength(o, x)) holders.add(o.entity) // o holds x's run (checked above)
      const earlier = source === null || lat(o) < lat(source) || (lat(o) === lat(source) && o.uid < source.uid)
      if (o.tokens.length > x.tokens.length && lat(o) <= lat(x) && earlier) source = o
    })
    if (source !== null && holders.size < config.commonEntities) found.set(x.index, { of: (source as PartCandidate).index })
  })
  return found
}
