// Copy detection and the semantic answer cache (seed 002's two-level cache, used here against copying).
// Pure: no I/O, no clocks; the memory is an ordinary in-process object the caller owns.
//
// L1 = exact match on a hash of the normalized text; L2 = cosine ≥ copyCosine between answer embeddings.
// Two sources of copies:
//   - this round: an answer matching a FASTER answer of another miner (ties: the lower uid is the original);
//   - earlier rounds: an answer matching an answer another hotkey gave earlier to the same prompt.
// The original (earliest, fastest) keeps its credit. Texts shorter than copyMinChars are never copies:
// short factual answers ("Paris.") coincide honestly.

import { dotRows } from "./similarity.ts"

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
  /** L2-normalized embedding (a private copy). */
  readonly vec: Float32Array
}

export interface MemoryHit {
  /** An entry of another hotkey with the same normalized text (L1), if any. */
  readonly exact: MemoryEntry | null
  /** The other-hotkey entry with the highest cosine (L2), if any. */
  readonly nearest: MemoryEntry | null
  /** Its cosine (−1 when there is none). */
  readonly cosine: number
}

export interface NoveltyMemoryOptions {
  /** Total entries across prompts (default 8192). */
  readonly capacity?: number
  /** Entries per prompt (default 64). */
  readonly perPrompt?: number
}

/**
 * A bounded in-memory cache of earlier answers, bucketed by prompt. Buckets are kept in least-recently-written
 * order; when the total exceeds `capacity` the oldest buckets lose their oldest entries first.
 */
export class NoveltyMemory {
  readonly capacity: number
  readonly perPrompt: number
  private readonly buckets = new Map<string, Array<MemoryEntry>>()
  private total = 0

  constructor(options: NoveltyMemoryOptions = {}) {
    this.capacity = Math.max(1, Math.floor(options.capacity ?? 8192))
    this.perPrompt = Math.max(1, Math.floor(options.perPrompt ?? 64))
  }

  /** Entries currently remembered. */
  get size(): number {
    return this.total
  }

  /** Prompts currently remembered. */
  get prompts(): number {
    return this.buckets.size
  }

  /** Earlier answers to `key` by hotkeys other than `hotkey` that match `hash` (L1) or are nearest to `vec` (L2). */
  lookup(key: string, hotkey: string, hash: string, vec: Float32Array | null): MemoryHit {
    const bucket = this.buckets.get(key)
    let exact: MemoryEntry | null = null
    let nearest: MemoryEntry | null = null
    let cosine = -1
    if (bucket === undefined) return { exact, nearest, cosine }
    for (const e of bucket) {
      if (e.hotkey === hotkey) continue
      if (exact === null && e.hash === hash) exact = e
      if (vec !== null && e.vec.length === vec.length) {
        const c = dotRows(e.vec, 0, vec, 0, vec.length)
        if (c > cosine) {
          cosine = c
          nearest = e
        }
      }
    }
    return { exact, nearest, cosine }
  }

  /** Remembers answers to `key` (vectors are copied). */
  record(key: string, entries: ReadonlyArray<MemoryEntry>): void {
    if (entries.length === 0) return
    const bucket = this.buckets.get(key) ?? []
    this.buckets.delete(key) // re-insert: most recently written last
    this.buckets.set(key, bucket)
    for (const e of entries) {
      bucket.push({ ...e, vec: Float32Array.from(e.vec) })
      this.total++
    }
    while (bucket.length > this.perPrompt) {
      bucket.shift()
      this.total--
    }
    while (this.total > this.capacity) {
      const oldest = this.buckets.entries().next()
      if (oldest.done === true) break
      const [k, b] = oldest.value
      b.shift()
      this.total--
      if (b.length === 0) this.buckets.delete(k)
    }
  }

  clear(): void {
    this.buckets.clear()
    this.total = 0
  }
}

/** One answer taking part in in-round copy detection. */
export interface CopyCandidate {
  readonly index: number
  readonly uid: number
  /** Latency in ms; null = unknown (treated as slowest). */
  readonly latencyMs: number | null
  /** Hash of the normalized text, or null when the text is too short to be called a copy. */
  readonly hash: string | null
}

export interface CopyFinding {
  /** Index of the earlier (faster) answer this one copies. */
  readonly of: number
  /** "exact" (L1) or the cosine (L2). */
  readonly match: "exact" | number
}

/**
 * In-round copies: each candidate is compared with every faster candidate (latency, then uid); a match by hash
 * or by `similarity(i, j) ≥ copyCosine` makes it a copy of the first (fastest) such answer. Order-independent.
 */
export const detectRoundCopies = (
  candidates: ReadonlyArray<CopyCandidate>,
  similarity: (i: number, j: number) => number,
  copyCosine: number
): Map<number, CopyFinding> => {
  const lat = (c: CopyCandidate) => (c.latencyMs === null || !Number.isFinite(c.latencyMs) ? Infinity : c.latencyMs)
  const ordered = candidates.filter((c) => c.hash !== null).sort((a, b) => lat(a) - lat(b) || a.uid - b.uid)
  const found = new Map<number, CopyFinding>()
  for (let q = 1; q < ordered.length; q++) {
    const c = ordered[q]!
    for (let p = 0; p < q; p++) {
      const o = ordered[p]!
      if (o.uid === c.uid) continue
      if (o.hash === c.hash) {
        found.set(c.index, { of: o.index, match: "exact" })
        break
      }
      const s = similarity(o.index, c.index)
      if (s >= copyCosine) {
        found.set(c.index, { of: o.index, match: s })
        break
      }
    }
  }
  return found
}
