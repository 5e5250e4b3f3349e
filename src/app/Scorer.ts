// The round scorer the ScoringActor runs: the versioned scoring config (SCORING_CONFIG) and the novelty
// memory (semantic cache of earlier answers, kept across rounds) around the pure scoreRound.
import { Effect } from "effect"
import type { AppConfigValues } from "../config/AppConfig.ts"
import { DEFAULT_SCORING_CONFIG_PATH, loadScoringConfig } from "../domain/ScoringConfig.ts"
import { makeNoveltyMemory, scoreRound } from "../scoring/round.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"

export interface Scorer {
  readonly version: string
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => RoundResult
}

export const makeScorer = (config: Pick<AppConfigValues, "SCORING_CONFIG">) =>
  Effect.gen(function* () {
    const path = config.SCORING_CONFIG ?? DEFAULT_SCORING_CONFIG_PATH
    const scoring = yield* loadScoringConfig(path)
    const memory = makeNoveltyMemory(scoring)
    yield* Effect.logInfo("scoring config loaded", { path, version: String(scoring.version) })
    return {
      version: String(scoring.version),
      score: (round, emb) => scoreRound(round, emb, scoring, memory)
    } satisfies Scorer
  })
