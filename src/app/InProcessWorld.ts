// A world without sockets or a chain: simulated miner brains behind the in-process transport (the same
// handlers the HTTP simulators serve), a throwaway validator hotkey, weights as a dry run in the store.
// The actor tests and the actor benchmark provide it in place of the demo or chain world.
//   World ← Store; inProcessPipeline: Pipeline over it (Embedder from the caller)
import { Effect, Layer } from "effect"
import type { MinerInfo } from "../domain/Miner.ts"
import { inProcessFromBrains, makeInProcessTransport } from "../miners/InProcessTransport.ts"
import type { SimBrain } from "../miners/sim/Behaviour.ts"
import { pairFromUri, signerFromPair } from "../miners/Signer.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import { AppConfig, type AppConfigValues, decodeConfig } from "../config/AppConfig.ts"
import { Store, type StoreShape } from "../store/Store.ts"
import { ChallengeSource } from "./ChallengeSource.ts"
import { LoadProbe } from "./LoadProbe.ts"
import { Pipeline } from "./Pipeline.ts"
import { Scorer } from "./Scorer.ts"
import { dryRunWeights, World } from "./World.ts"

export interface InProcessMiners {
  readonly miners: ReadonlyArray<MinerInfo>
  readonly transport: MinerTransport
}

/** The brains' registry entries (coldkey `ck-<uid>`) and the in-process transport that reaches them. */
export const inProcessMiners = (brains: ReadonlyArray<SimBrain>, validatorHotkey = "validator"): InProcessMiners => {
  const { targets, lookup } = inProcessFromBrains(brains)
  return {
    miners: targets.map((t) => ({ ...t, coldkey: `ck-${t.uid}` })),
    transport: makeInProcessTransport({ lookup, validatorHotkey })
  }
}

/** World ← Store, over the given miners and transport (a test may wrap the transport to watch it). */
export const inProcessWorld = (parts: InProcessMiners) =>
  Layer.effect(
    World,
    Effect.gen(function* () {
      const store = yield* Store
      const signer = signerFromPair(yield* Effect.promise(() => pairFromUri("//QuorumInProcessValidator")))
      return {
        signer,
        transport: parts.transport,
        miners: Effect.succeed(parts.miners),
        excludeHotkeys: new Set([signer.ss58]),
        submitWeights: dryRunWeights(store, parts.miners.length),
        info: { mode: "in-process", chain: "none", miners: parts.miners.length }
      }
    })
  )

/**
 * The Pipeline over the in-process world, with no challenge source and no load probe: what the actor tests
 * and the actor benchmark run (they send their challenges themselves). The Embedder is the caller's.
 */
export const inProcessPipeline = (o: { readonly config: AppConfigValues; readonly store: StoreShape; readonly miners: InProcessMiners }) =>
  Pipeline.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(inProcessWorld(o.miners), Scorer.layer, ChallengeSource.none, LoadProbe.none)),
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(Store, o.store), Layer.succeed(AppConfig, o.config)))
  )

/** A config from the schema's defaults and `env` only (no .env file, no CLI flags, no process environment). */
export const inProcessConfig = (env: Readonly<Record<string, string>>) => decodeConfig({ argv: [], env })
