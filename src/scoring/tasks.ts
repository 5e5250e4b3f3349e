// Task kinds and their default weights. Pure data.
//
// Seed 003 ("Task-Specific Scoring Weights") gives accuracy / speed / quality per task kind and an optimal
// processing time. Mapping onto this engine's axes: seed "accuracy" = the accuracy axis (cosine to the
// reference answer; without a reference its weight moves to the coverage axis, i.e. the content the peers
// agree on stands in for the validator's own execution), seed "speed" = the speed axis (the same tiers), seed
// "quality" (response structure completeness) = the completion axis. Chat (the Loosh workload) has no seed
// row; its weights spread over every axis but consensus, content coverage first.
import type { Calibration, PolicyConfig, ScoringConfig, TaskTypeConfig } from "./config.ts"
import { DEFAULT_COPY_RECORD } from "./copyRecord.ts"
import { POINTS_SCALE } from "./performance.ts"
import { DEFAULT_SELECTION_POLICY } from "./selection.ts"

/** Seed 003 table, verbatim (weights sum to 1 per row), with optimal times in ms. */
export const SEED_003_TASKS: Readonly<Record<string, TaskTypeConfig>> = {
  transcription: { optimalMs: 2000, axes: { accuracy: 0.65, speed: 0.25, completion: 0.1 } },
  video_transcription: { optimalMs: 5000, axes: { accuracy: 0.65, speed: 0.25, completion: 0.1 } },
  tts: { optimalMs: 3000, axes: { accuracy: 0.5, speed: 0.2, completion: 0.3 } },
  summarization: { optimalMs: 5000, axes: { accuracy: 0.6, speed: 0.2, completion: 0.2 } },
  translation: { optimalMs: 4000, axes: { accuracy: 0.7, speed: 0.2, completion: 0.1 } }
}

/** Default weights (task types without their own map: tool calls, where agreement between the calls is the
 *  evidence). Sum 1. Content coverage leads: it tracks answer quality on real LLM answers. */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = {
  coverage: 0.5,
  accuracy: 0.15,
  consensus: 0.1,
  speed: 0.05,
  relevance: 0.05,
  completion: 0.05,
  quality: 0.05,
  availability: 0.03,
  novelty: 0.02
}

/** Chat: the default map without the consensus axis (still computed and reported). On real answers, embedding
 *  agreement pays the most typical answer rather than the best; the content coverage already is the agreement
 *  that counts. Renormalized to sum 1 per round. */
export const CHAT_WEIGHTS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(DEFAULT_WEIGHTS).filter(([axis]) => axis !== "consensus"))

/** use-lite cosines (../shared/models/use-lite), measured on the AlpacaEval dev split: an honest answer's mean cosine to
 *  the other answers has median 0.89 (1% below 0.45); an answer to another prompt has median 0.20 (3% above 0.45). */
export const USE_LITE_CALIBRATION: Calibration = {
  consensusDistance: 0.35,
  relevanceFloor: 0.1,
  relevanceFull: 0.5,
  accuracyFloor: 0.3,
  accuracyFull: 0.9,
  offTopicCosine: 0.45,
  aloneRelevanceFloor: 0.25,
  wordSaladCosine: 0.6,
  typicalAgreementShare: 0.7,
  typicalAgreementFloor: 0.35
}

/** Today's behaviour: availability sampling, EMA; seed 003's options are off until chosen. */
export const DEFAULT_POLICIES: PolicyConfig = {
  selection: DEFAULT_SELECTION_POLICY,
  tiers: { window: 20 },
  aggregation: { kind: "ema", cap: POINTS_SCALE, recentShare: 0.7, stakeBlend: { enabled: false, share: 0.2 } }
}

/**
 * The built-in default config. config/scoring.v2.json holds the same values (a test checks they agree);
 * the file is what the validator loads, this constant is for pure code and tests that need no I/O.
 */
export const DEFAULT_SCORING_CONFIG: ScoringConfig = {
  version: 2,
  axes: DEFAULT_WEIGHTS,
  accuracyFallback: "coverage",
  defaultTaskType: "chat",
  taskTypes: {
    chat: { optimalMs: 4000, axes: CHAT_WEIGHTS },
    tool_call: { optimalMs: 3000 },
    ...SEED_003_TASKS
  },
  thresholds: { minConsensusEntities: 2, qualityFloor: 0.25, minAnswerChars: 1 },
  calibration: { default: USE_LITE_CALIBRATION, "use-lite": USE_LITE_CALIBRATION },
  lexical: { shingleSize: 3, copyShare: 0.8, copyMinShingles: 5, commonEntities: 2, commonMaxNovelShare: 0.7, alignShare: 0.75, alignMinWords: 6, alignMaxWords: 150, promptMadeAlignShare: 0.9, echoContainment: 0.9, jumbleWordShare: 0.95 },
  content: {
    pyramidShare: 0.3,
    pyramidMinEntities: 1,
    promptUnitWeight: 0.2,
    lengthBudget: 1.5,
    lengthDecay: 1,
    referenceWeight: 3,
    incompleteShare: 0.1,
    offTopicCoverage: 0.5,
    wordSaladPairShare: 0.25,
    wordSaladMinMedian: 0.15,
    wordSaladStrictShare: 0.05,
    reliabilityPower: 3
  },
  speed: {
    tiers: [
      { upTo: 1, score: 1 },
      { upTo: 2, score: 0.8 },
      { upTo: 5, score: 0.6 }
    ],
    beyond: 0.3,
    relativeWeight: 0.5
  },
  completion: {
    finishReasons: { stop: 1, tool_calls: 1, end_turn: 1, length: 0.5, content_filter: 0 },
    unknown: 0.75
  },
  entityWeighting: true,
  novelty: { capacity: 8192, perPrompt: 64, perHotkey: 8, copyRecord: DEFAULT_COPY_RECORD },
  policies: DEFAULT_POLICIES
}
