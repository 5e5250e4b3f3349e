// A local subtensor chain for tests and demos: the real runtime (spec 293, from
// ../shared/fixtures/subtensor) executed by @acala-network/chopsticks on 127.0.0.1, Manual block
// mode. `startLocalnet` creates a subnet owned by //Alice (owner hotkey = validator hotkey, uid 0),
// registers N miner hotkeys (coldkey //Bob) by burnedRegister, serves their axons, stakes the
// validator and runs one epoch so it holds a validator permit.
// Traps handled here (see the fixture README): chopsticks misreads the Aura slot (pre-filled memo),
// block #1 needs Timestamp.Now in genesis, a busy port silently moves (we report the real address),
// serve_axon refuses 127.0.0.1, a new subnet must be started (start_call) before staking.
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import type { KeyringPair } from "@polkadot/keyring/types"
import type { ProviderInterface } from "@polkadot/rpc-provider/types"
import { Schema } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { encodeIp } from "./ipCodec.ts"

// ---------------------------------------------------------------------------------------------
// Fixture location

export const SUBTENSOR_SPEC_FILE = "subtensor-spec293-raw.json"

/** Well-known dev derivations of the localnet's keys (never use them anywhere else). */
export const LOCALNET_VALIDATOR_URI = "//Alice//quorum-validator"
export const localnetMinerUri = (i: number) => `//Bob//quorum-miner-${i}`

/** ../shared/fixtures/subtensor relative to the repo root, or env SUBTENSOR_FIXTURE_DIR. */
export const subtensorFixtureDir = (): string => {
  const env = process.env["SUBTENSOR_FIXTURE_DIR"]
  if (env !== undefined && env.length > 0) return resolve(env)
  return resolve(import.meta.dir, "../../../shared/fixtures/subtensor")
}

export const hasSubtensorFixture = (dir: string = subtensorFixtureDir()): boolean => existsSync(join(dir, SUBTENSOR_SPEC_FILE))

export class SubtensorFixtureMissing extends Schema.TaggedError<SubtensorFixtureMissing>()("SubtensorFixtureMissing", {
  path: Schema.String
}) {
  override get message(): string {
    return `subtensor chainspec not found at ${this.path}. Next: put the shared fixtures beside the checkout ` +
      `(../shared/fixtures/subtensor/${SUBTENSOR_SPEC_FILE}) or set SUBTENSOR_FIXTURE_DIR to the directory holding it`
  }
}

/** A setup extrinsic failed on the local chain (runtime error names, e.g. `subtensorModule.InvalidIpAddress`). */
export class LocalnetSetupError extends Schema.TaggedError<LocalnetSetupError>()("LocalnetSetupError", {
  step: Schema.String,
  failures: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `localnet ${this.step} failed: ${this.failures.join(", ")}`
  }
}

// ---------------------------------------------------------------------------------------------
// Types

/** An axon address to serve (protocol 4 = the SDK's IPv4 default, version = the axon's spec version). */
export interface AxonAddress {
  readonly ip: string
  readonly port: number
  readonly protocol?: number
  readonly version?: number
}

export interface LocalnetOptions {
  readonly miners: number
  /** Subnet tempo (default 10). */
  readonly tempo?: number
  /** 0 (default) = any free port. The host is always 127.0.0.1. */
  readonly port?: number
  /** Axon for miner i (index-aligned; undefined / missing = not served). 127.0.0.1 is refused by the chain. */
  readonly minerAxons?: ReadonlyArray<AxonAddress | undefined>
  readonly validatorAxon?: AxonAddress
  /** Weights rate limit in blocks (default 5). */
  readonly weightsRateLimit?: number
  /** Fixture directory (default subtensorFixtureDir()). */
  readonly fixtureDir?: string
}

export interface Localnet {
  readonly endpoint: string
  readonly api: ApiPromise
  readonly netuid: number
  readonly tempo: number
  readonly weightsRateLimit: number
  readonly sudo: KeyringPair
  /** Coldkey of every miner (//Bob). */
  readonly minerColdkey: KeyringPair
  readonly validator: KeyringPair
  readonly miners: ReadonlyArray<KeyringPair>
  newBlock(count?: number): Promise<number>
  jumpTo(height: number): Promise<void>
  /** Signs with explicit nonces, submits all, builds one block, throws on any failed extrinsic. */
  exec(txs: ReadonlyArray<readonly [SubmittableExtrinsic<"promise">, KeyringPair]>): Promise<void>
  sudoCall(call: SubmittableExtrinsic<"promise">): Promise<void>
  /** burnedRegister of a hotkey (coldkey //Bob) in one block. */
  register(hotkey: KeyringPair): Promise<void>
  /** serve_axon signed by the hotkey, in one block. */
  serveAxon(hotkey: KeyringPair, axon: AxonAddress): Promise<void>
  head(): Promise<number>
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Implementation

const TIMESTAMP_NOW = "0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb"
const CODE = "0x3a636f6465"

const u64le = (v: bigint) => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, v, true)
  return "0x" + Buffer.from(b).toString("hex")
}

interface RawSpec {
  genesis: { raw: { top: Record<string, string> } }
}

type TxFn = (...a: Array<unknown>) => SubmittableExtrinsic<"promise">

export async function startLocalnet(opts: LocalnetOptions): Promise<Localnet> {
  const dir = opts.fixtureDir ?? subtensorFixtureDir()
  const specPath = join(dir, SUBTENSOR_SPEC_FILE)
  if (!existsSync(specPath)) throw new SubtensorFixtureMissing({ path: specPath })
  // chopsticks validates LOG_LEVEL (lowercase pino levels) and reads DISABLE_PLUGINS from the environment.
  // The validator's own LOG_LEVEL (INFO, WARNING, NONE, ...) is mapped for the duration of the setup and
  // restored afterwards; chopsticks stays at warn unless the validator asks for debug or trace.
  const savedLogLevel = process.env["LOG_LEVEL"]
  process.env["LOG_LEVEL"] = chopsticksLogLevel(savedLogLevel)
  process.env["DISABLE_PLUGINS"] ??= "true"
  try {
    return await startWithEnv(opts, specPath)
  } finally {
    if (savedLogLevel === undefined) delete process.env["LOG_LEVEL"]
    else process.env["LOG_LEVEL"] = savedLogLevel
  }
}

/** The validator's LOG_LEVEL → a level chopsticks accepts. */
export const chopsticksLogLevel = (ours: string | undefined): string => {
  const x = (ours ?? "").toLowerCase()
  return x === "trace" || x === "debug" ? x : x === "error" || x === "fatal" ? x : x === "none" ? "fatal" : "warn"
}

async function startWithEnv(opts: LocalnetOptions, specPath: string): Promise<Localnet> {
  const { setupWithServer } = await import("@acala-network/chopsticks")
  const { getAuraSlotDuration } = await import("@acala-network/chopsticks-core")
  const { ApiPromise, WsProvider } = await import("@polkadot/api")
  const { Keyring } = await import("@polkadot/keyring")

  const spec = JSON.parse(readFileSync(specPath, "utf8")) as RawSpec
  const top = spec.genesis.raw.top
  const code = top[CODE]
  if (code === undefined) throw new LocalnetSetupError({ step: "chainspec", failures: [`${specPath} has no :code`] })
  // chopsticks 1.5.1 misreads the Aura slot (see fixtures README): pre-fill its memo with 1000 ms.
  ;(getAuraSlotDuration as unknown as { cache: Map<string, Promise<number>> }).cache.set(code, Promise.resolve(1000))
  top[TIMESTAMP_NOW] = u64le(BigInt(Math.floor(Date.now() / 1000) * 1000))
  spec.genesis.raw.top = Object.fromEntries(Object.entries(top).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const ctx = await setupWithServer({
    genesis: spec,
    host: "127.0.0.1",
    port: opts.port ?? 0,
    "allow-unresolved-imports": true,
    "build-block-mode": "Manual",
    "runtime-log-level": 0
  } as unknown as Parameters<typeof setupWithServer>[0])
  const endpoint = `ws://${ctx.addr}`
  let api: ApiPromise
  try {
    api = await ApiPromise.create({ provider: new WsProvider(endpoint) as unknown as ProviderInterface, noInitWarn: true, throwOnConnect: true })
  } catch (e) {
    await ctx.close()
    throw e
  }
  const close = async () => {
    await api.disconnect().catch(() => undefined)
    await ctx.close()
  }
  try {
    return await setup(api, endpoint, opts, close, Keyring)
  } catch (e) {
    await close()
    throw e
  }
}

async function setup(
  api: ApiPromise,
  endpoint: string,
  opts: LocalnetOptions,
  close: () => Promise<void>,
  Keyring: typeof import("@polkadot/keyring").Keyring
): Promise<Localnet> {
  const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
  const sudo = kr.addFromUri("//Alice")
  const bob = kr.addFromUri("//Bob")
  const validator = kr.addFromUri(LOCALNET_VALIDATOR_URI)
  const miners = Array.from({ length: opts.miners }, (_, i) => kr.addFromUri(localnetMinerUri(i)))

  const head = async () => (await api.rpc.chain.getHeader()).number.toNumber()
  const newBlock = async (count = 1) => {
    await api.rpc("dev_newBlock" as never, { count } as never)
    return head()
  }
  const jumpTo = async (height: number) => {
    // builds block `height` directly (the blocks in between are skipped)
    await api.rpc("dev_newBlock" as never, { count: 1, unsafeBlockHeight: height } as never)
  }
  const nonces = new Map<string, number>()
  const run = async (step: string, txs: ReadonlyArray<readonly [SubmittableExtrinsic<"promise">, KeyringPair]>) => {
    for (const [tx, signer] of txs) {
      const next = nonces.get(signer.address) ?? (await api.rpc.system.accountNextIndex(signer.address)).toNumber()
      nonces.set(signer.address, next + 1)
      await tx.signAsync(signer, { nonce: next })
      await api.rpc.author.submitExtrinsic(tx)
    }
    await newBlock()
    nonces.clear()
    const events = await api.query.system.events()
    const failures: Array<string> = []
    for (const { event } of events) {
      if (api.events.system.ExtrinsicFailed.is(event)) {
        const err = event.data[0]
        failures.push(err.isModule ? (({ section, name }) => `${section}.${name}`)(api.registry.findMetaError(err.asModule)) : err.toString())
      }
      if (event.section === "sudo" && event.method === "Sudid") {
        const r = event.data[0] as unknown as { isErr: boolean; asErr: { isModule: boolean; asModule: never; toString(): string } }
        if (r.isErr) failures.push(r.asErr.isModule ? api.registry.findMetaError(r.asErr.asModule).name : r.asErr.toString())
      }
    }
    if (failures.length > 0) throw new LocalnetSetupError({ step, failures })
  }
  const st = api.tx.subtensorModule as unknown as Record<string, TxFn>
  const au = api.tx.adminUtils as unknown as Record<string, TxFn>
  const stx = (name: string): TxFn => {
    const f = st[name]
    if (f === undefined) throw new LocalnetSetupError({ step: "metadata", failures: [`runtime has no SubtensorModule.${name}`] })
    return f
  }
  const atx = (name: string): TxFn => {
    const f = au[name]
    if (f === undefined) throw new LocalnetSetupError({ step: "metadata", failures: [`runtime has no AdminUtils.${name}`] })
    return f
  }
  const sudoTx = (c: SubmittableExtrinsic<"promise">) => api.tx.sudo.sudo(c)
  const exec: Localnet["exec"] = (txs) => run("exec", txs)
  const sudoCall = (c: SubmittableExtrinsic<"promise">) => run("sudo", [[sudoTx(c), sudo]])
  const serveTx = (netuid: number, axon: AxonAddress) => {
    const { value, ipType } = encodeIp(axon.ip)
    // spec 293: serve_axon(netuid u16, version u32, ip u128, port u16, ip_type u8, protocol u8, placeholder1 u8, placeholder2 u8)
    return stx("serveAxon")(netuid, axon.version ?? 0, value, axon.port, ipType, axon.protocol ?? 4, 0, 0)
  }

  // 1. a fresh subnet owned by Alice (owner hotkey = validator hotkey, registered as uid 0)
  await run("register network", [[sudoTx(atx("sudoSetNetworkRateLimit")(0)), sudo], [stx("registerNetwork")(validator.address), sudo]])
  const total = await (api.query.subtensorModule as unknown as Record<string, () => Promise<{ toString(): string }>>)["totalNetworks"]!()
  const netuid = Number(total.toString()) - 1
  const tempo = opts.tempo ?? 10
  const weightsRateLimit = opts.weightsRateLimit ?? 5
  await run("subnet hyperparameters", [
    [sudoTx(atx("sudoSetTempo")(netuid, tempo)), sudo],
    [sudoTx(atx("sudoSetCommitRevealWeightsEnabled")(netuid, false)), sudo],
    [sudoTx(atx("sudoSetWeightsSetRateLimit")(netuid, weightsRateLimit)), sudo],
    [sudoTx(atx("sudoSetTargetRegistrationsPerInterval")(netuid, 256)), sudo],
    [sudoTx(atx("sudoSetMaxRegistrationsPerBlock")(netuid, 256)), sudo],
    [sudoTx(atx("sudoSetMaxAllowedValidators")(netuid, 1)), sudo],
    [sudoTx(atx("sudoSetServingRateLimit")(netuid, 0)), sudo]
  ])
  // 2. start the subnet (allowed DurationOfStartCall blocks after registration), register miners
  await jumpTo((await head()) + 20)
  await run("start subnet + register miners", [
    [stx("startCall")(netuid), sudo],
    ...miners.map((m) => [stx("burnedRegister")(netuid, m.address), bob] as const)
  ])
  const axons: Array<readonly [SubmittableExtrinsic<"promise">, KeyringPair]> = []
  miners.forEach((m, i) => {
    const a = opts.minerAxons?.[i]
    if (a !== undefined) axons.push([serveTx(netuid, a), m])
  })
  if (opts.validatorAxon !== undefined) axons.push([serveTx(netuid, opts.validatorAxon), validator])
  await run("serve axons + stake", [...axons, [stx("addStake")(validator.address, netuid, 1_000_000_000_000n), sudo]])
  // 3. run one epoch so the validator gets its permit: epoch runs when (block + netuid + 1) % (tempo + 1) == 0
  const h = await head()
  let target = h + 1
  while ((target + netuid + 1) % (tempo + 1) !== 0) target++
  if (target > h + 1) await jumpTo(target - 1)
  await newBlock()
  return {
    endpoint,
    api,
    netuid,
    tempo,
    weightsRateLimit,
    sudo,
    minerColdkey: bob,
    validator,
    miners,
    newBlock,
    jumpTo,
    exec,
    sudoCall,
    register: (hotkey) => run("register", [[stx("burnedRegister")(netuid, hotkey.address), bob]]),
    serveAxon: (hotkey, axon) => run("serveAxon", [[serveTx(netuid, axon), hotkey]]),
    head,
    close
  }
}

let shared: Promise<Localnet> | undefined
/** One chain per process (3 miners, no axons), for tests that share it. */
export const sharedLocalnet = (): Promise<Localnet> => (shared ??= startLocalnet({ miners: 3 }))
