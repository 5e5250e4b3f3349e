// The main-thread side of the embedding pipeline, pure and synchronous: an exact-text LRU cache of
// normalized rows, de-duplication of a call's texts, splitting the texts left to embed into length
// buckets (one per worker, balanced by characters) and choosing pool size × intra-op threads from the
// machine. The Embedder (Embedder.ts) wires these to the worker pool.
import { createHash } from "node:crypto"

/** The cache's key for a text: its SHA-256 (64 hex characters instead of the 1–2k of an answer, which the cache
 *  would otherwise keep alive for as long as the row; a collision is as unlikely as in any content address). */
export const textKey = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex")

/**
 * An LRU map text → normalized embedding row (exact text, keyed by its digest; a Map keeps insertion order).
 * The rows live in one slab of `capacity × dim` floats reserved (and touched) when the cache is made, so the
 * cache's memory is what it is from the start instead of growing with every new text until it is full; an
 * evicted row's slot is reused. A row read is a copy: a later `set` may reuse the slot.
 */
export class TextCache {
  private readonly slots = new Map<string, number>()
  private readonly slab: Float32Array
  private used = 0
  hits = 0
  misses = 0
  constructor(
    readonly capacity: number,
    readonly dim: number
  ) {
    const cap = Math.max(0, Math.floor(capacity))
    this.slab = new Float32Array(cap * Math.max(0, Math.floor(dim)))
    // write every page now: the reservation shows in RSS at start-up, not as growth under load
    this.slab.fill(0)
  }

  get size(): number {
    return this.slots.size
  }

  /** Bytes the slab holds (capacity × dim × 4). */
  get reservedBytes(): number {
    return this.slab.byteLength
  }

  get(text: string): Float32Array | undefined {
    const key = textKey(text)
    const slot = this.slots.get(key)
    if (slot === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    // refresh: move to the newest end
    this.slots.delete(key)
    this.slots.set(key, slot)
    return this.slab.slice(slot * this.dim, (slot + 1) * this.dim)
  }

  set(text: string, row: Float32Array): void {
    if (this.capacity <= 0) return
    if (row.length !== this.dim) throw new RangeError(`TextCache row has ${row.length} floats, the cache holds rows of ${this.dim}`)
    const key = textKey(text)
    let slot = this.slots.get(key)
    if (slot !== undefined) this.slots.delete(key)
    else if (this.used < this.capacity) slot = this.used++
    else {
      const oldest = this.slots.entries().next()
      if (oldest.done === true) return
      this.slots.delete(oldest.value[0])
      slot = oldest.value[1]
    }
    this.slab.set(row, slot * this.dim)
    this.slots.set(key, slot)
  }
}

/** What one call has to send to the workers: the distinct non-empty texts the cache did not have. */
export interface EmbedPlan {
  /** Distinct texts to embed, in first-seen order. */
  readonly todo: ReadonlyArray<string>
  /** Rows already known (from the cache), by text. */
  readonly known: ReadonlyMap<string, Float32Array>
  /** How many of the call's texts were empty (zero rows), repeated within the call, or cache hits. */
  readonly empty: number
  readonly repeated: number
  readonly cached: number
}

export const planEmbed = (texts: ReadonlyArray<string>, cache: TextCache): EmbedPlan => {
  const seen = new Set<string>()
  const known = new Map<string, Float32Array>()
  const todo: Array<string> = []
  let empty = 0
  let repeated = 0
  let cached = 0
  for (const t of texts) {
    if (t.trim().length === 0) {
      empty++
      continue
    }
    if (seen.has(t)) {
      repeated++
      continue
    }
    seen.add(t)
    const row = cache.get(t)
    if (row === undefined) todo.push(t)
    else {
      known.set(t, row)
      cached++
    }
  }
  return { todo, known, empty, repeated, cached }
}

/**
 * Splits texts into at most `parts` buckets of neighbouring lengths (sorted by characters, cut where the
 * running character count, each text's capped at `maxChars`, crosses an equal share), so each worker pads its
 * batches to similar lengths and the workers finish at about the same time. Buckets smaller than `minBucket`
 * texts are merged.
 */
export const lengthBuckets = (
  texts: ReadonlyArray<string>,
  parts: number,
  minBucket: number = 8,
  maxChars: number = Infinity
): Array<Array<string>> => {
  const sorted = [...texts].sort((a, b) => a.length - b.length)
  const k = Math.max(1, Math.min(Math.floor(parts), Math.floor(sorted.length / Math.max(1, minBucket))))
  if (k <= 1) return sorted.length === 0 ? [] : [sorted]
  // a text embedded in at most maxWindows windows costs no more than maxChars, however long it is
  const cost = (t: string) => Math.min(t.length, maxChars) + 1
  const total = sorted.reduce((s, t) => s + cost(t), 0)
  const buckets: Array<Array<string>> = [[]]
  let acc = 0
  for (const t of sorted) {
    const current = buckets[buckets.length - 1]!
    if (buckets.length < k && acc >= (total * buckets.length) / k && current.length >= minBucket) buckets.push([t])
    else current.push(t)
    acc += cost(t)
  }
  const last = buckets[buckets.length - 1]!
  if (buckets.length > 1 && last.length < minBucket) buckets[buckets.length - 2]!.push(...buckets.pop()!)
  return buckets
}

/** Copies each text's row (cached or fresh) into one n × dim matrix; empty texts stay zero rows. */
export const assembleRows = (
  texts: ReadonlyArray<string>,
  rows: ReadonlyMap<string, Float32Array>,
  dim: number
): Float32Array<ArrayBuffer> => {
  const out = new Float32Array(new ArrayBuffer(texts.length * dim * 4))
  texts.forEach((t, i) => {
    const row = rows.get(t)
    if (row !== undefined) out.set(row, i * dim)
  })
  return out
}

export interface Parallelism {
  readonly poolSize: number
  readonly intraOpThreads: number
}

/**
 * Workers × onnxruntime intra-op threads from the core count: one single-threaded session per core by
 * default (independent sessions scale better than intra-op threads, which spin on a busy machine); a
 * smaller pool gets the remaining cores as intra-op threads.
 */
export const chooseParallelism = (cores: number, poolSize?: number, intraOpThreads?: number): Parallelism => {
  const c = Math.max(1, Math.floor(cores))
  const pool = Math.max(1, Math.floor(poolSize ?? c))
  const intra = Math.max(1, Math.floor(intraOpThreads ?? Math.max(1, Math.floor(c / pool))))
  return { poolSize: pool, intraOpThreads: intra }
}
