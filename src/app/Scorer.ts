// The round scorer the ScoringActor runs: the versioned scoring config (SCORING_CONFIG) and the novelty
// memory (semantic cache of earlier answers, kept across rounds) around the pure scoreRound, and the config's
// policies (selection, load balancing, tiers, aggregation) for the actors. `Scorer.layer` reads AppConfig.
import { Context, Effect, Layer } from "effect"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import { DEFAULT_SCORING_CONFIG_PATH, loadScoringConfig } from "../domain/ScoringConfig.ts"
import { makeNoveltyMemory, scoreRound } from "../scoring/round.ts"
import type { PolicyConfig } from "../scoring/config.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"

export interface ScorerShape {
  readonly version: string
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => RoundResult
  /** The config's selection, load-balancing, tier and aggregation policies. */
  readonly policies: PolicyConfig
}

export const makeScorer = (config: Pick<AppConfigValues, "SCORING_CONFIG">) =>
  Effect.gen(function* () {
    const path = config.SCORING_CONFIG ?? DEFAULT_SCORING_CONFIG_PATH
    const scoring = yield* loadScoringConfig(path)
    const memory = makeNoveltyMemory(scoring)
    yield* Effect.logInfo("scoring config loaded", { path, version: String(scoring.version) })
    return {
      version: String(scoring.version),
      score: (round, emb) => scoreRound(round, emb, scoring, memory),
      policies: scoring.policies
    } satisfies ScorerShape
  })

export class Scorer extends Context.Service<Scorer, ScorerShape>()("quorum/app/Scorer") {
  static readonly layer = Layer.effect(Scorer, Effect.flatMap(Effect.service(AppConfig), makeScorer))
}
