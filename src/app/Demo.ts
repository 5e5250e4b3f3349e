// The local demo world: simulated miners on 127.0.0.1 speaking the configured protocol (real HTTP servers
// that verify signatures and nonces), the validator's dev hotkey, and, when the subtensor fixture exists,
// the real runtime under chopsticks with the miners registered and their axons served (see ChainWorld.ts).
//   DemoMiners ← AppConfig                      the simulated miners, the dev hotkey, the transport
//   chainlessDemoWorld: World ← DemoMiners, Store   weights computed by the SDK's rules and stored (dry run)
import { rmSync } from "node:fs"
import { resolve } from "node:path"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Context, Effect, Layer, Schema } from "effect"
import type { HotkeySigner, MinerInfo } from "../domain/Miner.ts"
import { LOCALNET_VALIDATOR_URI } from "../chain/Localnet.ts"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import type { SimMiners } from "../miners/sim/SimMiners.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import { Store } from "../store/Store.ts"
import { parseMix } from "../miners/sim/Behaviour.ts"
import { startSimMiners } from "../miners/sim/SimMiners.ts"
import { pairFromUri, signerFromPair } from "../miners/Signer.ts"
import { externalMiners } from "./ExternalMiners.ts"
import { makeTransport } from "./Transports.ts"
import { dryRunWeights, World } from "./World.ts"

/** Config values the demo changes when the operator left them at their defaults (a lively demo). */
export const demoDefaults: Partial<Record<keyof AppConfigValues, string | number>> = {
  CHALLENGE_INTERVAL_SECONDS: 3,
  CHALLENGE_TIMEOUT_SECONDS: 12,
  WEIGHTS_INTERVAL_SECONDS: 30,
  DB_PATH: ".quorum/demo.db",
  HEATMAP_DIR: ".quorum/heatmaps",
  MIN_MINERS: 2
}

/** The demo's own database (DB_PATH left at its default) starts empty on every run, so one demo's rounds
 *  never show up in the next one's /stats; a DB_PATH given by the operator is kept. */
export const freshDemoDatabase = (config: AppConfigValues) =>
  Effect.gen(function* () {
    if (config.QUORUM_MODE !== "demo") return
    if (config.sources.DB_PATH !== "default") {
      yield* Effect.logInfo("demo database kept between runs (DB_PATH given)", { db: resolve(config.DB_PATH) })
      return
    }
    yield* Effect.sync(() => {
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${config.DB_PATH}${suffix}`, { force: true })
    })
    yield* Effect.logInfo("demo database is fresh for this run (set DB_PATH to keep one)", { db: resolve(config.DB_PATH) })
  })

/** Applies demoDefaults to keys whose value came from the schema default. */
export const withDemoDefaults = (config: AppConfigValues): AppConfigValues => {
  if (config.QUORUM_MODE !== "demo") return config
  const out: Record<string, unknown> = { ...config }
  for (const [k, v] of Object.entries(demoDefaults)) {
    if (config.sources[k as keyof AppConfigValues["sources"]] === "default") out[k] = v
  }
  if (config.sources.MAX_MINERS === "default") out["MAX_MINERS"] = config.DEMO_MINERS
  return out as unknown as AppConfigValues
}

const startDemoMiners = (config: AppConfigValues, validatorSs58: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        startSimMiners({
          count: config.DEMO_MINERS,
          protocol: config.MINER_PROTOCOL,
          mix: parseMix(config.DEMO_MIX),
          seed: config.DEMO_SEED,
          allowedValidators: new Set([validatorSs58])
        }),
      catch: (e) => new DemoError({ message: `simulated miners did not start: ${e instanceof Error ? e.message : String(e)}` })
    }),
    (sim) => Effect.promise(() => sim.stop())
  )

export class DemoError extends Schema.TaggedError<DemoError>()("DemoError", { message: Schema.String }) {}

export interface DemoMinersShape {
  readonly pair: KeyringPair
  readonly signer: HotkeySigner
  readonly sim: SimMiners
  readonly miners: ReadonlyArray<MinerInfo>
  readonly transport: MinerTransport
}

/** The demo's miners, transport and validator identity (the chain, if any, is the World layer's part). */
export const demoWorld = (config: AppConfigValues) =>
  Effect.gen(function* () {
    // the localnet registers and stakes this hotkey as its validator
    const pair = yield* Effect.promise(() => pairFromUri(LOCALNET_VALIDATOR_URI))
    const signer = signerFromPair(pair)
    const sim = config.DEMO_MINERS_FILE === undefined
      ? yield* startDemoMiners(config, signer.ss58)
      : yield* externalMiners(config.DEMO_MINERS_FILE, config.MINER_PROTOCOL)
    const miners: ReadonlyArray<MinerInfo> = sim.miners.map((m) => ({ ...m.target, coldkey: `sim-coldkey-${m.uid}` }))
    yield* Effect.logInfo("simulated miners up", {
      count: sim.miners.length,
      protocol: config.MINER_PROTOCOL,
      behaviours: summarize(sim.miners.map((m) => m.behaviour))
    })
    const transport = makeTransport(config.MINER_PROTOCOL, signer, { requireAuthenticatedFiber: config.FIBER_REQUIRE_AUTH === "true" })
    return { pair, signer, sim, miners, transport } satisfies DemoMinersShape
  })

const summarize = (xs: ReadonlyArray<string>) => {
  const counts = new Map<string, number>()
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1)
  return [...counts].map(([k, v]) => `${k}=${v}`).join(",")
}

export class DemoMiners extends Context.Service<DemoMiners, DemoMinersShape>()("quorum/app/DemoMiners") {
  static readonly layer = Layer.effect(DemoMiners, Effect.flatMap(Effect.service(AppConfig), demoWorld))
}

/** The demo without a chain: the simulated miners, the dev hotkey, weights as a dry run in the store. */
export const chainlessDemoWorld = Layer.effect(
  World,
  Effect.gen(function* () {
    const demo = yield* DemoMiners
    const store = yield* Store
    yield* Effect.logWarning(
      "demo without a chain: ../shared/fixtures/subtensor not found (or DEMO_CHAIN=off); weights are computed with the SDK's rules and stored, not submitted"
    )
    return {
      signer: demo.signer,
      transport: demo.transport,
      miners: Effect.succeed(demo.miners),
      excludeHotkeys: new Set([demo.signer.ss58]),
      submitWeights: dryRunWeights(store, demo.miners.length),
      info: { mode: "demo", chain: "none", miners: demo.miners.length }
    }
  })
)
