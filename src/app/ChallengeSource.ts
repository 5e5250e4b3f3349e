// Where the validator's challenges come from, as a service: synthetic prompts from the corpus (the demo,
// and live without CHALLENGE_API_URL) or the Challenge API (pulls signed with the World's hotkey, each
// evaluated round posted back). Tests that send their challenges themselves provide `ChallengeSource.none`.
import { Context, Effect, Layer } from "effect"
import * as ChallengeApi from "../challenges/ChallengeApi.ts"
import { loadCorpus } from "../challenges/Corpus.ts"
import { makeSyntheticSource } from "../challenges/Synthetic.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { Challenge } from "../domain/Challenge.ts"
import type { RoundInput, RoundResult } from "../scoring/types.ts"
import { World } from "./World.ts"

/** The Challenge API's per-call deadline. */
export const CHALLENGE_API_TIMEOUT_MS = 30_000

export interface ChallengeSourceShape {
  /** The next challenge (null: none available now). */
  readonly next: (id: string) => Effect.Effect<Challenge | null, { readonly message: string }>
  /** Called after each evaluated round (e.g. posting results to the Challenge API); failures are logged. */
  readonly onResult?: (round: RoundInput, result: RoundResult) => Effect.Effect<void, { readonly message: string }>
}

export class ChallengeSource extends Context.Service<ChallengeSource, ChallengeSourceShape>()("quorum/app/ChallengeSource") {
  /** ChallengeSource ← AppConfig: the corpus (DEMO_CORPUS_FILE or the shipped one), seeded by DEMO_SEED. */
  static readonly synthetic = Layer.effect(
    ChallengeSource,
    Effect.map(Effect.service(AppConfig), (config) => {
      const source = makeSyntheticSource(loadCorpus(config.DEMO_CORPUS_FILE), { seed: config.DEMO_SEED })
      return { next: (id: string) => Effect.sync(() => source.next(id)) }
    })
  )

  /** ChallengeSource ← AppConfig, World: the Challenge API at `baseUrl`, signed with the World's hotkey. */
  static readonly challengeApi = (baseUrl: string) =>
    Layer.effect(
      ChallengeSource,
      Effect.gen(function* () {
        const config = yield* AppConfig
        const world = yield* World
        const api = ChallengeApi.make({
          baseUrl,
          apiKey: config.CHALLENGE_API_KEY,
          apiHotkey: config.CHALLENGE_API_HOTKEY,
          signer: world.signer,
          timeoutMs: CHALLENGE_API_TIMEOUT_MS,
          now: Date.now
        })
        return { next: () => api.pull, onResult: api.postResults }
      })
    )

  /** No challenges: the caller sends its own (tests, benchmarks). */
  static readonly none = Layer.succeed(ChallengeSource, { next: () => Effect.succeed(null) })
}
