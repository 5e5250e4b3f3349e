// Typed errors for weight extrinsics, decoded from the three places a refusal can come from:
//  - the validator's own pre-check (weightRules.ts),
//  - the transaction pool ("1010: Invalid Transaction: Custom error: N", subtensor's
//    CustomTransactionError table, common/src/transaction_error.rs),
//  - the dispatch (ExtrinsicFailed with a module error, decoded with the runtime's own metadata
//    through `registry.findMetaError`, so names like `SettingWeightsTooFast` come from the chain).
// All three become one `WeightsRejected` with a tagged `reason` (catch with Effect.catchReason) and
// the runtime's error name, plus a message that says what to do next.
import { Schema } from "effect"
import { describeViolation, type WeightViolation } from "./weightRules.ts"

// ---------------------------------------------------------------------------------------------
// Reasons (tagged, so `Effect.catchReason("WeightsRejected", "RateLimited", …)` works)

export const RateLimited = Schema.TaggedStruct("RateLimited", {
  /** First block at which the call passes the rate limit, when known. */
  nextAllowedBlock: Schema.optional(Schema.Number)
})
export const NoValidatorPermit = Schema.TaggedStruct("NoValidatorPermit", {})
export const NotRegistered = Schema.TaggedStruct("NotRegistered", {})
export const StakeTooLow = Schema.TaggedStruct("StakeTooLow", {})
export const VersionKeyTooLow = Schema.TaggedStruct("VersionKeyTooLow", {
  required: Schema.optional(Schema.String)
})
export const CommitRevealEnabled = Schema.TaggedStruct("CommitRevealEnabled", {})
export const CommitRevealDisabled = Schema.TaggedStruct("CommitRevealDisabled", {})
/** Lengths, duplicates, unknown uids, too few weights, max weight exceeded. */
export const InvalidWeights = Schema.TaggedStruct("InvalidWeights", {})
export const RevealTooEarly = Schema.TaggedStruct("RevealTooEarly", {})
export const CommitExpired = Schema.TaggedStruct("CommitExpired", {})
export const CommitNotFound = Schema.TaggedStruct("CommitNotFound", {})
export const TooManyUnrevealedCommits = Schema.TaggedStruct("TooManyUnrevealedCommits", {})
export const InvalidRevealRound = Schema.TaggedStruct("InvalidRevealRound", {})
export const SubnetNotFound = Schema.TaggedStruct("SubnetNotFound", {})
/** Pool refusals that are not subtensor's own (stale nonce, bad signature, fees, banned). */
export const TransactionInvalid = Schema.TaggedStruct("TransactionInvalid", {})
export const Other = Schema.TaggedStruct("Other", {})

export const WeightRejectReason = Schema.Union([
  RateLimited,
  NoValidatorPermit,
  NotRegistered,
  StakeTooLow,
  VersionKeyTooLow,
  CommitRevealEnabled,
  CommitRevealDisabled,
  InvalidWeights,
  RevealTooEarly,
  CommitExpired,
  CommitNotFound,
  TooManyUnrevealedCommits,
  InvalidRevealRound,
  SubnetNotFound,
  TransactionInvalid,
  Other
])
export type WeightRejectReason = typeof WeightRejectReason.Type
export type WeightRejectReasonTag = WeightRejectReason["_tag"]

export const RejectSource = Schema.Literals(["precheck", "pool", "dispatch"])
export type RejectSource = typeof RejectSource.Type

export const WeightCall = Schema.Literals([
  "set_weights",
  "commit_weights",
  "reveal_weights",
  "commit_crv3_weights",
  "commit_timelocked_weights"
])
export type WeightCall = typeof WeightCall.Type

const NEXT_STEP: Record<WeightRejectReasonTag, string> = {
  RateLimited: "wait until the rate limit has passed (WeightsSetRateLimit blocks since LastUpdate) and retry",
  NoValidatorPermit: "this hotkey has no validator permit: add stake and wait for the next epoch, or use the validator hotkey",
  NotRegistered: "the hotkey is not registered on this subnet: register it or fix the wallet/netuid configuration",
  StakeTooLow: "the hotkey's stake is below StakeThreshold: add stake before setting weights",
  VersionKeyTooLow: "the subnet requires a newer WeightsVersionKey: upgrade the validator",
  CommitRevealEnabled: "commit-reveal is on: resubmit through commit (hash or timelock) instead of set_weights",
  CommitRevealDisabled: "commit-reveal is off: resubmit with set_weights",
  InvalidWeights: "the weight vector breaks a subnet rule: resync the metagraph and re-run processWeightsForNetuid",
  RevealTooEarly: "the reveal window has not opened: retry in the commit epoch + RevealPeriodEpochs",
  CommitExpired: "the commit's reveal window has passed: drop it and commit again",
  CommitNotFound: "no matching commit on chain: drop the journal entry and commit again",
  TooManyUnrevealedCommits: "10 unrevealed commits are pending: reveal or let them expire before committing again",
  InvalidRevealRound: "the drand reveal round is not acceptable to the chain: recompute it from the chain's Drand.LastStoredRound",
  SubnetNotFound: "the netuid does not exist (or is not started): check the configured netuid",
  TransactionInvalid: "the pool refused the transaction (nonce, signature, fees or ban): check the account and retry",
  Other: "unexpected refusal: check the runtime error name and the chain logs"
}

export class WeightsRejected extends Schema.TaggedError<WeightsRejected>()("WeightsRejected", {
  reason: WeightRejectReason,
  source: RejectSource,
  call: WeightCall,
  netuid: Schema.Number,
  /** The runtime's own name (`SubtensorModule.SettingWeightsTooFast`, `Custom(6)`, a pre-check tag). */
  runtimeError: Schema.String,
  detail: Schema.String,
  /** All pre-check violations (first one decides `reason`); empty for chain refusals. */
  violations: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${this.call} on netuid ${this.netuid} rejected (${this.source}: ${this.runtimeError}): ${this.detail}. Next: ${
      NEXT_STEP[this.reason._tag]
    }`
  }
}

/** RPC failure talking to the node (connection, decode, storage read). */
export class ChainCallError extends Schema.TaggedError<ChainCallError>()("ChainCallError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    const c = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `chain call ${this.operation} failed: ${c}. Next: check the node endpoint and connection, then retry`
  }
}

/** The transaction did not reach the expected status in time; it may still land (check the journal). */
export class TransactionTimeout extends Schema.TaggedError<TransactionTimeout>()("TransactionTimeout", {
  call: WeightCall,
  stage: Schema.Literals(["broadcast", "inBlock", "finalized"]),
  timeoutMs: Schema.Number,
  txHash: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.call} not ${this.stage} within ${this.timeoutMs} ms${
      this.txHash ? ` (tx ${this.txHash})` : ""
    }. Next: read LastUpdate / Weights before resubmitting; the extrinsic may still be included`
  }
}

/** The transaction was dropped, usurped or otherwise left the pool without inclusion. */
export class TransactionDropped extends Schema.TaggedError<TransactionDropped>()("TransactionDropped", {
  call: WeightCall,
  status: Schema.String,
  txHash: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.call} left the pool without inclusion (${this.status}). Next: resubmit with a fresh nonce`
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping tables

/** Runtime error name (SubtensorModule) → reason. Unknown names map to Other. */
export const reasonForRuntimeError = (name: string, nextAllowedBlock?: number): WeightRejectReason => {
  switch (name) {
    case "SettingWeightsTooFast":
    case "CommittingWeightsTooFast":
      return RateLimited.make(nextAllowedBlock === undefined ? {} : { nextAllowedBlock })
    case "NeuronNoValidatorPermit":
      return NoValidatorPermit.make({})
    case "HotKeyNotRegisteredInSubNet":
    case "HotKeyNotRegisteredInNetwork":
    case "HotKeyAccountNotExists":
      return NotRegistered.make({})
    case "NotEnoughStakeToSetWeights":
    case "NotEnoughStake":
      return StakeTooLow.make({})
    case "IncorrectWeightVersionKey":
      return VersionKeyTooLow.make({})
    case "CommitRevealEnabled":
      return CommitRevealEnabled.make({})
    case "CommitRevealDisabled":
      return CommitRevealDisabled.make({})
    case "WeightVecNotEqualSize":
    case "InvalidWeightValue":
    case "DuplicateUids":
    case "UidVecContainInvalidOne":
    case "WeightVecLengthIsLow":
    case "MaxWeightExceeded":
    case "UidsLengthExceedUidsInSubNet":
    case "InputLengthsUnequal":
      return InvalidWeights.make({})
    case "RevealTooEarly":
      return RevealTooEarly.make({})
    case "ExpiredWeightCommit":
      return CommitExpired.make({})
    case "NoWeightsCommitFound":
    case "InvalidRevealCommitHashNotMatch":
      return CommitNotFound.make({})
    case "TooManyUnrevealedCommits":
      return TooManyUnrevealedCommits.make({})
    case "SubNetworkDoesNotExist":
    case "SubnetNotExists":
    case "MechanismDoesNotExist":
      return SubnetNotFound.make({})
    default:
      return Other.make({})
  }
}

/** subtensor CustomTransactionError codes (pool validation), spec 293 … current. */
export const CUSTOM_TX_ERRORS: Readonly<Record<number, { name: string; reason: WeightRejectReasonTag }>> = {
  0: { name: "ColdkeyInSwapSchedule", reason: "Other" },
  1: { name: "StakeAmountTooLow", reason: "StakeTooLow" },
  2: { name: "BalanceTooLow", reason: "Other" },
  3: { name: "SubnetNotExists", reason: "SubnetNotFound" },
  4: { name: "HotkeyAccountDoesntExist", reason: "NotRegistered" },
  5: { name: "NotEnoughStakeToWithdraw", reason: "Other" },
  6: { name: "RateLimitExceeded", reason: "RateLimited" },
  10: { name: "HotKeyNotRegisteredInNetwork", reason: "NotRegistered" },
  14: { name: "ZeroMaxAmount", reason: "Other" },
  15: { name: "InvalidRevealRound", reason: "InvalidRevealRound" },
  16: { name: "CommitNotFound", reason: "CommitNotFound" },
  17: { name: "CommitBlockNotInRevealRange", reason: "RevealTooEarly" },
  18: { name: "InputLengthsUnequal", reason: "InvalidWeights" },
  19: { name: "UidNotFound", reason: "NotRegistered" },
  255: { name: "BadRequest", reason: "Other" }
}

const reasonFromTag = (tag: WeightRejectReasonTag): WeightRejectReason => {
  switch (tag) {
    case "RateLimited":
      return RateLimited.make({})
    case "NoValidatorPermit":
      return NoValidatorPermit.make({})
    case "NotRegistered":
      return NotRegistered.make({})
    case "StakeTooLow":
      return StakeTooLow.make({})
    case "VersionKeyTooLow":
      return VersionKeyTooLow.make({})
    case "CommitRevealEnabled":
      return CommitRevealEnabled.make({})
    case "CommitRevealDisabled":
      return CommitRevealDisabled.make({})
    case "InvalidWeights":
      return InvalidWeights.make({})
    case "RevealTooEarly":
      return RevealTooEarly.make({})
    case "CommitExpired":
      return CommitExpired.make({})
    case "CommitNotFound":
      return CommitNotFound.make({})
    case "TooManyUnrevealedCommits":
      return TooManyUnrevealedCommits.make({})
    case "InvalidRevealRound":
      return InvalidRevealRound.make({})
    case "SubnetNotFound":
      return SubnetNotFound.make({})
    case "TransactionInvalid":
      return TransactionInvalid.make({})
    case "Other":
      return Other.make({})
  }
}

export interface ErrorContext {
  readonly call: WeightCall
  readonly netuid: number
}

// ---------------------------------------------------------------------------------------------
// Decoders

/** The pre-check's violations as one error (reason from the first violation, all listed). */
export const fromViolations = (
  ctx: ErrorContext,
  violations: ReadonlyArray<WeightViolation>
): WeightsRejected | undefined => {
  const first = violations[0]
  if (first === undefined) return undefined
  const reason = first._tag === "SettingWeightsTooFast" || first._tag === "CommittingWeightsTooFast"
    ? RateLimited.make({ nextAllowedBlock: first.nextAllowedBlock })
    : first._tag === "IncorrectWeightVersionKey"
    ? VersionKeyTooLow.make({ required: first.required.toString() })
    : reasonForRuntimeError(first._tag)
  return new WeightsRejected({
    ...ctx,
    reason,
    source: "precheck",
    runtimeError: first._tag,
    detail: violations.map(describeViolation).join("; "),
    violations: violations.map((v) => v._tag)
  })
}

/** Parses a pool refusal message ("1010: Invalid Transaction: Custom error: 6"). */
export const parsePoolError = (message: string): { code: number | null; kind: string; custom: number | null } | null => {
  const m = /(\d{4})\s*:?\s*(Invalid Transaction|Unknown Transaction|[^:]*)\s*:?\s*(.*)$/i.exec(message)
  if (m === null) return null
  const code = Number(m[1])
  if (code < 1010 || code > 1019) return null
  const rest = (m[3] ?? "").trim()
  const custom = /Custom error:\s*(\d+)/i.exec(rest)
  return { code, kind: rest.length > 0 ? rest : (m[2] ?? "").trim(), custom: custom ? Number(custom[1]) : null }
}

/** A pool refusal (signAndSend rejection) as WeightsRejected, or undefined if it is not one. */
export const fromPoolError = (ctx: ErrorContext, error: unknown): WeightsRejected | undefined => {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : undefined
  if (message === undefined) return undefined
  const parsed = parsePoolError(message)
  if (parsed === null) return undefined
  if (parsed.custom !== null) {
    const known = CUSTOM_TX_ERRORS[parsed.custom]
    return new WeightsRejected({
      ...ctx,
      reason: reasonFromTag(known?.reason ?? "Other"),
      source: "pool",
      runtimeError: known ? `Custom(${parsed.custom}):${known.name}` : `Custom(${parsed.custom})`,
      detail: message,
      violations: []
    })
  }
  return new WeightsRejected({
    ...ctx,
    reason: TransactionInvalid.make({}),
    source: "pool",
    runtimeError: `${parsed.code}:${parsed.kind}`,
    detail: message,
    violations: []
  })
}

/** Structural view of @polkadot/types DispatchError (so tests need no chain). */
export interface DispatchErrorLike {
  readonly isModule: boolean
  readonly asModule: unknown
  readonly type: string
  toString(): string
}
export interface MetaErrorLookup {
  findMetaError(moduleError: never): { readonly section: string; readonly name: string; readonly docs: ReadonlyArray<string> }
}

/** An ExtrinsicFailed dispatch error, named by the runtime's own metadata. */
export const fromDispatchError = (
  ctx: ErrorContext,
  registry: MetaErrorLookup,
  dispatchError: DispatchErrorLike
): WeightsRejected => {
  if (dispatchError.isModule) {
    try {
      const meta = registry.findMetaError(dispatchError.asModule as never)
      const docs = meta.docs.join(" ").trim()
      return new WeightsRejected({
        ...ctx,
        reason: meta.section.toLowerCase() === "subtensormodule" ? reasonForRuntimeError(meta.name) : Other.make({}),
        source: "dispatch",
        runtimeError: `${meta.section.charAt(0).toUpperCase()}${meta.section.slice(1)}.${meta.name}`,
        detail: docs.length > 0 ? docs : meta.name,
        violations: []
      })
    } catch {
      // metadata without this error: fall through to the raw form
    }
  }
  return new WeightsRejected({
    ...ctx,
    reason: Other.make({}),
    source: "dispatch",
    runtimeError: dispatchError.type,
    detail: dispatchError.toString(),
    violations: []
  })
}
