// The scoring config as plain data: what the versioned file config/scoring.v1.json decodes into
// (src/domain/ScoringConfig.ts holds the Schema). Pure: no Effect, no I/O.
//
// Weights: `axes` is the default weight map (axis name → weight ≥ 0); a task type either inherits it or gives
// its own full map (`axes` on the task type REPLACES the default map, so the seed-003 table holds literally:
// an axis a task type omits weighs 0). Weights are renormalized over the axes that apply to a round, so only
// their ratios matter. Thresholds are on cosine similarity (vectors are L2-normalized) unless said otherwise.

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

export interface Thresholds {
  /** Average-linkage cut on the distance 1 − cos (sklearn semantics: merge iff < t). The reference uses 0.5 with
   * all-mpnet; v1 uses 0.35 for use-lite, where honest paraphrases measure cos ≥ 0.68 but answers to other
   * prompts of the same field reach 0.5–0.63 (data/corpus.json). */
  readonly consensusDistance: number
  /** Distinct entities the dominant cluster needs to count as a consensus (2: one entity alone is no consensus). */
  readonly minConsensusEntities: number
  /** cos(prompt, answer) below this → filtered "irrelevant" (the reference uses 0.20). */
  readonly relevanceFloor: number
  /** cos(prompt, answer) at or above this → relevance axis 1 (linear from the floor). */
  readonly relevanceFull: number
  /** cos(reference, answer) at or below this → accuracy 0 (linear up to accuracyFull). */
  readonly accuracyFloor: number
  readonly accuracyFull: number
  /** Text-quality heuristic below this → filtered "low_quality" (the reference uses 0.35). */
  readonly qualityFloor: number
  /** Answers with fewer non-space characters (and no tool calls) → filtered "low_quality". */
  readonly minAnswerChars: number
  /** L2 (semantic) copy threshold: cos ≥ this to a faster answer / another hotkey's earlier answer → "copy". */
  readonly copyCosine: number
  /** Novelty axis: 1 up to this cosine to another hotkey's earlier answer, falling linearly to 0 at copyCosine. */
  readonly noveltySoftCosine: number
  /** Normalized texts shorter than this are never called copies (short factual answers coincide honestly). */
  readonly copyMinChars: number
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
  readonly speed: SpeedConfig
  readonly completion: CompletionConfig
  /** Miners sharing an IP or a coldkey count as one entity when the dominant cluster is formed and chosen. */
  readonly entityWeighting: boolean
  readonly novelty: NoveltyConfig
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
