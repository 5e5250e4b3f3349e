// The scoring config as plain data: what the versioned file config/scoring.v2.json decodes into (v1 files are
// upgraded on load, src/domain/ScoringConfig.ts)
// (src/domain/ScoringConfig.ts holds the Schema). Pure: no Effect, no I/O.
//
// Weights: `axes` is the default weight map (axis name → weight ≥ 0); a task type either inherits it or gives
// its own full map (`axes` on the task type REPLACES the default map, so the seed-003 table holds literally:
// an axis a task type omits weighs 0). Weights are renormalized over the axes that apply to a round, so only
// their ratios matter. Cosine thresholds live in the per-model calibration.
import type { CopyRecordConfig } from "./copyRecord.ts"
import type { PerformanceAggregation } from "./performance.ts"
import type { SelectionPolicy } from "./selection.ts"
import type { SupportConfig } from "./support.ts"

export interface TaskTypeConfig {
  /** Seed 003 "optimal processing time": a latency at or below it scores the top speed tier. */
  readonly optimalMs: number
  /** Full weight map of this task type; absent = the default `axes`. */
  readonly axes?: Readonly<Record<string, number>>
}

export interface SpeedTier {
  /** Upper bound of the tier as a multiple of the task's optimalMs (inclusive). */
  readonly upTo: number
  readonly score: number
}

/** Cosine thresholds of one embedding model (they move with the model: use-lite's cosines are not MiniLM's). */
export interface Calibration {
  /** Average-linkage cut on the distance 1 − cos for the reported consensus cluster (sklearn semantics: merge
   *  iff < t). It no longer filters anyone: agreement is judged on content support. */
  readonly consensusDistance: number
  /** cos(prompt, answer) at or below this → relevance axis 0 … */
  readonly relevanceFloor: number
  /** … and at or above this → 1 (linear in between). */
  readonly relevanceFull: number
  /** cos(reference, answer) at or below this → accuracy 0 (linear up to accuracyFull). */
  readonly accuracyFloor: number
  readonly accuracyFull: number
  /** Mean cosine to the other entities' answers below which an answer with little content support is off topic. */
  readonly offTopicCosine: number
  /** An answer with no peer (and no reference) below this cos(prompt) is off topic. */
  readonly aloneRelevanceFloor: number
  /** Mean cosine below which an answer whose word pairs nobody shares is word salad. */
  readonly wordSaladCosine: number
  /** An answer whose mean cosine to the others is at least this share of the round's median is never no_content
   *  or off_topic (creative and terse answers share meaning, not words; junk and other prompts' answers do not). */
  readonly typicalAgreementShare: number
  /** … and at least this mean cosine (a round where nothing agrees has no typical answer). */
  readonly typicalAgreementFloor: number
}

export interface Thresholds {
  /** Distinct entities the dominant cluster needs to count as a consensus (2: one entity alone is no consensus). */
  readonly minConsensusEntities: number
  /** Text-quality heuristic below this → filtered "low_quality" (the reference uses 0.35). */
  readonly qualityFloor: number
  /** Answers with fewer non-space characters (and no tool calls) → filtered "low_quality". */
  readonly minAnswerChars: number
}

/** Lexical evidence: copies, echoes (src/scoring/lexical.ts, novelty.ts). */
export interface LexicalConfig {
  /** Words per shingle. */
  readonly shingleSize: number
  /** An answer is a copy when this share of its novel shingles (not the prompt's) is in an earlier answer … */
  readonly copyShare: number
  /** … and at least this many of them (shorter answers coincide honestly and are never copies). */
  readonly copyMinShingles: number
  /** Near-duplicates from this many other entities make an answer common ground, not a copy … */
  readonly commonEntities: number
  /** … when at most this share of its word sequences is its own (not the prompt's). */
  readonly commonMaxNovelShare: number
  /** Edited copies of short answers (align.ts): word alignment with a faster answer at or above this … */
  readonly alignShare: number
  /** … for answers of alignMinWords to alignMaxWords words, that add no content unit a third entity holds. */
  readonly alignMinWords: number
  readonly alignMaxWords: number
  /** An answer made of the prompt's words, holding a word no one else wrote, is aligned at this stricter share (0.9 when absent). */
  readonly promptMadeAlignShare?: number
  /** Echo: share of the prompt's shingles reproduced and of the answer's taken from the prompt. */
  readonly echoContainment: number
  /** Jumble: share of the answer's words from the prompt and of the prompt's words used. */
  readonly jumbleWordShare: number
}

/** Content support (src/scoring/support.ts) and the filters built on it. */
export interface ContentConfig extends SupportConfig {
  /** Coverage below this share of the round's median coverage → "incomplete". */
  readonly incompleteShare: number
  /** Off topic: mean cosine to the others below the calibration's offTopicCosine and coverage below this share of the median. */
  readonly offTopicCoverage: number
  /** Word salad: the share of its word pairs others hold is below this share of the round's median (and its mean
   *  cosine to the others is below the calibration's wordSaladCosine). */
  readonly wordSaladPairShare: number
  /** … in rounds whose median answer shares at least this share of its pairs (paraphrases share few). */
  readonly wordSaladMinMedian: number
  /** Below this share of the median, an answer is word salad whatever its cosine (words drawn from answers on the
   *  topic embed close to them, yet no one else wrote their pairs); absent: 0, the cosine always decides. */
  readonly wordSaladStrictShare?: number
}

export interface SpeedConfig {
  /** Ascending tiers; a latency beyond the last tier scores `beyond`. */
  readonly tiers: ReadonlyArray<SpeedTier>
  readonly beyond: number
  /** Share of the group-relative part (min(1, median/latency) over valid answers); the rest is the tier score. */
  readonly relativeWeight: number
}

export interface CompletionConfig {
  /** finish_reason → completion value ("stop", "tool_calls" 1; "length" partial). */
  readonly finishReasons: Readonly<Record<string, number>>
  /** Value when the finish reason is missing or not listed. */
  readonly unknown: number
}

export interface NoveltyConfig {
  /** Total answers remembered across prompts (oldest prompt buckets are evicted first). */
  readonly capacity: number
  /** Answers remembered per prompt (oldest evicted first). */
  readonly perPrompt: number
  /** Recent answers remembered per hotkey (constant answers to different prompts). */
  readonly perHotkey: number
  /** Each hotkey's copy record across rounds (copyRecord.ts); absent = every round judged alone, as v1 did. */
  readonly copyRecord?: CopyRecordConfig
}

export type AggregationKind = "ema" | "tournament" | PerformanceAggregation

/** How round results become long-run weights (seed 003's options beside EMA and the tournament). */
export interface AggregationPolicy {
  readonly kind: AggregationKind
  /** cumulative: per-miner cap of the total score (seed 003: 500). */
  readonly cap: number
  /** blend: share of the recent average (seed 003: 0.7 recent + 0.3 historical). */
  readonly recentShare: number
  /** Seed 003's stake blend on top of any kind: (1 − share)·performance + share·min(1, stake/max). Pays stake, not work. */
  readonly stakeBlend: { readonly enabled: boolean; readonly share: number }
}

/** The operator-selectable policies of seed 003 (and seed 004's groups); defaults are today's behaviour. */
export interface PolicyConfig {
  readonly selection: SelectionPolicy
  /** Rounds in the window that makes a miner's tier and its recent average. */
  readonly tiers: { readonly window: number }
  readonly aggregation: AggregationPolicy
}

export interface ScoringConfig {
  readonly version: number
  /** Default axis weights (axis name → weight ≥ 0). */
  readonly axes: Readonly<Record<string, number>>
  /** When a round has no reference, the accuracy weight moves to this axis (null: just renormalize). */
  readonly accuracyFallback: string | null
  /** Task type used for rounds whose task type is not configured. */
  readonly defaultTaskType: string
  readonly taskTypes: Readonly<Record<string, TaskTypeConfig>>
  readonly thresholds: Thresholds
  /** Embedding-model calibrations by model name; "default" is used for models not listed. */
  readonly calibration: Readonly<Record<string, Calibration>>
  readonly lexical: LexicalConfig
  readonly content: ContentConfig
  readonly speed: SpeedConfig
  readonly completion: CompletionConfig
  /** Miners sharing an IP or a coldkey count as one entity when the dominant cluster is formed and chosen. */
  readonly entityWeighting: boolean
  readonly novelty: NoveltyConfig
  readonly policies: PolicyConfig
}

/** The resolved profile of one task type: its name, weight map and optimal time. */
export interface TaskProfile {
  readonly name: string
  readonly weights: Readonly<Record<string, number>>
  readonly optimalMs: number
}

export const taskProfile = (config: ScoringConfig, taskType: string): TaskProfile => {
  const known = Object.hasOwn(config.taskTypes, taskType)
  const name = known ? taskType : config.defaultTaskType
  const t = config.taskTypes[name]
  if (t === undefined) throw new RangeError(`scoring config: default task type "${name}" is not configured`)
  return { name, weights: t.axes ?? config.axes, optimalMs: t.optimalMs }
}

/** The calibration of `model` (by name), else the "default" one. */
export const calibrationFor = (config: ScoringConfig, model: string | undefined): Calibration => {
  const c = (model !== undefined && Object.hasOwn(config.calibration, model) ? config.calibration[model] : undefined) ?? config.calibration["default"]
  if (c === undefined) throw new RangeError(`scoring config: no calibration for "${model ?? "default"}" and no "default"`)
  return c
}
