// Each hotkey's record over its recent rounds: whether its answer held copy evidence (applied or forgiven), was
// paid, missed its prompt (off topic, no content, junk…), or was filtered for another reason. One round cannot tell
// two models writing the same short sentence from a copier; a record can. A hotkey with a clean record (enough paid
// rounds, no copy evidence) is forgiven short copy evidence — independent models converge on short answers now and
// then. A hotkey whose recent answers were mostly copies loses the exemptions honest convergence needs (common
// ground, added content); one whose answers mostly missed their prompts loses the "close in meaning" excuse. Pure.
import { evictOldest, pushRecent } from "./recent.ts"

export type RoundOutcome = "copy" | "astray" | "paid" | "other"

export type Standing = "clean" | "copier" | "astray" | "unknown"

export interface CopyRecordConfig {
  /** Rounds remembered per hotkey (the most recent ones). */
  readonly window: number
  /** Paid rounds, and no copy evidence, within the window that make a record clean. */
  readonly cleanRounds: number
  /** A clean hotkey's copy evidence is forgiven on text answers of at most this many words (longer copies are
   *  never independent work). */
  readonly forgiveMaxWords: number
  /** A hotkey with copy evidence in at least this share of its remembered rounds … */
  readonly copierShare: number
  /** … and at least this many remembered rounds is a copier. */
  readonly copierMinRounds: number
  /** A hotkey whose answers missed their prompt (off topic, no content, incomplete, junk, echo) in at least this
   *  share of its remembered rounds … */
  readonly astrayShare?: number
  /** … and at least this many is astray: its answers get no "close in meaning" excuse (absent = never). */
  readonly astrayMinRounds?: number
  /** An astray hotkey's answer is off topic below this share of the round's median coverage (absent: the
   *  content's offTopicCoverage, the bar of every answer far in meaning). */
  readonly astrayCoverage?: number
}

export const DEFAULT_COPY_RECORD: CopyRecordConfig = {
  window: 20,
  cleanRounds: 5,
  forgiveMaxWords: 80,
  copierShare: 0.5,
  copierMinRounds: 4,
  astrayShare: 0.5,
  astrayMinRounds: 8,
  astrayCoverage: 0.75
}

/** A hotkey's standing and its counts over the remembered rounds (what /miners shows). */
export interface RecordSummary {
  readonly standing: Standing
  readonly rounds: number
  readonly copies: number
  readonly astray: number
  readonly paid: number
}

/** A bounded record of round outcomes by hotkey (least recently seen hotkeys forgotten first). */
export class CopyRecord {
  private readonly byHotkey = new Map<string, Array<RoundOutcome>>()

  constructor(
    readonly window: number,
    readonly hotkeys: number
  ) {}

  /** Hotkeys with a record. */
  get size(): number {
    return this.byHotkey.size
  }

  /** What the hotkey's record says before this round. */
  standing(hotkey: string, c: CopyRecordConfig): Standing {
    const past = this.byHotkey.get(hotkey)
    if (past === undefined) return "unknown"
    const recent = past.slice(-c.window)
    const copies = recent.filter((o) => o === "copy").length
    if (recent.length >= c.copierMinRounds && copies >= c.copierShare * recent.length) return "copier"
    const astray = recent.filter((o) => o === "astray").length
    if (c.astrayShare !== undefined && c.astrayMinRounds !== undefined && recent.length >= c.astrayMinRounds && astray >= c.astrayShare * recent.length) return "astray"
    if (copies === 0 && recent.filter((o) => o === "paid").length >= c.cleanRounds) return "clean"
    return "unknown"
  }

  /** The hotkey's standing and what it rests on (null: no record). */
  summary(hotkey: string, c: CopyRecordConfig): RecordSummary | null {
    const past = this.byHotkey.get(hotkey)
    if (past === undefined) return null
    const recent = past.slice(-c.window)
    const count = (o: RoundOutcome) => recent.filter((x) => x === o).length
    return { standing: this.standing(hotkey, c), rounds: recent.length, copies: count("copy"), astray: count("astray"), paid: count("paid") }
  }

  /** Every hotkey's summary, least recently seen first. */
  summaries(c: CopyRecordConfig): Array<readonly [string, RecordSummary]> {
    return [...this.byHotkey.keys()].map((h) => [h, this.summary(h, c)!] as const)
  }

  /** Appends one round's outcome per hotkey (a hotkey answering twice in a round gets its worst outcome). */
  record(outcomes: ReadonlyMap<string, RoundOutcome>): void {
    for (const [hotkey, outcome] of outcomes) pushRecent(this.byHotkey, hotkey, outcome, this.window)
    evictOldest(this.byHotkey, this.hotkeys)
  }

  /** Each hotkey's outcomes, oldest first, hotkeys least recently seen first (for memorySnapshot.ts). */
  contents(): ReadonlyMap<string, ReadonlyArray<RoundOutcome>> {
    return this.byHotkey
  }

  /** Replaces the record (hotkeys least recently seen first) within its bounds. */
  replace(entries: Iterable<readonly [string, ReadonlyArray<RoundOutcome>]>): void {
    this.byHotkey.clear()
    for (const [hotkey, outcomes] of entries) {
      const kept = outcomes.slice(-this.window)
      if (kept.length === 0) continue
      this.byHotkey.delete(hotkey)
      this.byHotkey.set(hotkey, kept)
    }
    evictOldest(this.byHotkey, this.hotkeys)
  }

  clear(): void {
    this.byHotkey.clear()
  }
}

const RANK: Record<RoundOutcome, number> = { other: 0, paid: 1, astray: 2, copy: 3 }

/** Merges a response's outcome into its hotkey's outcome of the round: copy > astray > paid > other. */
export const mergeOutcome = (into: Map<string, RoundOutcome>, hotkey: string, outcome: RoundOutcome): void => {
  const had = into.get(hotkey)
  if (had === undefined || RANK[outcome] > RANK[had]) into.set(hotkey, outcome)
}
