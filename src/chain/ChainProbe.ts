// What the operator console reads from the chain, every call with a timeout: connected, best block, our
// LastUpdate and the subnet's activity cutoff (→ blocks since our last weights update, blocks left before
// the cutoff), and every validator's weights and stake (→ the Yuma consensus and our vtrust estimate).
import type { ApiPromise } from "@polkadot/api"
import { Effect, Schema } from "effect"
import type { ValidatorWeights } from "../scoring/yuma.ts"

export class ChainProbeError extends Schema.TaggedError<ChainProbeError>()("ChainProbeError", {
  operation: Schema.String,
  message: Schema.String
}) {}

export interface ChainStatus {
  readonly connected: boolean
  readonly bestBlock: number | null
  /** Our hotkey's LastUpdate (block of our last weights update), null when unknown. */
  readonly lastUpdate: number | null
  readonly activityCutoff: number | null
  readonly blocksSinceUpdate: number | null
  readonly blocksToCutoff: number | null
  readonly at: number
}

export interface ChainProbe {
  readonly status: Effect.Effect<ChainStatus, ChainProbeError>
  /** Validators (permit holders) with their stake and weight rows, for the consensus estimate. */
  readonly validatorWeights: Effect.Effect<ReadonlyArray<ValidatorWeights>, ChainProbeError>
  readonly ourUid: number
  /** uid → stake (alpha) of every neuron, from the metagraph snapshot. */
  readonly stakes: Effect.Effect<ReadonlyMap<number, number>>
  /** Forces a reconnect of the websocket (the watchdog's first remedy). */
  readonly reconnect: Effect.Effect<void>
}

type Query = (...args: Array<unknown>) => Promise<{ toJSON(): unknown }>
type Section = Record<string, (Query & { entries?: (...a: Array<unknown>) => Promise<Array<[{ args: Array<{ toJSON(): unknown }> }, { toJSON(): unknown }]>> }) | undefined>

const U64s = Schema.Array(Schema.Union([Schema.Number, Schema.String]))
const Pairs = Schema.Array(Schema.Tuple([Schema.Number, Schema.Number]))

export interface ChainProbeInput {
  readonly api: ApiPromise
  readonly netuid: number
  readonly ourUid: number
  /** uid → stake (alpha) and permit, from the metagraph snapshot. */
  readonly neurons: Effect.Effect<ReadonlyArray<{ readonly uid: number; readonly stake: number; readonly validatorPermit: boolean }>>
  readonly timeoutMs?: number
}

export const makeChainProbe = (i: ChainProbeInput): ChainProbe => {
  const timeoutMs = i.timeoutMs ?? 10_000
  const call = <A>(operation: string, f: () => Promise<A>) =>
    Effect.tryPromise({
      try: f,
      catch: (e) => new ChainProbeError({ operation, message: `${operation} failed: ${String(e)}` })
    }).pipe(
      Effect.timeoutOrElse({
        duration: `${timeoutMs} millis`,
        orElse: () => Effect.fail(new ChainProbeError({ operation, message: `${operation} did not answer within ${timeoutMs} ms` }))
      })
    )
  const sec = () => (i.api.query as unknown as Record<string, Section | undefined>)["subtensorModule"] ?? {}

  const status = Effect.gen(function* () {
    const connected = i.api.isConnected
    const at = Date.now()
    if (!connected) return { connected, bestBlock: null, lastUpdate: null, activityCutoff: null, blocksSinceUpdate: null, blocksToCutoff: null, at }
    const header = yield* call("getHeader", () => i.api.rpc.chain.getHeader())
    const bestBlock = header.number.toNumber()
    const s = sec()
    const [lastUpdates, cutoff] = yield* call("lastUpdate/activityCutoff", () =>
      Promise.all([s["lastUpdate"]!(i.netuid).then((v) => v.toJSON()), s["activityCutoff"]!(i.netuid).then((v) => v.toJSON())])
    )
    const lu = Schema.decodeUnknownOption(U64s)(lastUpdates)
    const lastUpdate = lu._tag === "Some" && lu.value[i.ourUid] !== undefined ? Number(lu.value[i.ourUid]) : null
    const activityCutoff = typeof cutoff === "number" ? cutoff : null
    const blocksSinceUpdate = lastUpdate === null || lastUpdate === 0 ? null : bestBlock - lastUpdate
    return {
      connected,
      bestBlock,
      lastUpdate,
      activityCutoff,
      blocksSinceUpdate,
      blocksToCutoff: blocksSinceUpdate === null || activityCutoff === null ? null : activityCutoff - blocksSinceUpdate,
      at
    }
  })

  const validatorWeights = Effect.gen(function* () {
    const neurons = yield* i.neurons
    const s = sec()
    const entries = yield* call("weights.entries", () => s["weights"]!.entries!(i.netuid))
    const rows = new Map<number, Map<number, number>>()
    for (const [k, v] of entries) {
      const uid = Number(k.args[1]?.toJSON())
      const pairs = Schema.decodeUnknownOption(Pairs)(v.toJSON())
      if (pairs._tag === "Some") rows.set(uid, new Map(pairs.value.map(([j, w]) => [j, w] as const)))
    }
    return neurons
      .filter((n) => n.validatorPermit && rows.has(n.uid))
      .map((n) => ({ uid: n.uid, stake: n.stake, weights: rows.get(n.uid)! }))
  })

  const reconnect = Effect.tryPromise(async () => {
    await i.api.disconnect()
    await i.api.connect()
  }).pipe(
    Effect.timeoutOption(`${timeoutMs} millis`),
    Effect.catch((e) => Effect.logWarning("chain reconnect failed", { message: String(e) })),
    Effect.asVoid
  )

  const stakes = i.neurons.pipe(Effect.map((ns) => new Map(ns.map((n) => [n.uid, n.stake] as const))))
  return { status, validatorWeights, ourUid: i.ourUid, stakes, reconnect }
}
