// Reading one subnet's metagraph at one block. Source: the typed runtime API
// `NeuronInfoRuntimeApi.get_neurons_lite(netuid)` (metadata v15, spec 293 and newer); when the runtime lacks
// it, SubtensorModule storage (Keys, Owner, Axons, Active, LastUpdate, ValidatorPermit, TotalHotkeyAlpha).
// Chain JSON is decoded with Effect Schema at the boundary (MetagraphError{reason: "Decode"} on bad data).
// Stake: the hotkey's total ALPHA on this subnet (dynamic TAO, spec ≥ 233), in alpha units (rao / 1e9);
// `stakeRao` keeps the exact u64.
import type { ApiPromise } from "@polkadot/api"
import type { ApiDecoration } from "@polkadot/api/types"
import { Duration, Effect, Schema } from "effect"
import { type HyperparamsError, readHyperparams } from "./Hyperparams.ts"
import { decodeIp } from "./ipCodec.ts"
import type { Axon, MetagraphSnapshot, Neuron } from "./Neurons.ts"

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
