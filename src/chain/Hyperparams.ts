// Subnet hyperparameters that the validator acts on, read from SubtensorModule storage at one block
// (present on spec 293 and on newer runtimes; CommitRevealWeightsVersion only exists on v4-era
// runtimes and is null otherwise). Storage codecs → JSON → Effect Schema, so bad data is a typed
// HyperparamsError rather than a NaN somewhere downstream.
import type { ApiPromise } from "@polkadot/api"
import type { ApiDecoration } from "@polkadot/api/types"
import { Effect, Schema } from "effect"

export class HyperparamsError extends Schema.TaggedError<HyperparamsError>()("HyperparamsError", {
  netuid: Schema.Number,
  reason: Schema.Literals(["Rpc", "Decode", "MissingStorage"]),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return `hyperparameters of netuid ${this.netuid}: ${this.reason}: ${this.detail}. Next: ${
      this.reason === "Rpc" ? "check the node endpoint and retry" : "check that the runtime is a subtensor runtime (spec ≥ 293)"
    }`
  }
}

export interface Hyperparams {
  readonly netuid: number
  /** Blocks per epoch. */
  readonly tempo: number
  /** WeightsSetRateLimit: blocks between two set_weights of one hotkey. */
  readonly weightsRateLimit: number
  /** WeightsVersionKey (u64): set_weights needs version_key ≥ this (unless 0). */
  readonly weightsVersionKey: bigint
  readonly minAllowedWeights: number
  /** MaxWeightsLimit, raw u16 (65535 = no limit). */
  readonly maxWeightsLimit: number
  /** MaxWeightsLimit / 65535, the SDK's `max_weight_limit` fraction. */
  readonly maxWeightLimit: number
  readonly commitRevealEnabled: boolean
  /** CommitRevealWeightsVersion (4 = timelock v4) where the runtime stores it, else null. */
  readonly commitRevealVersion: number | null
  readonly revealPeriodEpochs: number
  readonly activityCutoff: number
  readonly immunityPeriod: number
  readonly maxAllowedUids: number
}

// Storage JSON: small ints are numbers; u64 above 2^53 come as hex strings.
const IntLike = Schema.Union([Schema.Number.check(Schema.isInt()), Schema.String.check(Schema.isPattern(/^(0x[0-9a-fA-F]+|\d+)$/))])

const RawHyperparams = Schema.Struct({
  tempo: Schema.Number,
  weightsSetRateLimit: IntLike,
  weightsVersionKey: IntLike,
  minAllowedWeights: Schema.Number,
  maxWeightsLimit: Schema.Number,
  commitRevealWeightsEnabled: Schema.Boolean,
  commitRevealWeightsVersion: Schema.NullOr(Schema.Number),
  revealPeriodEpochs: IntLike,
  activityCutoff: Schema.Number,
  immunityPeriod: Schema.Number,
  maxAllowedUids: Schema.Number
})

const toNum = (v: number | string): number => (typeof v === "number" ? v : Number(BigInt(v)))

type StorageFn = (...args: Array<unknown>) => Promise<{ toJSON(): unknown }>
type Section = Record<string, StorageFn | undefined>

/** Reads the hyperparameters of `netuid` at `at` (a decorated api at a block, or the api at best head). */
export const readHyperparams = Effect.fn("Hyperparams.read")(function*(
  api: ApiPromise | ApiDecoration<"promise">,
  netuid: number
): Effect.fn.Return<Hyperparams, HyperparamsError> {
  const section = (api.query as unknown as Record<string, Section | undefined>)["subtensorModule"]
  if (section === undefined) {
    return yield* new HyperparamsError({ netuid, reason: "MissingStorage", detail: "runtime has no SubtensorModule storage" })
  }
  const required = [
    "tempo",
    "weightsSetRateLimit",
    "weightsVersionKey",
    "minAllowedWeights",
    "maxWeightsLimit",
    "commitRevealWeightsEnabled",
    "revealPeriodEpochs",
    "activityCutoff",
    "immunityPeriod",
    "maxAllowedUids"
  ] as const
  const missing = required.filter((k) => section[k] === undefined)
  if (missing.length > 0) {
    return yield* new HyperparamsError({ netuid, reason: "MissingStorage", detail: `no SubtensorModule.${missing.join(", ")}` })
  }
  const raw = yield* Effect.tryPromise({
    try: async () => {
      const values = await Promise.all(required.map((k) => section[k]!(netuid)))
      const version = section["commitRevealWeightsVersion"]
      const out: Record<string, unknown> = Object.fromEntries(required.map((k, i) => [k, values[i]!.toJSON()]))
      // a plain StorageValue (not per netuid) on the runtimes that have it
      out["commitRevealWeightsVersion"] = version === undefined ? null : (await version()).toJSON()
      return out
    },
    catch: (cause) => new HyperparamsError({ netuid, reason: "Rpc", detail: "storage read failed", cause })
  })
  const decoded = yield* Schema.decodeUnknownEffect(RawHyperparams)(raw).pipe(
    Effect.mapError((e) => new HyperparamsError({ netuid, reason: "Decode", detail: e.message }))
  )
  return {
    netuid,
    tempo: decoded.tempo,
    weightsRateLimit: toNum(decoded.weightsSetRateLimit),
    weightsVersionKey: BigInt(decoded.weightsVersionKey),
    minAllowedWeights: decoded.minAllowedWeights,
    maxWeightsLimit: decoded.maxWeightsLimit,
    maxWeightLimit: decoded.maxWeightsLimit / 65535,
    commitRevealEnabled: decoded.commitRevealWeightsEnabled,
    commitRevealVersion: decoded.commitRevealWeightsVersion,
    revealPeriodEpochs: toNum(decoded.revealPeriodEpochs),
    activityCutoff: decoded.activityCutoff,
    immunityPeriod: decoded.immunityPeriod,
    maxAllowedUids: decoded.maxAllowedUids
  }
})
