// Pure pre-checks for weight extrinsics, mirroring subtensor's own rules (pallets/subtensor
// subnets/weights.rs `do_set_weights`, `do_commit_weights`, dispatch `set_weights`; runtime spec 293+).
// The validator runs them BEFORE signing so it knows why the chain would refuse, without paying a
// round trip. No Effect, no I/O: the caller supplies a snapshot of the chain state.
//
// Violation tags are the runtime's own error names (SubtensorModule.<Name>) so a pre-check failure
// and the chain's dispatch error map to the same `WeightsRejected.reason` (see ChainErrors.ts).

export const U16_MAX = 65535

/**
 * Which extrinsic the vector is meant for. `reveal` is checked like `set` minus the rate limit (the
 * chain skips it with commit-reveal on); `commit` gets the commit rules plus the rules its reveal
 * will face (a commit that cannot be revealed is wasted).
 */
export type WeightCallKind = "set" | "commit" | "reveal"

/** Chain state the rules need (one netuid, one hotkey), as read just before submitting. */
export interface WeightRuleState {
  /** Current best block number. */
  readonly block: number
  /** SubnetworkN: number of uids on the subnet. */
  readonly subnetN: number
  /** The submitting hotkey's uid on this subnet, or null when it is not registered. */
  readonly hotkeyUid: number | null
  /** ValidatorPermit[netuid][uid] of the submitting hotkey. */
  readonly validatorPermit: boolean
  /** LastUpdate[netuid][uid] of the submitting hotkey (0 = never set). */
  readonly lastUpdate: number
  readonly weightsRateLimit: number
  /** WeightsVersionKey (0 = any version accepted). */
  readonly weightsVersionKey: number | bigint
  readonly minAllowedWeights: number
  /** MaxWeightsLimit as u16 (65535 = no limit). */
  readonly maxWeightsLimit: number
  readonly commitRevealEnabled: boolean
  /** Stake of the hotkey on the subnet and StakeThreshold, when known (rao; both or neither). */
  readonly stake?: { readonly amount: bigint; readonly threshold: bigint }
}

export interface WeightVector {
  readonly uids: ReadonlyArray<number>
  /** u16 values (as the chain receives them, not yet max-upscaled). */
  readonly values: ReadonlyArray<number>
  readonly versionKey: number | bigint
}

export type WeightViolation =
  | { readonly _tag: "CommitRevealEnabled" }
  | { readonly _tag: "CommitRevealDisabled" }
  | { readonly _tag: "WeightVecNotEqualSize"; readonly uids: number; readonly values: number }
  | { readonly _tag: "InvalidWeightValue"; readonly index: number; readonly value: number }
  | { readonly _tag: "UidsLengthExceedUidsInSubNet"; readonly length: number; readonly subnetN: number }
  | { readonly _tag: "HotKeyNotRegisteredInSubNet" }
  | { readonly _tag: "NotEnoughStakeToSetWeights"; readonly stake: bigint; readonly threshold: bigint }
  | { readonly _tag: "IncorrectWeightVersionKey"; readonly versionKey: bigint; readonly required: bigint }
  | {
    readonly _tag: "SettingWeightsTooFast" | "CommittingWeightsTooFast"
    readonly block: number
    readonly lastUpdate: number
    readonly rateLimit: number
    /** First block at which the call passes the rate limit. */
    readonly nextAllowedBlock: number
  }
  | { readonly _tag: "NeuronNoValidatorPermit"; readonly uid: number }
  | { readonly _tag: "DuplicateUids"; readonly duplicates: ReadonlyArray<number> }
  | { readonly _tag: "UidVecContainInvalidOne"; readonly invalid: ReadonlyArray<number> }
  | { readonly _tag: "WeightVecLengthIsLow"; readonly length: number; readonly minRequired: number }
  | { readonly _tag: "MaxWeightExceeded"; readonly maxShare: number; readonly limitShare: number }

export type WeightViolationTag = WeightViolation["_tag"]

const isU16 = (v: number) => Number.isInteger(v) && v >= 0 && v <= U16_MAX

/** The chain's self-weight exemption: exactly one weight, on the caller's own uid. */
export const isSelfWeight = (uid: number | null, uids: ReadonlyArray<number>, values: ReadonlyArray<number>) =>
  uid !== null && values.length === 1 && uids[0] === uid

/** `block - lastUpdate >= rateLimit`, with lastUpdate 0 meaning "never set" (always allowed). */
export const rateLimitPasses = (block: number, lastUpdate: number, rateLimit: number) =>
  lastUpdate === 0 || Math.max(0, block - lastUpdate) >= rateLimit

/** Largest share w/Σw of the vector (the chain's `check_vec_max_limited` after max-upscaling). */
export const maxShare = (values: ReadonlyArray<number>): number => {
  let sum = 0
  let max = 0
  for (const v of values) {
    sum += v
    if (v > max) max = v
  }
  return sum === 0 ? 0 : max / sum
}

/**
 * Every rule the chain would apply to this call, in the chain's own order. An empty list means the
 * runtime's checks pass for this snapshot (the block may still move on before inclusion).
 */
export const checkWeights = (
  kind: WeightCallKind,
  state: WeightRuleState,
  vector: WeightVector
): Array<WeightViolation> => {
  const out: Array<WeightViolation> = []
  const { uids, values } = vector
  if (kind === "set" && state.commitRevealEnabled) out.push({ _tag: "CommitRevealEnabled" })
  if (kind !== "set" && !state.commitRevealEnabled) out.push({ _tag: "CommitRevealDisabled" })

  if (uids.length !== values.length) {
    out.push({ _tag: "WeightVecNotEqualSize", uids: uids.length, values: values.length })
  }
  values.forEach((value, index) => {
    if (!isU16(value)) out.push({ _tag: "InvalidWeightValue", index, value })
  })
  if (uids.length > state.subnetN) {
    out.push({ _tag: "UidsLengthExceedUidsInSubNet", length: uids.length, subnetN: state.subnetN })
  }
  const uid = state.hotkeyUid
  if (uid === null) {
    out.push({ _tag: "HotKeyNotRegisteredInSubNet" })
    return out // every remaining rule needs the caller's uid
  }
  if (state.stake !== undefined && state.stake.amount < state.stake.threshold) {
    out.push({ _tag: "NotEnoughStakeToSetWeights", stake: state.stake.amount, threshold: state.stake.threshold })
  }
  const required = BigInt(state.weightsVersionKey)
  const ours = BigInt(vector.versionKey)
  if (required !== 0n && ours < required) {
    out.push({ _tag: "IncorrectWeightVersionKey", versionKey: ours, required })
  }
  // set_weights checks the rate limit only with commit-reveal off; commits are rate limited too.
  const rateLimited = kind === "commit" || (kind === "set" && !state.commitRevealEnabled)
  if (rateLimited && !rateLimitPasses(state.block, state.lastUpdate, state.weightsRateLimit)) {
    out.push({
      _tag: kind === "commit" ? "CommittingWeightsTooFast" : "SettingWeightsTooFast",
      block: state.block,
      lastUpdate: state.lastUpdate,
      rateLimit: state.weightsRateLimit,
      nextAllowedBlock: state.lastUpdate + state.weightsRateLimit
    })
  }
  // A commit is checked against the rules its reveal will face too: a commit that cannot be
  // revealed is wasted (and still counts against the rate limit).
  const self = isSelfWeight(uid, uids, values)
  if (!self && !state.validatorPermit) out.push({ _tag: "NeuronNoValidatorPermit", uid })

  const seen = new Set<number>()
  const dups = new Set<number>()
  for (const u of uids) {
    if (seen.has(u)) dups.add(u)
    seen.add(u)
  }
  if (dups.size > 0) out.push({ _tag: "DuplicateUids", duplicates: [...dups].sort((a, b) => a - b) })

  const invalid = [...seen].filter((u) => !Number.isInteger(u) || u < 0 || u >= state.subnetN).sort((a, b) => a - b)
  if (invalid.length > 0) out.push({ _tag: "UidVecContainInvalidOne", invalid })

  const minRequired = Math.min(state.minAllowedWeights, state.subnetN)
  if (!self && values.length < minRequired) {
    out.push({ _tag: "WeightVecLengthIsLow", length: values.length, minRequired })
  }
  if (!self && state.maxWeightsLimit < U16_MAX) {
    const share = maxShare(values)
    const limitShare = state.maxWeightsLimit / U16_MAX
    // The chain compares in I32F32 fixed point; allow one ulp of float noise.
    if (share > limitShare + 1e-9) out.push({ _tag: "MaxWeightExceeded", maxShare: share, limitShare })
  }
  return out
}

/** What to tell the operator for each violation: the next step, not just the symptom. */
export const describeViolation = (v: WeightViolation): string => {
  switch (v._tag) {
    case "CommitRevealEnabled":
      return "commit-reveal is on for this subnet: submit with commit (hash or timelock), not set_weights"
    case "CommitRevealDisabled":
      return "commit-reveal is off for this subnet: use set_weights instead of commit/reveal"
    case "WeightVecNotEqualSize":
      return `uids (${v.uids}) and values (${v.values}) differ in length: fix the weight conversion`
    case "InvalidWeightValue":
      return `value #${v.index} (${v.value}) is not a u16: convert weights with convertWeightsAndUidsForEmit`
    case "UidsLengthExceedUidsInSubNet":
      return `${v.length} weights for a subnet of ${v.subnetN} uids: resync the metagraph before submitting`
    case "HotKeyNotRegisteredInSubNet":
      return "the hotkey is not registered on this subnet: register it (burned_register) or fix the wallet/netuid"
    case "NotEnoughStakeToSetWeights":
      return `stake ${v.stake} rao is below StakeThreshold ${v.threshold}: add stake to the hotkey`
    case "IncorrectWeightVersionKey":
      return `version key ${v.versionKey} is below the subnet's WeightsVersionKey ${v.required}: upgrade the validator`
    case "SettingWeightsTooFast":
    case "CommittingWeightsTooFast":
      return `rate limited (last update ${v.lastUpdate}, limit ${v.rateLimit} blocks): retry at block ${v.nextAllowedBlock}`
    case "NeuronNoValidatorPermit":
      return `uid ${v.uid} has no validator permit: stake more, wait for the next epoch's permits`
    case "DuplicateUids":
      return `duplicate uids ${v.duplicates.join(",")}: deduplicate before emitting`
    case "UidVecContainInvalidOne":
      return `uids ${v.invalid.join(",")} do not exist on the subnet: resync the metagraph`
    case "WeightVecLengthIsLow":
      return `${v.length} weights, the subnet needs at least ${v.minRequired}: process with processWeightsForNetuid`
    case "MaxWeightExceeded":
      return `largest share ${v.maxShare.toFixed(6)} exceeds MaxWeightsLimit ${v.limitShare.toFixed(6)}: apply normalizeMaxWeight`
  }
}
