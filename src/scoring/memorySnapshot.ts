// The novelty memory (earlier answers by prompt and by hotkey, and each hotkey's record across rounds) as plain
// data, so a restart does not make every hotkey a stranger: without it a copier's record, the constant-answer
// check and copies of earlier rounds' answers all start from nothing. Fingerprints are deduplicated (an answer
// remembered by prompt and by hotkey shares one) and concatenated in one Uint32Array; the rest is JSON-able.
// `compat` ties a snapshot to the settings that shaped it: another shingle size or other memory bounds make the
// fingerprints or the record mean something else, and such a snapshot is refused. Pure: no I/O.
import type { ScoringConfig } from "./config.ts"
import type { RoundOutcome } from "./copyRecord.ts"
import { type HotkeyEntry, type MemoryEntry, type NoveltyMemory, textHash } from "./novelty.ts"

/** Bumped when the layout or the fingerprint/hash functions change (old snapshots are then refused). */
export const MEMORY_SNAPSHOT_FORMAT = 1

/** One answer remembered by prompt: hotkey, uid, round id, text hash, fingerprint index. */
export type PromptEntryRow = readonly [string, number, string, string, number]
/** One answer remembered by hotkey: prompt key, round id, text hash, fingerprint index. */
export type HotkeyEntryRow = readonly [string, string, string, number]

export interface MemorySnapshot {
  readonly format: number
  readonly compat: string
  /** Prompt key → its answers, both oldest first. */
  readonly prompts: ReadonlyArray<readonly [string, ReadonlyArray<PromptEntryRow>]>
  /** Hotkey → its answers, least recently seen hotkeys first. */
  readonly hotkeys: ReadonlyArray<readonly [string, ReadonlyArray<HotkeyEntryRow>]>
  /** Hotkey → its round outcomes as letters (c copy, a astray, p paid, o other), oldest first. */
  readonly record: ReadonlyArray<readonly [string, string]>
  /** Length of each fingerprint in `prints`, in index order. */
  readonly printLengths: ReadonlyArray<number>
  readonly prints: Uint32Array
}

const LETTER: Record<RoundOutcome, string> = { copy: "c", astray: "a", paid: "p", other: "o" }
const OUTCOME: Record<string, RoundOutcome> = { c: "copy", a: "astray", p: "paid", o: "other" }

/** What a snapshot must agree on with the config it is restored under. */
export const memoryCompat = (config: ScoringConfig): string =>
  textHash(JSON.stringify({ format: MEMORY_SNAPSHOT_FORMAT, shingleSize: config.lexical.shingleSize, novelty: config.novelty }))

/** The memory as a snapshot (the memory is not changed; fingerprints are copied). */
export const snapshotMemory = (memory: NoveltyMemory, config: ScoringConfig): MemorySnapshot => {
  const index = new Map<Uint32Array, number>()
  const lengths: Array<number> = []
  const printOf = (p: Uint32Array): number => {
    let i = index.get(p)
    if (i === undefined) {
      i = lengths.length
      index.set(p, i)
      lengths.push(p.length)
    }
    return i
  }
  const { prompts, hotkeys } = memory.contents()
  const promptRows = [...prompts].map(([key, entries]) => [key, entries.map((e) => [e.hotkey, e.uid, e.roundId, e.hash, printOf(e.shingles)] as const)] as const)
  const hotkeyRows = [...hotkeys].map(([hotkey, entries]) => [hotkey, entries.map((e) => [e.key, e.roundId, e.hash, printOf(e.shingles)] as const)] as const)
  const record = [...memory.copyRecord.contents()].map(([hotkey, outcomes]) => [hotkey, outcomes.map((o) => LETTER[o]).join("")] as const)
  const prints = new Uint32Array(lengths.reduce((a, b) => a + b, 0))
  let at = 0
  for (const p of index.keys()) {
    prints.set(p, at)
    at += p.length
  }
  return { format: MEMORY_SNAPSHOT_FORMAT, compat: memoryCompat(config), prompts: promptRows, hotkeys: hotkeyRows, record, printLengths: lengths, prints }
}

export interface RestoredMemory {
  readonly answers: number
  readonly hotkeys: number
  readonly records: number
}

export type RestoreOutcome = { readonly ok: true; readonly restored: RestoredMemory } | { readonly ok: false; readonly reason: string }

const isIndex = (i: number, n: number): boolean => Number.isInteger(i) && i >= 0 && i < n

/** Why a snapshot cannot be restored under `config`, or null. */
const refusal = (s: MemorySnapshot, config: ScoringConfig): string | null => {
  if (s.format !== MEMORY_SNAPSHOT_FORMAT) return `snapshot format ${s.format}, this build reads ${MEMORY_SNAPSHOT_FORMAT}`
  if (s.compat !== memoryCompat(config)) return "the scoring config's shingle size or memory settings changed since the snapshot was saved"
  let total = 0
  for (const n of s.printLengths) {
    if (!Number.isInteger(n) || n < 0) return "a fingerprint length is not a count"
    total += n
  }
  if (total !== s.prints.length) return `fingerprints hold ${s.prints.length} values, their lengths add up to ${total}`
  const n = s.printLengths.length
  for (const [, rows] of s.prompts) for (const r of rows) if (!isIndex(r[4], n) || !Number.isInteger(r[1])) return "an answer points past the fingerprints"
  for (const [, rows] of s.hotkeys) for (const r of rows) if (!isIndex(r[3], n)) return "an answer points past the fingerprints"
  for (const [, letters] of s.record) if (!/^[capo]*$/.test(letters)) return "a record holds an unknown outcome"
  return null
}

/** Replaces the memory's contents with the snapshot's (within the memory's bounds), or says why it cannot. */
export const restoreMemory = (memory: NoveltyMemory, s: MemorySnapshot, config: ScoringConfig): RestoreOutcome => {
  const reason = refusal(s, config)
  if (reason !== null) return { ok: false, reason }
  const prints: Array<Uint32Array> = []
  let at = 0
  for (const n of s.printLengths) {
    prints.push(s.prints.slice(at, at + n))
    at += n
  }
  memory.replace(
    s.prompts.map(([key, rows]) => [key, rows.map((r): MemoryEntry => ({ hotkey: r[0], uid: r[1], roundId: r[2], hash: r[3], shingles: prints[r[4]]! }))] as const),
    s.hotkeys.map(([hotkey, rows]) => [hotkey, rows.map((r): HotkeyEntry => ({ key: r[0], roundId: r[1], hash: r[2], shingles: prints[r[3]]! }))] as const)
  )
  memory.copyRecord.replace(s.record.map(([hotkey, letters]) => [hotkey, [...letters].map((l) => OUTCOME[l]!)] as const))
  return { ok: true, restored: { answers: memory.size, hotkeys: memory.contents().hotkeys.size, records: memory.copyRecord.size } }
}
