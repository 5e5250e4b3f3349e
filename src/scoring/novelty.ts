// The answer memory kept across rounds (seed 002's answer cache, used here against copying), and in-round copy
// detection. Copies are established by lexical evidence: the share of an answer's own word shingles (those
// the prompt does not already hold) that another answer contains. Independent long answers share ideas and
// embeddings, but rarely their word sequences. Two sources of copies:
//   - this round: an answer contained in a FASTER answer of another miner (ties: the longer, then the lower uid);
//   - earlier rounds: an answer contained in one another hotkey gave earlier to the same prompt.
// Content that two or more other entities hold is common ground (a spelling correction, a short fact, a
// quoted passage), not a copy. A hotkey sending the same text to different prompts is a constant answer.
// Pure: no I/O, no clocks; the memory is an ordinary object the caller owns.
import { CopyRecord, DEFAULT_COPY_RECORD } from "./copyRecord.ts"
import { fingerprintOverlap } from "./lexical.ts"
import { evictOldest, pushRecent } from "./recent.ts"

/** Lowercase, NFKC, punctuation dropped, whitespace collapsed: what "the same text" means for L1. */
export const normalizeText = (text: string): string =>
  text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim()

/** cyrb53: a fast 53-bit string hash (not cryptographic), as a base-36 string. */
export const textHash = (s: string): string => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/** The memory key of a prompt (answers are only compared with earlier answers to the same prompt). */
export const promptKey = (prompt: string): string => textHash(normalizeText(prompt))

export interface MemoryEntry {
  readonly hotkey: string
  readonly uid: number
  readonly roundId: string
  /** textHash(normalizeText(text)). */
  readonly hash: string
  /** Sorted fingerprints of the answer's novel shingles (lexical.ts fingerprint). */
  readonly shingles: Uint32Array
}

/** When is one answer's content held by another: share and count of its novel shingles found there. */
export interface Containment {
  readonly share: number
  readonly minShingles: number
}

/** Whether `held` holds `of`'s content (`of` has enough shingles to judge, and most are in `held`). */
export const holds = (held: Uint32Array, of: Uint32Array, c: Containment): boolean => {
  if (of.length < c.minShingles) return false
  const k = fingerprintOverlap(held, of)
  return k >= c.minShingles && k >= c.share * of.length
}

/** Whether two answers hold each other's content (all shingles of one hold the novel ones of the other, both ways). */
export const nearDuplicates = (aAll: Uint32Array, aNovel: Uint32Array, bAll: Uint32Array, bNovel: Uint32Array, c: Containment): boolean =>
  holds(aAll, bNovel, c) && holds(bAll, aNovel, c)

export interface NoveltyMemoryOptions {
  /** Total answers remembered across prompts (default 8192). */
  readonly capacity?: number
  /** Answers remembered per prompt (default 64). */
  readonly perPrompt?: number
  /** Recent answers remembered per hotkey for constant-answer detection (default 8). */
  readonly perHotkey?: number
  /** Hotkeys remembered (least recently seen forgotten first; default 4096). */
  readonly hotkeys?: number
  /** Rounds of each hotkey's copy record (default 20). */
  readonly recordWindow?: number
}

export interface HotkeyEntry {
  readonly key: string
  readonly roundId: string
  readonly hash: string
  readonly shingles: Uint32Array
}

/**
 * A bounded in-memory record of earlier answers, bucketed by prompt (for copies of other hotkeys' answers) and by
 * hotkey (for one text sent to different prompts). Buckets are kept in least-recently-written order; past the
 * capacity the oldest lose their oldest entries first.
 */
export class NoveltyMemory {
  readonly capacity: number
  readonly perPrompt: number
  readonly perHotkey: number
  readonly hotkeyCapacity: number
  private readonly buckets = new Map<string, Array<MemoryEntry>>()
  private readonly byHotkey = new Map<string, Array<HotkeyEntry>>()
  private total = 0
  /** Each hotkey's recent round outcomes (copyRecord.ts). */
  readonly copyRecord: CopyRecord

  constructor(options: NoveltyMemoryOptions = {}) {
    this.capacity = Math.max(1, Math.floor(options.capacity ?? 8192))
    this.perPrompt = Math.max(1, Math.floor(options.perPrompt ?? 64))
    this.perHotkey = Math.max(1, Math.floor(options.perHotkey ?? 8))
    this.hotkeyCapacity = Math.max(1, Math.floor(options.hotkeys ?? 4096))
    this.copyRecord = new CopyRecord(Math.max(1, Math.floor(options.recordWindow ?? DEFAULT_COPY_RECORD.window)), this.hotkeyCapacity)
  }

  /** Entries currently remembered by prompt. */
  get size(): number {
    return this.total
  }

  /** Prompts currently remembered. */
  get prompts(): number {
    return this.buckets.size
  }

  /** Earlier answers to `key` by hotkeys other than `hotkey` with the same text or holding its content. */
  holders(key: string, hotkey: string, hash: string, shingles: Uint32Array, c: Containment): Array<MemoryEntry> {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return []
    return bucket.filter((e) => e.hotkey !== hotkey && (e.hash === hash || holds(e.shingles, shingles, c)))
  }

  /** Highest share of `shingles` held by one earlier answer of another hotkey to `key` (0 when none). */
  nearestShare(key: string, hotkey: string, shingles: Uint32Array): number {
    const bucket = this.buckets.get(key)
    if (bucket === undefined || shingles.length === 0) return 0
    let best = 0
    for (const e of bucket) if (e.hotkey !== hotkey) best = Math.max(best, fingerprintOverlap(e.shingles, shingles) / shingles.length)
    return best
  }

  /** An earlier answer of the same hotkey to a DIFFERENT prompt with the same text or content, if any. */
  constantOf(hotkey: string, key: string, hash: string, shingles: Uint32Array, c: Containment): { roundId: string } | null {
    const past = this.byHotkey.get(hotkey)
    if (past === undefined) return null
    for (const e of past) {
      if (e.key === key) continue
      if (e.hash === hash || nearDuplicates(e.shingles, e.shingles, shingles, shingles, c)) return { roundId: e.roundId }
    }
    return null
  }

  /** Remembers answers to `key` for copy checks and, by hotkey, for constant-answer checks (fingerprints are copied). */
  record(key: string, entries: ReadonlyArray<MemoryEntry>): void {
    if (entries.length === 0) return
    const bucket = this.buckets.get(key) ?? []
    this.buckets.delete(key) // re-insert: most recently written last
    this.buckets.set(key, bucket)
    for (const e of entries) {
      const shingles = Uint32Array.from(e.shingles)
      bucket.push({ ...e, shingles })
      this.total++
      this.rememberHotkey(key, { ...e, shingles })
    }
    while (bucket.length > this.perPrompt) {
      bucket.shift()
      this.total--
    }
    this.evictAnswers()
    this.evictHotkeys()
  }

  /** What the memory holds, oldest first (read-only views for memorySnapshot.ts). */
  contents(): { readonly prompts: ReadonlyMap<string, ReadonlyArray<MemoryEntry>>; readonly hotkeys: ReadonlyMap<string, ReadonlyArray<HotkeyEntry>> } {
    return { prompts: this.buckets, hotkeys: this.byHotkey }
  }

  /** Replaces the remembered answers (oldest first) within this memory's bounds; the copy record is left alone. */
  replace(prompts: Iterable<readonly [string, ReadonlyArray<MemoryEntry>]>, hotkeys: Iterable<readonly [string, ReadonlyArray<HotkeyEntry>]>): void {
    this.buckets.clear()
    this.byHotkey.clear()
    this.total = 0
    for (const [key, entries] of prompts) {
      const kept = entries.slice(-this.perPrompt)
      if (kept.length === 0) continue
      this.buckets.delete(key)
      this.buckets.set(key, kept)
      this.total += kept.length
    }
    for (const [hotkey, entries] of hotkeys) {
      const kept = entries.slice(-this.perHotkey)
      if (kept.length === 0) continue
      this.byHotkey.delete(hotkey)
      this.byHotkey.set(hotkey, kept)
    }
    this.evictAnswers()
    this.evictHotkeys()
  }

  private evictAnswers(): void {
    while (this.total > this.capacity) {
      const oldest = this.buckets.entries().next()
      if (oldest.done === true) break
      const [k, b] = oldest.value
      b.shift()
      this.total--
      if (b.length === 0) this.buckets.delete(k)
    }
  }

  /** Remembers answers by hotkey only (answers that must not count as originals: copies, filtered texts). */
  recordHotkeys(key: string, entries: ReadonlyArray<MemoryEntry>): void {
    for (const e of entries) this.rememberHotkey(key, { ...e, shingles: Uint32Array.from(e.shingles) })
    this.evictHotkeys()
  }

  private rememberHotkey(key: string, e: MemoryEntry): void {
    pushRecent(this.byHotkey, e.hotkey, { key, roundId: e.roundId, hash: e.hash, shingles: e.shingles }, this.perHotkey)
  }

  private evictHotkeys(): void {
    evictOldest(this.byHotkey, this.hotkeyCapacity)
  }

  clear(): void {
    this.buckets.clear()
    this.byHotkey.clear()
    this.total = 0
    this.copyRecord.clear()
  }
}

/** An answer's latency for ordering who was first: unknown or not finite is slowest. */
export const orderLatency = (x: { readonly latencyMs: number | null }): number =>
  x.latencyMs === null || !Number.isFinite(x.latencyMs) ? Infinity : x.latencyMs

/** A holder of common ground is at most this many times as long as the answer (the same text, not a longer one around it). */
const COMMON_LENGTH = 2

/** An answer of at most this many shingles (one sentence, ~22 words) can be common ground though its words are its
 *  own: independent models do answer a short question with the same sentence ("The given code is written in the C
 *  programming language."). */
const COMMON_SHORT_SHINGLES = 20

/**
 * Whether an answer (its novel and all shingle counts) can be common ground, in the round and against the memory
 * alike: "quoted" when most of its shingles are the prompt's (a corrected or quoted text), "sentence" when it is
 * one sentence of its own words — whose holders are counted without the earlier answer it would copy, so two
 * copiers of one sentence cannot vouch for each other — else null (a longer answer of its own making).
 */
export const commonGroundKind = (novel: number, all: number, commonMaxNovelShare: number): "quoted" | "sentence" | null =>
  novel <= commonMaxNovelShare * all ? "quoted" : all <= COMMON_SHORT_SHINGLES ? "sentence" : null

/** One answer taking part in in-round copy detection. */
export interface CopyCandidate {
  readonly index: number
  readonly uid: number
  /** Entity of the miner (answers of one entity never make each other copies, nor common ground). */
  readonly entity: number
  /** Latency in ms; null = unknown (treated as slowest). */
  readonly latencyMs: number | null
  /** Hash of the normalized text. */
  readonly hash: string
  /** Fingerprints of the answer's novel shingles, and of all its shingles. */
  readonly novel: Uint32Array
  readonly all: Uint32Array
  /** The answer's word tokens joined by single spaces, with a space at both ends (runs are substrings). */
  readonly run: string
  /** A copier by its record (copyRecord.ts): the same text at any length is a copy, and common ground no excuse. */
  readonly suspect?: boolean
}

export interface CopyFinding {
  /** Index of the earlier (faster) answer this one copies. */
  readonly of: number
  /** "exact" (same normalized text) or the share of its shingles found in the original. */
  readonly match: "exact" | number
}

/**
 * In-round copies: a candidate whose text equals, or whose novel shingles are held by, a faster candidate of
 * another uid copies the fastest such answer — unless its content is common ground: most of its word sequences
 * come from the prompt (a corrected or quoted text) and `commonEntities` or more other entities (faster or
 * slower) hold its novel shingles in a text of about its size that is not a run around it (the same corrections
 * made independently; a lead-in sentence that several longer answers begin with is no answer by itself). A longer
 * answer of its own making is never common ground: two copiers of one answer do not make it everyone's; a short one
 * (≤ COMMON_SHORT_SHINGLES) is, when as many others besides its original wrote it. A suspect (a copier by its
 * record) has no common ground, and its same text copies at any length. Order-independent.
 */
export const detectRoundCopies = (
  candidates: ReadonlyArray<CopyCandidate>,
  c: Containment,
  commonEntities: number,
  commonMaxNovelShare: number
): Map<number, CopyFinding> => {
  const lat = orderLatency
  // at equal latency the fuller answer is the original (a prefix sent at the same time copies it, not the reverse)
  const ordered = [...candidates].sort((a, b) => lat(a) - lat(b) || b.all.length - a.all.length || a.uid - b.uid)
  const found = new Map<number, CopyFinding>()
  for (let q = 1; q < ordered.length; q++) {
    const x = ordered[q]!
    const holderEntities = new Set<number>()
    const kind = commonGroundKind(x.novel.length, x.all.length, commonMaxNovelShare)
    const common = kind !== null
    let original: { readonly of: CopyCandidate; readonly match: "exact" | number } | null = null
    for (let p = 0; p < ordered.length; p++) {
      const o = ordered[p]!
      if (p === q || o.uid === x.uid || o.entity === x.entity) continue
      const exact = o.hash === x.hash && (x.novel.length >= c.minShingles || x.suspect === true)
      if (!exact && !holds(o.all, x.novel, c)) continue
      // common ground needs near-duplicates: a longer answer that merely contains this one (its first
      // sentence, say) is where it was taken from, not a sign that everyone writes it
      if (common && (exact || holds(x.all, o.novel, c) || (o.all.length <= COMMON_LENGTH * x.all.length && !o.run.includes(x.run)))) holderEntities.add(o.entity)
      if (p < q && original === null) original = { of: o, match: exact ? "exact" : fingerprintOverlap(o.all, x.novel) / x.novel.length }
    }
    if (original !== null && kind === "sentence") holderEntities.delete(original.of.entity)
    if (original !== null && (holderEntities.size < commonEntities || x.suspect === true)) found.set(x.index, { of: original.of.index, match: original.match })
  }
  return found
}
