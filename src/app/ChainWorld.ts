// The validator's world on a chain: the metagraph gives the miners (refreshed on heads), the weight
// submitter sets or commits weights with the chain's own rules checked first and every attempt journaled,
// pending hash commits are revealed on a schedule.
//   live: SUBTENSOR_NETWORK / SUBTENSOR_ADDRESS, the btcli hotkey WALLET_NAME / HOTKEY_NAME.
//   demo: the real subtensor runtime under chopsticks (../shared/fixtures/subtensor) with the simulated
//         miners registered under their own hotkeys and coldkeys and their axons served.
// As layers: liveChainWorld: World ← AppConfig, Store; localChainWorld: World ← AppConfig, Store, DemoMiners
// (the journal keeps its table in the store's file).
import type { Database } from "bun:sqlite"
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Effect, Fiber, Layer, Schedule, Schema } from "effect"
import type { MinerInfo } from "../domain/Miner.ts"
import { makeChainProbe } from "../chain/ChainProbe.ts"
import { make as makeConnection } from "../chain/Connection.ts"
import { hasSubtensorFixture, type Localnet, startLocalnet, subtensorFixtureDir } from "../chain/Localnet.ts"
import { makeMetagraph } from "../chain/Metagraph.ts"
import { isServing, type Neuron } from "../chain/Neurons.ts"
import { resolveEndpoint } from "../chain/networks.ts"
import { loadHotkey } from "../chain/Wallet.ts"
import { makeWeightSubmitter } from "../chain/Weights.ts"
import { defaultConfig } from "../chain/WeightsContract.ts"
import { makeSqliteJournal } from "../chain/WeightsJournal.ts"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import type { SimMiners } from "../miners/sim/SimMiners.ts"
import { signerFromPair } from "../miners/Signer.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import { sdkWeightProcessor } from "../scoring/weights.ts"
import { makeTransport } from "./Transports.ts"
import { Store } from "../store/Store.ts"
import { DemoMiners, type DemoMinersShape } from "./Demo.ts"
import { World, type WorldShape } from "./World.ts"

export class WorldError extends Schema.TaggedError<WorldError>()("WorldError", {
  stage: Schema.String,
  message: Schema.String
}) {}

const RAO_PER_TAO = 1e9

interface ChainWorldInput {
  readonly config: AppConfigValues
  readonly api: ApiPromise
  readonly pair: KeyringPair
  readonly transport: MinerTransport
  readonly db: Database
  /** Where to reach a neuron's axon (the demo maps its registered address back to 127.0.0.1). */
  readonly targetOf: (n: Neuron) => { readonly ip: string; readonly port: number } | null
  readonly blockTimeSeconds: number
  readonly info: Record<string, unknown>
}

const chainWorld = (i: ChainWorldInput) =>
  Effect.gen(function* () {
    const { config, api, pair } = i
    const netuid = config.NETUID
    const metagraph = yield* makeMetagraph({ api, netuid }).pipe(
      Effect.mapError((e) => new WorldError({ stage: "metagraph", message: `${e.message}; check NETUID=${netuid} exists on this chain` }))
    )
    const first = yield* metagraph.snapshot
    const me = first.neurons.find((n) => n.hotkey === pair.address)
    if (me === undefined) {
      return yield* new WorldError({
        stage: "registration",
        message: `hotkey ${pair.address} is not registered on netuid ${netuid}; register it (btcli subnet register --netuid ${netuid}) or pick another WALLET_NAME/HOTKEY_NAME`
      })
    }
    if (!me.validatorPermit) {
      yield* Effect.logWarning("this hotkey has no validator permit yet: the chain refuses its weights until it has enough stake", {
        uid: me.uid,
        stake: me.stake
      })
    }
    const versionKey = config.WEIGHTS_VERSION_KEY !== undefined ? BigInt(config.WEIGHTS_VERSION_KEY) : first.hyperparams.weightsVersionKey
    const submitter = makeWeightSubmitter({
      processor: sdkWeightProcessor,
      api,
      signer: pair,
      journal: makeSqliteJournal(i.db),
      config: { ...defaultConfig(netuid, versionKey), mode: config.WEIGHTS_COMMIT_MODE, blockTimeSeconds: i.blockTimeSeconds }
    })
    // hash commits are revealed when their window opens (the journal survives restarts)
    yield* Effect.forkScoped(
      submitter.revealPending().pipe(
        Effect.tap((rs) =>
          Effect.forEach(rs, (r) => (r._tag === "TooEarly" ? Effect.void : Effect.logInfo("weight commit reveal", { commit: r.commitId, outcome: r._tag })))
        ),
        Effect.catch((e) => Effect.logWarning("reveal of pending commits failed", { message: e.message })),
        Effect.repeat(Schedule.spaced(`${Math.max(6, i.blockTimeSeconds * 3)} seconds`))
      )
    )
    const minStakeTao = config.MIN_STAKE_THRESHOLD
    const isValidator = (n: Neuron) => n.validatorPermit && n.stake >= minStakeTao
    const miners = metagraph.snapshot.pipe(
      Effect.map((s) =>
        s.neurons.flatMap((n): Array<MinerInfo> => {
          // our own hotkey is dropped by excludeHotkeys (supervisor and aggregator)
          if (isValidator(n) || !isServing(n.axon)) return []
          const t = i.targetOf(n)
          return t === null ? [] : [{ uid: n.uid, hotkey: n.hotkey, coldkey: n.coldkey, ip: t.ip, port: t.port, stake: n.stake }]
        })
      )
    )
    const world: WorldShape = {
      signer: signerFromPair(pair),
      transport: i.transport,
      miners,
      excludeHotkeys: new Set([pair.address]),
      minerChanges: metagraph.changes,
      submitWeights: (weights) =>
        submitter.submit(new Map(weights.map((w) => [w.uid, w.weight] as const))).pipe(
          Effect.map((r) => ({ kind: r.call, blockHash: r.blockHash, uids: r.uids })),
          Effect.mapError((e) => ({ _tag: e._tag, message: e.message }))
        ),
      info: { ...i.info, netuid, uid: me.uid, hotkey: pair.address, versionKey: versionKey.toString() },
      chain: makeChainProbe({ api, netuid, ourUid: me.uid, neurons: metagraph.snapshot.pipe(Effect.map((s) => s.neurons)) })
    }
    yield* Effect.logInfo("chain ready", { netuid, uid: me.uid, neurons: first.neurons.length, source: first.source, commitReveal: first.hyperparams.commitRevealEnabled })
    return world
  })

/** Seconds per block: mainnet/testnet produce one every 12 s; the chopsticks localnet is driven at 2 s. */
export const BLOCK_TIME_SECONDS = { live: 12, localnet: 2 } as const

/** Live: the configured network, the operator's btcli hotkey. */
export const chainForLive = (config: AppConfigValues, db: Database) =>
  Effect.gen(function* () {
    const { endpoint, network } = yield* resolveEndpoint({ network: config.SUBTENSOR_NETWORK, address: config.SUBTENSOR_ADDRESS }).pipe(
      Effect.mapError((e) => new WorldError({ stage: "config", message: e.message }))
    )
    const hotkey = yield* loadHotkey({ wallet: config.WALLET_NAME, hotkey: config.HOTKEY_NAME, path: config.WALLET_PATH }).pipe(
      Effect.mapError((e) => new WorldError({ stage: "wallet", message: e.message }))
    )
    const conn = yield* makeConnection({ endpoint }).pipe(Effect.mapError((e) => new WorldError({ stage: "connect", message: e.message })))
    const signer = signerFromPair(hotkey.pair)
    return yield* chainWorld({
      config,
      api: conn.api,
      pair: hotkey.pair,
      transport: makeTransport(config.MINER_PROTOCOL, signer, { requireAuthenticatedFiber: config.FIBER_REQUIRE_AUTH === "true" }),
      db,
      targetOf: (n) => ({ ip: n.axon.ip, port: n.axon.port }),
      blockTimeSeconds: BLOCK_TIME_SECONDS.live,
      info: { mode: "live", network, endpoint }
    })
  })

/** TEST-NET-1 (RFC 5737, never routed): the chain refuses loopback axons, so demo miners are served here. */
const demoAxonIp = (i: number) => `192.0.2.${(i % 250) + 1}`

export type DemoSim = Pick<DemoMinersShape, "pair" | "transport" | "sim">

/** Whether the demo runs on the local runtime: not with DEMO_CHAIN=off, nor without the fixture, nor from the binary. */
export const demoChainAvailable = (config: Pick<AppConfigValues, "DEMO_CHAIN">) =>
  Effect.gen(function* () {
    if (config.DEMO_CHAIN === "off" || !hasSubtensorFixture()) return false
    if (Bun.isStandaloneExecutable) {
      // chopsticks loads its pretty-printing logger as a worker by package name, which a compiled binary
      // cannot resolve: the local chain runs from the source install only
      yield* Effect.logWarning("the local subtensor runs from the source install (npm run validator), not from dist/quorum; demo without a chain")
      return false
    }
    return true
  })

/** Demo on the local runtime (the caller checked demoChainAvailable). */
export const chainForDemo = (config: AppConfigValues, demo: DemoSim, db: Database) =>
  Effect.gen(function* () {
    yield* Effect.logInfo("starting the local subtensor (spec 293 under chopsticks; about 30-60 s)", { fixture: subtensorFixtureDir() })
    const t0 = Date.now()
    const booting = yield* Effect.forkScoped(
      Effect.suspend(() => Effect.logInfo("local subtensor still starting", { seconds: Math.round((Date.now() - t0) / 1000) })).pipe(Effect.delay("5 seconds"), Effect.forever)
    )
    const ln = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startLocalnet({ miners: 0, tempo: 10, weightsRateLimit: 2 }),
        catch: (e) => new WorldError({ stage: "localnet", message: `local subtensor did not start: ${e instanceof Error ? e.message : String(e)}; run with DEMO_CHAIN=off to demo without a chain` })
      }),
      (ln) =>
        Effect.promise(() => ln.close()).pipe(
          Effect.timeoutOption("10 seconds"),
          Effect.tap((r) => (r._tag === "None" ? Effect.logWarning("local subtensor did not stop within 10 s") : Effect.logInfo("local subtensor stopped")))
        )
    )
    yield* Effect.tryPromise({
      try: () => registerSimMiners(ln, demo.sim),
      catch: (e) => new WorldError({ stage: "localnet", message: `registering the simulated miners failed: ${e instanceof Error ? e.message : String(e)}` })
    })
    yield* Fiber.interrupt(booting)
    yield* Effect.logInfo("local subtensor ready", { endpoint: ln.endpoint, netuid: ln.netuid, miners: demo.sim.miners.length, seconds: (Date.now() - t0) / 1000 })
    // Manual block mode: the demo is the block author (one block every 2 s)
    yield* Effect.forkScoped(
      Effect.tryPromise(() => ln.newBlock()).pipe(
        Effect.catch((e) => Effect.logWarning("local block not built", { message: String(e) })),
        Effect.repeat(Schedule.spaced("2 seconds"))
      )
    )
    const local = new Map(demo.sim.miners.map((m, i) => [`${demoAxonIp(i)}:${m.port}`, m.port]))
    return yield* chainWorld({
      config: { ...config, NETUID: ln.netuid },
      api: ln.api,
      pair: demo.pair,
      transport: demo.transport,
      db,
      targetOf: (n) => {
        const port = local.get(`${n.axon.ip}:${n.axon.port}`)
        return port === undefined ? null : { ip: "127.0.0.1", port }
      },
      blockTimeSeconds: BLOCK_TIME_SECONDS.localnet,
      info: { mode: "demo", chain: "local", endpoint: ln.endpoint }
    })
  })

export const liveChainWorld = Layer.effect(
  World,
  Effect.gen(function* () {
    return yield* chainForLive(yield* AppConfig, (yield* Store).db)
  })
)

export const localChainWorld = Layer.effect(
  World,
  Effect.gen(function* () {
    return yield* chainForDemo(yield* AppConfig, yield* DemoMiners, (yield* Store).db)
  })
)

/** Each simulated miner: its own funded coldkey, burned registration of its hotkey, its axon served. */
const registerSimMiners = async (ln: Localnet, sim: SimMiners) => {
  const { api } = ln
  const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
  const coldkeys = sim.miners.map((m) => kr.addFromUri(`//QuorumDemoColdkey/${m.hotkey}`))
  const tx = api.tx as unknown as Record<string, Record<string, (...a: Array<unknown>) => SubmittableExtrinsic<"promise">>>
  const transfer = tx["balances"]!["transferKeepAlive"]!
  const burned = tx["subtensorModule"]!["burnedRegister"]!
  await ln.exec(coldkeys.map((ck) => [transfer(ck.address, 1_000 * RAO_PER_TAO), ln.sudo] as const))
  await ln.exec(sim.miners.map((m, i) => [burned(ln.netuid, m.keypair.address), coldkeys[i]!] as const))
  for (const [i, m] of sim.miners.entries()) await ln.serveAxon(m.keypair, { ip: demoAxonIp(i), port: m.port })
}
