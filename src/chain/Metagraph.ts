// Metagraph: the neurons of one subnet, read at one block.
// Source: the typed runtime API `NeuronInfoRuntimeApi.get_neurons_lite(netuid)` (metadata v15, spec
// 293 and newer); when the runtime lacks it, SubtensorModule storage (Keys, Owner, Axons, Active,
// LastUpdate, ValidatorPermit, TotalHotkeyAlpha). Chain JSON is decoded with Effect Schema at the
// boundary (MetagraphError{reason: "Decode"} on bad data).
// Stake: the hotkey's total ALPHA on this subnet (dynamic TAO, spec ≥ 233), in alpha units
// (rao / 1e9); `stakeRao` keeps the exact u64.
// The service keeps the last snapshot in a Ref, refreshes every `refreshBlocks` new heads (or on
// demand with `refresh`), and publishes MinerAdded / HotkeyReplaced / MinerRemoved / AxonChanged
// events (from the pure `diffNeurons`) on a PubSub.
import type { ApiPromise } from "@polkadot/api"
import type { ApiDecoration } from "@polkadot/api/types"
import { Context, Duration, Effect, Layer, PubSub, Queue, Ref, Schedule, Schema, Semaphore, Stream } from "effect"
import type { Scope } from "effect"
import type { MinerTarget } from "../miners/Transport.ts"
import { type Hyperparams, type HyperparamsError, readHyperparams } from "./Hyperparams.ts"

// ---------------------------------------------------------------------------------------------
// IP addresses (axon ip is a u128: IPv4 = a<<24|b<<16|c<<8|d with ip_type 4; IPv6 with ip_type 6)

export class InvalidIpAddress extends Schema.TaggedError<InvalidIpAddress>()("InvalidIpAddress", {
  ip: Schema.String
}) {
  override get message(): string {
    return `not an IPv4 or IPv6 address: ${JSON.stringify(this.ip)}`
  }
}

const parseIpv4 = (s: string): bigint | undefined => {
  const parts = s.split(".")
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

const parseIpv6 = (s: string): bigint | undefined => {
  let text = s
  let tail: Array<number> = []
  // embedded IPv4 tail (::ffff:192.0.2.1, 64:ff9b::192.0.2.1)
  const lastColon = text.lastIndexOf(":")
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)]
    text = text.slice(0, lastColon + 1)
    if (!text.endsWith("::")) text = text.slice(0, -1)
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN)
  const head = halves[0] === "" ? [] : halves[0]!.split(":").map(group)
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":").map(group)) : []
  const given = head.length + rest.length + tail.length
  if (halves.length === 1 && given !== 8) return undefined
  if (halves.length === 2 && given > 7) return undefined
  const groups = [...head, ...Array.from({ length: 8 - given }, () => 0), ...rest, ...tail]
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
}

/** Parses an IPv4 or IPv6 text address into the chain's u128 form and ip_type. */
export const parseIp = (ip: string): { readonly value: bigint; readonly ipType: 4 | 6 } | undefined => {
  const v4 = parseIpv4(ip)
  if (v4 !== undefined) return { value: v4, ipType: 4 }
  if (!ip.includes(":")) return undefined
  const v6 = parseIpv6(ip)
  return v6 === undefined ? undefined : { value: v6, ipType: 6 }
}

/** Like parseIp, throwing InvalidIpAddress (for setup code). */
export const encodeIp = (ip: string): { readonly value: bigint; readonly ipType: 4 | 6 } => {
  const r = parseIp(ip)
  if (r === undefined) throw new InvalidIpAddress({ ip })
  return r
}

const formatIpv4 = (value: bigint): string => [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join(".")

const formatIpv6 = (value: bigint): string => {
  // IPv4-mapped (::ffff:a.b.c.d) in mixed notation, as RFC 5952 §5 and Python's netaddr print it
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn))
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on ties
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(":")
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`
}

/**
 * The text form of a chain axon ip. ip_type 6 → IPv6 (RFC 5952 compressed); otherwise a value
 * that fits 32 bits → dotted IPv4, a larger one → IPv6 (what the Python SDK's int_to_ip does).
 */
export const decodeIp = (value: bigint, ipType: number): string => {
  if (value < 0n || value >= 1n << 128n) throw new RangeError(`ip ${value} out of u128 range`)
  if (ipType !== 6 && value < 1n << 32n) return formatIpv4(value)
  return formatIpv6(value)
}

// ---------------------------------------------------------------------------------------------
// Data

export const Axon = Schema.Struct({
  /** Text address ("0.0.0.0" when not served). */
  ip: Schema.String,
  /** 4, 6, or 0 when never served. */
  ipType: Schema.Number,
  port: Schema.Number,
  protocol: Schema.Number,
  version: Schema.Number,
  /** Block of the last serve_axon. */
  block: Schema.Number
})
export type Axon = typeof Axon.Type

export const Neuron = Schema.Struct({
  uid: Schema.Number,
  hotkey: Schema.String,
  coldkey: Schema.String,
  axon: Axon,
  /** Total alpha staked on this hotkey on this subnet, in alpha (rao / 1e9). */
  stake: Schema.Number,
  /** The same, exact, in rao. */
  stakeRao: Schema.BigInt,
  validatorPermit: Schema.Boolean,
  lastUpdate: Schema.Number,
  active: Schema.Boolean
})
export type Neuron = typeof Neuron.Type

export interface MetagraphSnapshot {
  readonly netuid: number
  readonly block: number
  readonly blockHash: string
  readonly source: "runtimeApi" | "storage"
  /** Sorted by uid. */
  readonly neurons: ReadonlyArray<Neuron>
  readonly hyperparams: Hyperparams
}

/** An axon is served when it has a non-zero address and port. */
export const isServing = (axon: Axon): boolean => axon.port > 0 && axon.ip !== "0.0.0.0" && axon.ip !== "::"

// ---------------------------------------------------------------------------------------------
// Change events and the pure diff

export const MinerAdded = Schema.TaggedStruct("MinerAdded", { uid: Schema.Number, hotkey: Schema.String })
export const HotkeyReplaced = Schema.TaggedStruct("HotkeyReplaced", { uid: Schema.Number, old: Schema.String, new: Schema.String })
export const MinerRemoved = Schema.TaggedStruct("MinerRemoved", { uid: Schema.Number })
export const AxonChanged = Schema.TaggedStruct("AxonChanged", { uid: Schema.Number })
export const MetagraphChange = Schema.Union([MinerAdded, HotkeyReplaced, MinerRemoved, AxonChanged])
export type MetagraphChange = typeof MetagraphChange.Type

const sameAxon = (a: Axon, b: Axon) =>
  a.ip === b.ip && a.ipType === b.ipType && a.port === b.port && a.protocol === b.protocol && a.version === b.version

/**
 * What changed between two neuron lists, by uid, in uid order: a new uid → MinerAdded; same uid,
 * other hotkey → HotkeyReplaced (its axon change is implied); a uid gone → MinerRemoved; same
 * hotkey, other ip/port/protocol/version → AxonChanged. Stake, permit and activity are not events.
 */
export const diffNeurons = (prev: ReadonlyArray<Neuron>, next: ReadonlyArray<Neuron>): ReadonlyArray<MetagraphChange> => {
  const before = new Map(prev.map((n) => [n.uid, n]))
  const after = new Map(next.map((n) => [n.uid, n]))
  const uids = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => a - b)
  const out: Array<MetagraphChange> = []
  for (const uid of uids) {
    const a = before.get(uid)
    const b = after.get(uid)
    if (a === undefined && b !== undefined) out.push(MinerAdded.make({ uid, hotkey: b.hotkey }))
    else if (a !== undefined && b === undefined) out.push(MinerRemoved.make({ uid }))
    else if (a !== undefined && b !== undefined) {
      if (a.hotkey !== b.hotkey) out.push(HotkeyReplaced.make({ uid, old: a.hotkey, new: b.hotkey }))
      else if (!sameAxon(a.axon, b.axon)) out.push(AxonChanged.make({ uid }))
    }
  }
  return out
}

/** Where to query each neuron with a served axon (the validator's own included; filter by hotkey if needed). */
export const toMinerTargets = (
  snapshot: Pick<MetagraphSnapshot, "neurons">,
  options?: { readonly excludeHotkeys?: ReadonlyArray<string> }
): Array<MinerTarget> => {
  const exclude = new Set(options?.excludeHotkeys ?? [])
  return snapshot.neurons
    .filter((n) => isServing(n.axon) && !exclude.has(n.hotkey))
    .map((n) => ({ uid: n.uid, hotkey: n.hotkey, ip: n.axon.ip, port: n.axon.port }))
}

// ---------------------------------------------------------------------------------------------
// Errors

export class MetagraphError extends Schema.TaggedError<MetagraphError>()("MetagraphError", {
  netuid: Schema.Number,
  operation: Schema.String,
  reason: Schema.Literals(["Rpc", "Timeout", "Decode", "SubnetNotFound"]),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const next = this.reason === "SubnetNotFound"
      ? "check the configured netuid"
      : this.reason === "Decode"
      ? "the runtime returned data of an unexpected shape: check the runtime version"
      : "check the node endpoint and connection, then retry"
    return `metagraph ${this.operation} (netuid ${this.netuid}) failed: ${this.reason}: ${this.detail}. Next: ${next}`
  }
}

// ---------------------------------------------------------------------------------------------
// Boundary decoding

// u128/u64 in polkadot.js JSON: a number when it fits 52 bits, else a 0x hex string.
const U128Json = Schema.Union([
  Schema.Number.check(Schema.isInt()),
  Schema.String.check(Schema.isPattern(/^(0x[0-9a-fA-F]{1,32}|\d{1,39})$/))
])
const toBig = (v: number | string): bigint => BigInt(v)

const RawAxon = Schema.Struct({
  block: U128Json,
  version: Schema.Number,
  ip: U128Json,
  port: Schema.Number,
  ipType: Schema.Number,
  protocol: Schema.Number
})
type RawAxon = typeof RawAxon.Type

const RawNeuronLite = Schema.Struct({
  hotkey: Schema.String,
  coldkey: Schema.String,
  uid: Schema.Number,
  active: Schema.Boolean,
  axonInfo: RawAxon,
  stake: Schema.Array(Schema.Tuple([Schema.String, U128Json])),
  lastUpdate: U128Json,
  validatorPermit: Schema.Boolean
})
const RawNeuronsLite = Schema.Array(RawNeuronLite)

const RawStorage = Schema.Struct({
  keys: Schema.Array(Schema.Tuple([Schema.Number, Schema.String])),
  owners: Schema.Array(Schema.String),
  axons: Schema.Array(Schema.NullOr(RawAxon)),
  stakes: Schema.Array(U128Json),
  active: Schema.Array(Schema.Boolean),
  lastUpdate: Schema.Array(U128Json),
  validatorPermit: Schema.Array(Schema.Boolean)
})

const NO_AXON: RawAxon = { block: 0, version: 0, ip: 0, port: 0, ipType: 0, protocol: 0 }

const toAxon = (raw: RawAxon): Axon => ({
  ip: decodeIp(toBig(raw.ip), raw.ipType),
  ipType: raw.ipType,
  port: raw.port,
  protocol: raw.protocol,
  version: raw.version,
  block: Number(toBig(raw.block))
})

const RAO = 1_000_000_000n
const raoToUnits = (rao: bigint): number => Number(rao / RAO) + Number(rao % RAO) / 1e9

const neuron = (fields: Omit<Neuron, "stake">): Neuron => ({ ...fields, stake: raoToUnits(fields.stakeRao) })

/** getNeuronsLite JSON (codec.toJSON()) → neurons, sorted by uid; MetagraphError{Decode} on bad data. */
export const decodeNeuronsLite = (netuid: number, raw: unknown): Effect.Effect<Array<Neuron>, MetagraphError> =>
  Schema.decodeUnknownEffect(RawNeuronsLite)(raw).pipe(
    Effect.mapError((e) => new MetagraphError({ netuid, operation: "getNeuronsLite", reason: "Decode", detail: e.message })),
    Effect.flatMap((decoded) =>
      Effect.try({
        try: () =>
          decoded
            .map((n) =>
              neuron({
                uid: n.uid,
                hotkey: n.hotkey,
                coldkey: n.coldkey,
                axon: toAxon(n.axonInfo),
                stakeRao: n.stake.reduce((s, [, v]) => s + toBig(v), 0n),
                validatorPermit: n.validatorPermit,
                lastUpdate: Number(toBig(n.lastUpdate)),
                active: n.active
              })
            )
            .sort((a, b) => a.uid - b.uid),
        catch: (cause) => new MetagraphError({ netuid, operation: "getNeuronsLite", reason: "Decode", detail: String(cause), cause })
      })
    )
  )

type Section = Record<string, ((...a: Array<unknown>) => Promise<{ toJSON(): unknown }>) & { entries?: (...a: Array<unknown>) => Promise<Array<[{ args: Array<{ toJSON(): unknown }> }, { toJSON(): unknown }]>> }>

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadOptions {
  readonly netuid: number
  /** Per RPC round-trip (default 20 s). */
  readonly timeout?: Duration.Input
  /** Force the storage path (tests; runtimes without NeuronInfoRuntimeApi use it anyway). */
  readonly forceStorage?: boolean
}

/** Reads the metagraph of `netuid` at the current best block. */
export const readMetagraph = Effect.fn("Metagraph.read")(function*(
  api: ApiPromise,
  options: ReadOptions
): Effect.fn.Return<MetagraphSnapshot, MetagraphError | HyperparamsError> {
  const { netuid } = options
  const timeout = options.timeout ?? "20 seconds"
  const call = <A>(operation: string, f: () => Promise<A>) =>
    Effect.tryPromise({
      try: f,
      catch: (cause) => new MetagraphError({ netuid, operation, reason: "Rpc", detail: cause instanceof Error ? cause.message : String(cause), cause })
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new MetagraphError({ netuid, operation, reason: "Timeout", detail: `no answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}` }))
      })
    )
  const decode = <T>(operation: string, schema: Schema.Decoder<T>, raw: unknown) =>
    Schema.decodeUnknownEffect(schema)(raw).pipe(
      Effect.mapError((e) => new MetagraphError({ netuid, operation, reason: "Decode", detail: e.message }))
    )

  const header = yield* call("header", () => api.rpc.chain.getHeader())
  const blockHash = header.hash.toHex()
  const block = header.number.toNumber()
  const at: ApiDecoration<"promise"> = yield* call("at", () => api.at(blockHash))

  const exists = yield* call("networksAdded", async () => {
    const f = (at.query as unknown as Record<string, Section | undefined>)["subtensorModule"]?.["networksAdded"]
    return f === undefined ? true : (await f(netuid)).toJSON() === true
  })
  if (!exists) {
    return yield* new MetagraphError({ netuid, operation: "read", reason: "SubnetNotFound", detail: `netuid ${netuid} is not registered at block ${block}` })
  }

  const runtimeApi = (at.call as unknown as Record<string, Record<string, ((n: number) => Promise<{ toJSON(): unknown }>) | undefined> | undefined>)[
    "neuronInfoRuntimeApi"
  ]?.["getNeuronsLite"]
  let neurons: Array<Neuron>
  let source: MetagraphSnapshot["source"]
  if (runtimeApi !== undefined && options.forceStorage !== true) {
    source = "runtimeApi"
    const raw = yield* call("getNeuronsLite", async () => (await runtimeApi(netuid)).toJSON())
    neurons = yield* decodeNeuronsLite(netuid, raw)
  } else {
    source = "storage"
    const sec = (at.query as unknown as Record<string, Section | undefined>)["subtensorModule"]
    const need = ["keys", "owner", "axons", "totalHotkeyAlpha", "active", "lastUpdate", "validatorPermit"] as const
    const missing = need.filter((k) => sec?.[k] === undefined)
    if (sec === undefined || missing.length > 0) {
      return yield* new MetagraphError({ netuid, operation: "storage", reason: "Decode", detail: `runtime has no SubtensorModule.${missing.join(", ")}` })
    }
    const raw = yield* call("storage", async () => {
      const entries = await sec["keys"]!.entries!(netuid)
      const keys = entries
        .map(([k, v]) => [k.args[1]!.toJSON(), v.toJSON()] as const)
        .sort((a, b) => Number(a[0]) - Number(b[0]))
      const hotkeys = keys.map(([, h]) => h)
      const [owners, axons, stakes, active, lastUpdate, validatorPermit] = await Promise.all([
        Promise.all(hotkeys.map((h) => sec["owner"]!(h))),
        Promise.all(hotkeys.map((h) => sec["axons"]!(netuid, h))),
        Promise.all(hotkeys.map((h) => sec["totalHotkeyAlpha"]!(h, netuid))),
        sec["active"]!(netuid),
        sec["lastUpdate"]!(netuid),
        sec["validatorPermit"]!(netuid)
      ])
      return {
        keys,
        owners: owners.map((o) => o.toJSON()),
        axons: axons.map((a) => a.toJSON()),
        stakes: stakes.map((s) => s.toJSON()),
        active: active.toJSON(),
        lastUpdate: lastUpdate.toJSON(),
        validatorPermit: validatorPermit.toJSON()
      }
    })
    const d = yield* decode("storage", RawStorage, raw)
    neurons = yield* Effect.try({
      try: () =>
        d.keys.map(([uid, hotkey], i) =>
          neuron({
            uid,
            hotkey,
            coldkey: d.owners[i]!,
            axon: toAxon(d.axons[i] ?? NO_AXON),
            stakeRao: toBig(d.stakes[i]!),
            validatorPermit: d.validatorPermit[uid] ?? false,
            lastUpdate: Number(toBig(d.lastUpdate[uid] ?? 0)),
            active: d.active[uid] ?? false
          })
        ),
      catch: (cause) => new MetagraphError({ netuid, operation: "storage", reason: "Decode", detail: String(cause), cause })
    })
  }
  neurons.sort((a, b) => a.uid - b.uid)
  const hyperparams = yield* readHyperparams(at, netuid).pipe(
    Effect.timeoutOrElse({
      duration: timeout,
      orElse: () => Effect.fail(new MetagraphError({ netuid, operation: "hyperparams", reason: "Timeout", detail: "hyperparameter read timed out" }))
    })
  )
  return { netuid, block, blockHash, source, neurons, hyperparams }
})

// ---------------------------------------------------------------------------------------------
// Service

export interface MetagraphConfig extends ReadOptions {
  readonly api: ApiPromise
  /** Refresh when the best head is this many blocks past the snapshot (default: the subnet's tempo; 0 = only on demand). */
  readonly refreshBlocks?: number
}

export interface MetagraphShape {
  readonly netuid: number
  /** The last snapshot (taken when the service started, then on every refresh). */
  readonly snapshot: Effect.Effect<MetagraphSnapshot>
  /** Reads now, stores the snapshot, publishes the changes; returns the new snapshot. */
  readonly refresh: () => Effect.Effect<MetagraphSnapshot, MetagraphError | HyperparamsError>
  /** Changes from refreshes after subscription (scoped: subscribe before the refresh you wait for). */
  readonly subscribe: Effect.Effect<PubSub.Subscription<MetagraphChange>, never, Scope.Scope>
  /** The same as a stream. */
  readonly changes: Stream.Stream<MetagraphChange>
}

/**
 * Builds the metagraph (first read now; a failure fails the build) and, with `refreshBlocks`, a
 * scoped background fiber that refreshes on new heads. Refresh errors are logged and retried
 * on the next heads; the head subscription is re-opened if it drops.
 */
export const makeMetagraph = Effect.fn("Metagraph.make")(function*(
  config: MetagraphConfig
): Effect.fn.Return<MetagraphShape, MetagraphError | HyperparamsError, Scope.Scope> {
  const { api, netuid } = config
  const first = yield* readMetagraph(api, config)
  const ref = yield* Ref.make(first)
  const pubsub = yield* PubSub.unbounded<MetagraphChange>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
  const lock = yield* Semaphore.make(1)

  const refresh = Effect.fn("Metagraph.refresh")(function*() {
    const prev = yield* Ref.get(ref)
    const next = yield* readMetagraph(api, config)
    // a stale read (an older head than the snapshot) never replaces a newer snapshot
    if (next.block < prev.block) return prev
    yield* Ref.set(ref, next)
    const changes = diffNeurons(prev.neurons, next.neurons)
    if (changes.length > 0) {
      yield* Effect.logInfo("metagraph changed").pipe(
        Effect.annotateLogs({ netuid, block: next.block, changes: changes.map((c) => `${c._tag}:${c.uid}`).join(",") })
      )
      yield* PubSub.publishAll(pubsub, changes)
    }
    return next
  }, Semaphore.withPermit(lock))

  const refreshBlocks = config.refreshBlocks ?? first.hyperparams.tempo
  if (refreshBlocks > 0) {
    const heads = Stream.callback<number, MetagraphError>((queue) =>
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => api.rpc.chain.subscribeNewHeads((h) => {
            Queue.offerUnsafe(queue, h.number.toNumber())
          }),
          catch: (cause) => new MetagraphError({ netuid, operation: "subscribeNewHeads", reason: "Rpc", detail: String(cause), cause })
        }),
        (unsub) => Effect.sync(() => unsub())
      )
    )
    const loop = heads.pipe(
      Stream.runForEach((head) =>
        Effect.gen(function*() {
          const last = yield* Ref.get(ref)
          if (head - last.block < refreshBlocks) return
          yield* refresh().pipe(
            Effect.catch((e) => Effect.logWarning("metagraph refresh failed").pipe(Effect.annotateLogs({ netuid, error: e.message })))
          )
        })
      ),
      Effect.tapError((e) => Effect.logWarning("head subscription failed").pipe(Effect.annotateLogs({ netuid, error: e.message }))),
      Effect.retry(Schedule.spaced("2 seconds")),
      Effect.onInterrupt(() => Effect.logDebug("metagraph refresh loop stopped").pipe(Effect.annotateLogs({ netuid })))
    )
    yield* Effect.forkScoped(loop)
  }

  return {
    netuid,
    snapshot: Ref.get(ref),
    refresh,
    subscribe: PubSub.subscribe(pubsub),
    changes: Stream.fromPubSub(pubsub)
  }
})

export class Metagraph extends Context.Service<Metagraph, MetagraphShape>()("quorum/chain/Metagraph") {
  static readonly layer = (config: MetagraphConfig): Layer.Layer<Metagraph, MetagraphError | HyperparamsError> =>
    Layer.effect(Metagraph, makeMetagraph(config))
}
