// Stage 2 of round scoring: copies and constant answers, by word sequences (novelty.ts), and the memory
// update after a round. Another hotkey's earlier answer to this prompt (memory), this hotkey's own text sent
// to a different prompt (constant), a faster answer of this round, replayed tool-call ids. Pure: the only
// state touched is the NoveltyMemory the caller passes.
import { detectCopiedParts, detectEditedCopies, holdsNearlyWhole } from "./align.ts"
import type { ScoringConfig } from "./config.ts"
import { entitiesOf } from "./entities.ts"
import type { AnswerFacts } from "./filters.ts"
import type { PromptEvidence } from "./lexical.ts"
import { commonGroundKind, detectRoundCopies, holds, nearDuplicates, type MemoryEntry, type NoveltyMemory } from "./novelty.ts"
import { mergeOutcome, type RoundOutcome, type Standing } from "./copyRecord.ts"
import type { FilterReason, MinerResponse } from "./types.ts"

/** Share of its 3-grams an answer must have beyond the prompt's to be "its own words" for the alignment test. */
const OWN_SHARE = 0.5

/** Enough word sequences of its own (not the prompt's) to tell a copy from a coincidence or a quoted text. */
const ownWords = (f: AnswerFacts, c: { minShingles: number; maxPromptShare: number }): boolean =>
  f.novelPrint.length >= c.minShingles && f.novelPrint.length > c.maxPromptShare * f.allPrint.length

export interface CopyMarks {
  /** Each answer's highest share of shingles held by another hotkey's earlier answer (null without a memory). */
  readonly memoryShare: Float64Array | null
  /** Whether copy evidence was found in each answer, applied or forgiven (what the copy record keeps). */
  readonly evidence: ReadonlyArray<boolean>
  /** What each answer's hotkey record said before this round. */
  readonly standings: ReadonlyArray<Standing>
}

/** Stage 2: copies and constant answers, written into `filtered`/`notes`. With a copy record in the config, a
 *  clean hotkey's short copy evidence is forgiven and a copier's answers get no common-ground excuse. */
export const markCopies = (
  responses: ReadonlyArray<MinerResponse>,
  facts: ReadonlyArray<AnswerFacts>,
  filtered: Array<FilterReason | null>,
  notes: Array<string | undefined>,
  config: ScoringConfig,
  pk: string,
  memory: NoveltyMemory | undefined,
  prompt: PromptEvidence
): CopyMarks => {
  const n = responses.length
  const lex = config.lexical
  const c = { share: lex.copyShare, minShingles: lex.copyMinShingles }
  const identity = entitiesOf(responses, facts.map((f) => f.kind !== "none"), config.entityWeighting).entity
  const text = (i: number) => filtered[i] === null && facts[i]!.kind === "text"
  const memoryShare = memory === undefined ? null : new Float64Array(n)
  const rc = config.novelty.copyRecord
  const standings = responses.map((r): Standing => (memory === undefined || rc === undefined ? "unknown" : memory.copyRecord.standing(r.hotkey, rc)))
  const suspect = (i: number) => standings[i] === "copier"
  const evidence = responses.map(() => false)
  // a copy finding: recorded, and filtered unless a clean hotkey sent it as a short text (models converge on those)
  const markCopy = (i: number, note: string, forgivable = true) => {
    evidence[i] = true
    const words = facts[i]!.lexical?.tokens.length ?? Infinity
    if (forgivable && rc !== undefined && standings[i] === "clean" && words <= rc.forgiveMaxWords) return
    filtered[i] = "copy"
    notes[i] = suspect(i) ? `${note} (a copier by its record)` : note
  }
  if (memory !== undefined && memoryShare !== null) {
    for (let i = 0; i < n; i++) {
      if (!text(i)) continue
      const f = facts[i]!
      const r = responses[i]!
      memoryShare[i] = memory.nearestShare(pk, r.hotkey, f.novelPrint)
      const constant = memory.constantOf(r.hotkey, pk, f.hash, f.novelPrint, c)
      if (constant !== null && f.novelPrint.length >= c.minShingles) {
        ;[filtered[i], notes[i]] = ["constant", `the same text as this hotkey's answer to a different prompt in round ${constant.roundId}`]
        continue
      }
      // too short to tell a copy from a coincidence, unless a copier sent it
      if (f.novelPrint.length < c.minShingles && !suspect(i)) continue
      const earlier = memory.holders(pk, r.hotkey, f.hash, f.novelPrint, c)
      if (earlier.length === 0) continue
      // common ground: other hotkeys (earlier or now) wrote near-duplicates of it
      const common = new Set(earlier.filter((e) => e.hash === f.hash || holds(f.allPrint, e.shingles, c)).map((e) => e.hotkey))
      for (let j = 0; j < n; j++) {
        const g = facts[j]!
        if (j !== i && text(j) && identity[j] !== identity[i] && (g.hash === f.hash || nearDuplicates(g.allPrint, g.novelPrint, f.allPrint, f.novelPrint, c))) {
          common.add(responses[j]!.hotkey)
        }
      }
      common.delete(r.hotkey)
      // as in the round: a sentence's holders are counted without the earliest answer it would copy
      const kind = commonGroundKind(f.novelPrint.length, f.allPrint.length, lex.commonMaxNovelShare)
      if (kind === "sentence") common.delete(earlier[0]!.hotkey)
      if (common.size < lex.commonEntities || kind === null || suspect(i)) {
        const e = earlier[0]!
        markCopy(i, `copy of an earlier answer: uid ${e.uid} (${e.hotkey}) in round ${e.roundId}`)
      }
    }
  }
  const runOf = (i: number) => facts[i]!.lexical?.run ?? ""
  // in-round: memory copies are marked first, so a replayed answer cannot make its (slower) original author a copy
  const roundCopies = detectRoundCopies(
    responses.flatMap((r, i) =>
      text(i)
        ? [{ index: i, uid: r.uid, entity: identity[i]!, latencyMs: r.latencyMs, hash: facts[i]!.hash, novel: facts[i]!.novelPrint, all: facts[i]!.allPrint, run: runOf(i), suspect: suspect(i) }]
        : []
    ),
    c,
    lex.commonEntities,
    lex.commonMaxNovelShare
  )
  for (const [i, found] of roundCopies) {
    markCopy(i, `copy of faster uid ${responses[found.of]!.uid}: ${found.match === "exact" ? "same text" : `${(found.match * 100).toFixed(0)}% of its word sequences`}`)
  }
  // each word's writers (entities): a word one entity alone wrote, and not the prompt, is its own detail or an edit
  const writers = new Map<string, Set<number>>()
  for (let i = 0; i < n; i++) {
    for (const w of facts[i]!.lexical?.tokens ?? []) {
      const set = writers.get(w) ?? new Set<number>()
      set.add(identity[i]!)
      writers.set(w, set)
    }
  }
  const stray = (i: number) => (facts[i]!.lexical?.tokens ?? []).some((w) => writers.get(w)!.size === 1 && !prompt.tokenSet.has(w))
  // the text answers still unfiltered, as the word-order tests below see them
  const wordCandidates = responses.flatMap((r, i) => {
    const lexical = facts[i]!.lexical
    return text(i) && lexical !== null
      ? [{ index: i, uid: r.uid, entity: identity[i]!, latencyMs: r.latencyMs, tokens: lexical.tokens, run: lexical.run, units: new Set(lexical.units.keys()), own: ownWords(facts[i]!, { minShingles: lex.copyMinShingles, maxPromptShare: OWN_SHARE }), stray: stray(i), suspect: suspect(i) }]
      : []
  })
  // short answers with a few words edited keep their word order, not their 3-grams
  const edited = detectEditedCopies(wordCandidates, { ...lex, addedShare: config.content.pyramidShare })
  for (const [i, found] of edited) {
    markCopy(i, `edited copy of faster uid ${responses[found.of]!.uid}: ${(found.share * 100).toFixed(0)}% of its words aligned, nothing added that another entity holds`)
  }
  // a run of an edited copy's words, sent no earlier than it, is copied text too (a prefix of an edited copy is
  // too short to align, and must not earn what the whole copy does not) — unless other entities answered with it
  // (nearly) whole: a one-word answer ("Bonsoir.") that an edited copy happens to contain is common ground
  if (edited.size > 0) {
    const late = (i: number) => responses[i]!.latencyMs ?? Infinity
    // the text answers that are no edited copies, as they stand before this pass marks any part (order-independent)
    const standing = wordCandidates.filter((x) => !edited.has(x.index))
    const wholeHolders = (x: (typeof standing)[number]) =>
      new Set(standing.filter((o) => o.index !== x.index && o.entity !== x.entity && holdsNearlyWhole(o, x)).map((o) => o.entity)).size
    for (const x of standing) {
      if (x.run.length <= 2) continue
      const of = [...edited.keys()].find((j) => identity[j] !== x.entity && late(x.index) >= late(j) && runOf(j).includes(x.run))
      if (of !== undefined && (wholeHolders(x) < lex.commonEntities || suspect(x.index))) {
        markCopy(x.index, `a part of uid ${responses[of]!.uid}'s edited copy, sent no earlier`)
      }
    }
  }
  // a run of a faster answer and nothing more (its first sentence, a quoted paragraph), that few others wrote too
  const parts = detectCopiedParts(
    wordCandidates.filter((x) => filtered[x.index] === null),
    { minWords: lex.alignMinWords, commonEntities: lex.commonEntities }
  )
  for (const [i, found] of parts) markCopy(i, `a part of faster uid ${responses[found.of]!.uid}'s answer, which few others wrote`)
  // Tool-call answers: the same call is expected from every honest miner, but a call id is minted per
  // completion — a faster miner's call ids returned verbatim are a replayed answer.
  const lat = (i: number) => responses[i]!.latencyMs ?? Infinity
  const seenIds = new Map<string, number>()
  const tools = responses
    .map((_, i) => i)
    .filter((i) => filtered[i] === null && facts[i]!.kind === "tool" && responses[i]!.toolCalls.every((t) => t.id !== undefined && t.id.length >= 4))
    .sort((a, b) => lat(a) - lat(b) || responses[a]!.uid - responses[b]!.uid)
  for (const i of tools) {
    const key = responses[i]!.toolCalls.map((t) => t.id).join(",")
    const first = seenIds.get(key)
    if (first === undefined) seenIds.set(key, i)
    else if (responses[first]!.uid !== responses[i]!.uid) markCopy(i, `copy of faster uid ${responses[first]!.uid}: same tool-call ids`, false)
  }
  return { memoryShare, evidence, standings }
}

/** Verdicts of an answer that missed its prompt (as opposed to no answer, a copy, or a constant text). */
const ASTRAY: ReadonlySet<FilterReason> = new Set(["echo", "low_quality", "no_content", "off_topic", "incomplete"])

/** Extends the memory: answers that were no copies by prompt (for later copy checks), every text by hotkey, and
 *  each answering hotkey's outcome in its copy record (copy evidence, paid, or filtered otherwise). */
export const remember = (
  memory: NoveltyMemory,
  pk: string,
  roundId: string,
  responses: ReadonlyArray<MinerResponse>,
  facts: ReadonlyArray<AnswerFacts>,
  original: ReadonlyArray<boolean>,
  evidence: ReadonlyArray<boolean>,
  filtered: ReadonlyArray<FilterReason | null>
) => {
  const outcomes = new Map<string, RoundOutcome>()
  for (let i = 0; i < responses.length; i++) {
    if (facts[i]!.kind === "none") continue // no answer says nothing about copying
    const f = filtered[i]!
    mergeOutcome(outcomes, responses[i]!.hotkey, evidence[i] ? "copy" : f === null ? "paid" : ASTRAY.has(f) ? "astray" : "other")
  }
  memory.copyRecord.record(outcomes)
  const entries: Array<MemoryEntry> = []
  const others: Array<MemoryEntry> = []
  for (let i = 0; i < responses.length; i++) {
    const f = facts[i]!
    if (f.kind !== "text" || f.filtered === "error") continue
    const r = responses[i]!
    const e = { hotkey: r.hotkey, uid: r.uid, roundId, hash: f.hash, shingles: f.novelPrint }
    if (original[i]) entries.push(e)
    else others.push(e)
  }
  memory.record(pk, entries)
  memory.recordHotkeys(pk, others)
}
