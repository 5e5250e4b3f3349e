// Task kinds and their default weights. Pure data.
//
// Seed 003 ("Task-Specific Scoring Weights") gives accuracy / speed / quality per task kind and an optimal
// processing time. Mapping onto this engine's axes: seed "accuracy" = the accuracy axis (cosine to the
// reference answer; without a reference its weight moves to the consensus axis, i.e. the peers' dominant
// answer stands in for the validator's own execution), seed "speed" = the speed axis (the same tiers), seed
// "quality" (response structure completeness) = the completion axis. Chat (the Loosh workload) has no seed
// row; its weights spread over every axis, consensus and accuracy first.
import type { ScoringConfig, TaskTypeConfig } from "./config.ts"

/** Seed 003 table, verbatim (weights sum to 1 per row), with optimal times in ms. */
export const SEED_003_TASKS: Readonly<Record<string, TaskTypeConfig>> = {
  transcription: { optimalMs: 2000, axes: { accuracy: 0.65, speed: 0.25, completion: 0.1 } },
  video_transcription: { optimalMs: 5000, axes: { accuracy: 0.65, speed: 0.25, completion: 0.1 } },
  tts: { optimalMs: 3000, axes: { accuracy: 0.5, speed: 0.2, completion: 0.3 } },
  summarization: { optimalMs: 5000, axes: { accuracy: 0.6, speed: 0.2, completion: 0.2 } },
  translation: { optimalMs: 4000, axes: { accuracy: 0.7, speed: 0.2, completion: 0.1 } }
}

/** Default weights (the "chat" task type). Sum 1. */
export const CHAT_WEIGHTS: Readonly<Record<string, number>> = {
  consensus: 0.25,
  accuracy: 0.25,
  relevance: 0.15,
  speed: 0.15,
  completion: 0.1,
  quality: 0.05,
  availability: 0.03,
  novelty: 0.02
}

/**
 * The built-in default config. config/scoring.v1.json holds the same values (a test checks they agree);
 * the file is what the validator loads, this constant is for pure code and tests that need no I/O.
 */
export const DEFAULT_SCORING_CONFIG: ScoringConfig = {
  version: 1,
  axes: CHAT_WEIGHTS,
  accuracyFallback: "consensus",
  defaultTaskType: "chat",
  taskTypes: {
    chat: { optimalMs: 4000 },
    tool_call: { optimalMs: 3000 },
    ...SEED_003_TASKS
  },
  thresholds: {
    consensusDistance: 0.35,
    minConsensusEntities: 2,
    relevanceFloor: 0.25,
    relevanceFull: 0.6,
    accuracyFloor: 0.3,
    accuracyFull: 0.9,
    qualityFloor: 0.35,
    minAnswerChars: 2,
    copyCosine: 0.97,
    noveltySoftCosine: 0.9,
    copyMinChars: 40
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
  novelty: { capacity: 8192, perPrompt: 64 }
}
