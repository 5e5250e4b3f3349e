// WeightSubmitter: scoring weights (uid → float) → chain. Reads the subnet's weight rules from
// storage, normalizes like the Python SDK (processWeightsForNetuid + convertWeightsAndUidsForEmit),
// pre-checks with the chain's own rules (weightRules.ts), journals the submission BEFORE sending,
// then picks the path the runtime's metadata offers:
//   commit-reveal off → set_weights(netuid, dests, weights, version_key)
//   commit-reveal on, hash mode → commit_weights(blake2b-256 of the SCALE preimage), later
//     reveal_weights in epoch commit_epoch + RevealPeriodEpochs (`revealPending`, survives restarts)
//   commit-reveal on, timelock mode → commit_timelocked_weights(netuid, ct, round, version) when the
//     runtime has it (v4 payload with hotkey), else commit_crv3_weights(netuid, ct, round) (v3 payload)
// Every chain call has a timeout; pool and dispatch refusals become WeightsRejected (ChainErrors.ts).
// Chain calls (timeouts, state read, sign-send-watch) live in WeightsChainCalls.ts; the types in WeightsContract.ts.
import type { ApiPromise } from "@polkadot/api"
import type { KeyringPair } from "@polkadot/keyring/types"
import { u8aToHex } from "@polkadot/util"
import { Clock, Context, Effect, Layer } from "effect"
import { ChainCallError, fromViolations, type WeightCall, WeightsRejected } from "./ChainErrors.ts"
import { commitHash, type EpochParams, randomSalt, revealState, revealWindow } from "./CommitReveal.ts"
import { computeRevealRound, encodePayloadV3, encodePayloadV4, encryptForRound } from "./Timelock.ts"
import { makeOutcomeReconciler } from "./OutcomeReconciler.ts"
import { checkWeights, type WeightCallKind } from "./weightRules.ts"
import { makeChainCalls, txFn } from "./WeightsChainCalls.ts"
import type {
  ChainWeightState,
  CommitMode,
  EmitVector,
  RevealResult,
  SubmitError,
  SubmitOptions,
  SubmitResult,
  WeightSubmitterConfig,
  WeightSubmitterShape
} from "./WeightsContract.ts"
import { NewSubmission, type SubmissionKind, type SubmissionRecord, WeightsJournal, type WeightsJournalShape } from "./WeightsJournal.ts"

// ---------------------------------------------------------------------------------------------
// Implementation

/**
 * The SDK normalization (src/scoring/weights.ts: processWeightsForNetuid +
 * convertWeightsAndUidsForEmit), injected so this module does not fix their exact signatures.
 */
export interface WeightProcessor {
  /** min_allowed fill + normalize_max_weight; weights aligned with uids, non-negative floats. */
  readonly process: (
    uids: ReadonlyArray<number>,
    weights: ReadonlyArray<number>,
    params: { readonly n: number; readonly minAllowedWeights: number; readonly maxWeightLimit: number }
  ) => { readonly uids: ReadonlyArray<number>; readonly weights: ReadonlyArray<number> }
  /** float weights → u16 values, max-normalized to 65535, zeros dropped. */
  readonly emit: (
    uids: ReadonlyArray<number>,
    weights: ReadonlyArray<number>
  ) => { readonly uids: ReadonlyArray<number>; readonly values: ReadonlyArray<number> }
}

export interface WeightSubmitterDeps {
  readonly processor: WeightProcessor
  readonly api: ApiPromise
  readonly signer: KeyringPair
  readonly journal: WeightsJournalShape
  readonly config: WeightSubmitterConfig
}

export const makeWeightSubmitter = (deps: WeightSubmitterDeps): WeightSubmitterShape => {
  const { api, signer, journal, config, processor } = deps
  const netuid = config.netuid
  const hotkey = signer.address

  const { readState, sendAndWatch, rpc } = makeChainCalls(deps)

  const reconciler = makeOutcomeReconciler({ api, journal, netuid, hotkey, rpc })

  const prepare = (weights: ReadonlyMap<number, number>, state: ChainWeightState): EmitVector => {
    // One weight per uid 0..n−1, as SDK validators call it (metagraph.uids): its min_allowed fill is by position.
    const uids = Array.from({ length: state.subnetN }, (_, i) => i)
    const ws = new Array<number>(state.subnetN).fill(0)
    for (const [uid, w] of weights) {
      if (!Number.isInteger(uid) || uid < 0 || uid >= state.subnetN) continue // not on the subnet (any more)
      ws[uid] = Number.isFinite(w) && w > 0 ? w : 0
    }
    const processed = processor.process(uids, ws, {
      n: state.subnetN,
      minAllowedWeights: state.minAllowedWeights,
      maxWeightLimit: state.maxWeightsLimit / 65535
    })
    const emitted = processor.emit(processed.uids, processed.weights)
    return { uids: emitted.uids, values: emitted.values }
  }

  const precheck = (
    kind: WeightCallKind,
    vector: EmitVector,
    state: ChainWeightState,
    versionKey = config.versionKey,
    call: WeightCall = kind === "set" ? "set_weights" : kind === "commit" ? "commit_weights" : "reveal_weights"
  ) => fromViolations({ call, netuid }, checkWeights(kind, state, { uids: vector.uids, values: vector.values, versionKey }))


  const begin = (kind: SubmissionKind, state: ChainWeightState, vector: EmitVector, versionKey: bigint, extra: Partial<{
    salt: ReadonlyArray<number>
    commitHash: string
    revealRound: number
    revealFirstBlock: number
    revealLastBlock: number
    revealsId: number
  }> = {}) =>
    journal.begin(
      new NewSubmission({
        kind,
        netuid,
        hotkey,
        block: state.block,
        versionKey: versionKey.toString(),
        uids: [...vector.uids],
        values: [...vector.values],
        salt: extra.salt ? [...extra.salt] : null,
        commitHash: extra.commitHash ?? null,
        revealRound: extra.revealRound ?? null,
        revealFirstBlock: extra.revealFirstBlock ?? null,
        revealLastBlock: extra.revealLastBlock ?? null,
        revealsId: extra.revealsId ?? null
      })
    )

  const resolveMode = (mode: CommitMode, state: ChainWeightState): "set" | "hash" | "timelock" => {
    if (mode !== "auto") return mode
    if (!state.commitRevealEnabled) return "set"
    return state.calls.commitTimelockedWeights || state.calls.commitCrv3Weights ? "timelock" : "hash"
  }

  const submitWithState = Effect.fn("WeightSubmitter.submitVector")(function*(
    state: ChainWeightState,
    vector: EmitVector,
    options: SubmitOptions & { readonly versionKey?: bigint }
  ): Effect.fn.Return<SubmitResult, SubmitError> {
    const versionKey = options.versionKey ?? config.versionKey
    const mode = resolveMode(options.mode ?? config.mode, state)
    yield* Effect.annotateCurrentSpan({ netuid, mode, n: vector.uids.length })
    const call: WeightCall = mode === "set"
      ? "set_weights"
      : mode === "hash"
      ? "commit_weights"
      : state.calls.commitTimelockedWeights
      ? "commit_timelocked_weights"
      : "commit_crv3_weights"
    // never send again while an earlier submission may still be on chain
    yield* reconciler.ensureResolved(call)
    if (options.bypassPrecheck !== true) {
      const rejected = precheck(mode === "set" ? "set" : "commit", vector, state, versionKey, call)
      if (rejected !== undefined) return yield* Effect.fail(rejected)
    }
    if (mode === "set") {
      const id = yield* begin("set", state, vector, versionKey)
      const tx = txFn(api, "setWeights")(netuid, [...vector.uids], [...vector.values], versionKey)
      const r = yield* sendAndWatch(id, "set_weights", tx)
      return { id, call: "set_weights", kind: "set", uids: vector.uids, values: vector.values, ...r } satisfies SubmitResult
    }
    if (mode === "hash") {
      const salt = randomSalt(config.saltLength)
      const hash = u8aToHex(commitHash({ publicKey: signer.publicKey, netuid, uids: vector.uids, values: vector.values, salt, versionKey }))
      const window = revealWindow(epochParams(state), state.block + 1)
      // Persist salt + vector before sending: a restart must still be able to reveal.
      const id = yield* begin("commit_hash", state, vector, versionKey, {
        salt,
        commitHash: hash,
        revealFirstBlock: window.firstBlock,
        revealLastBlock: window.lastBlock
      })
      const r = yield* sendAndWatch(id, "commit_weights", txFn(api, "commitWeights")(netuid, hash))
      return { id, call: "commit_weights", kind: "commit_hash", uids: vector.uids, values: vector.values, commitHash: hash, revealWindow: window, ...r } satisfies SubmitResult
    }
    // timelock
    const v4 = state.calls.commitTimelockedWeights
    if (!v4 && !state.calls.commitCrv3Weights) {
      return yield* Effect.fail(new WeightsRejected({
        reason: { _tag: "Other" },
        source: "precheck",
        call: "commit_timelocked_weights",
        netuid,
        runtimeError: "NoTimelockCall",
        detail: "the runtime offers neither commit_timelocked_weights nor commit_crv3_weights; use mode hash",
        violations: []
      }))
    }
    const nowSeconds = (yield* Clock.currentTimeMillis) / 1000
    const rr = computeRevealRound({
      netuid,
      tempo: state.tempo,
      currentBlock: state.block,
      revealPeriodEpochs: state.revealPeriodEpochs,
      blockTimeSeconds: config.blockTimeSeconds,
      nowSeconds,
      ...(state.lastStoredDrandRound === null ? {} : { lastStoredRound: state.lastStoredDrandRound })
    })
    const round = options.revealRound ?? rr.round
    const payload = v4
      ? encodePayloadV4(signer.publicKey, { uids: vector.uids, values: vector.values, versionKey })
      : encodePayloadV3({ uids: vector.uids, values: vector.values, versionKey })
    const ct = yield* Effect.try({
      try: () => encryptForRound(payload, round),
      catch: (cause) => new ChainCallError({ operation: "timelock encrypt", cause })
    })
    const id = yield* begin("commit_timelock", state, vector, versionKey, { revealRound: round })
    const tx = v4
      ? txFn(api, "commitTimelockedWeights")(netuid, u8aToHex(ct), round, state.commitRevealVersion ?? 4)
      : txFn(api, "commitCrv3Weights")(netuid, u8aToHex(ct), round)
    const r = yield* sendAndWatch(id, call, tx)
    return { id, call, kind: "commit_timelock", uids: vector.uids, values: vector.values, revealRound: round, ...r } satisfies SubmitResult
  })

  const epochParams = (state: ChainWeightState): EpochParams => ({
    netuid,
    tempo: state.tempo,
    revealPeriodEpochs: state.revealPeriodEpochs
  })

  const submitVector = (vector: EmitVector, options: SubmitOptions & { readonly versionKey?: bigint } = {}) =>
    readState().pipe(Effect.flatMap((state) => submitWithState(state, vector, options)))

  const submit = Effect.fn("WeightSubmitter.submit")(function*(weights: ReadonlyMap<number, number>, options: SubmitOptions = {}) {
    const state = yield* readState()
    return yield* submitWithState(state, prepare(weights, state), options)
  })

  const revealOne = (state: ChainWeightState, c: SubmissionRecord) =>
    Effect.gen(function*() {
      const commitBlock = c.blockNumber ?? c.block + 1
      const st = revealState(epochParams(state), commitBlock, state.block)
      if (st === "too_early") {
        return { _tag: "TooEarly", commitId: c.id, firstBlock: revealWindow(epochParams(state), commitBlock).firstBlock } as const
      }
      if (st === "expired") {
        yield* journal.setRevealStatus(c.id, "expired")
        return { _tag: "Expired", commitId: c.id } as const
      }
      const versionKey = BigInt(c.versionKey)
      const salt = c.salt ?? []
      const id = yield* begin("reveal_hash", state, c, versionKey, { salt, revealsId: c.id })
      const tx = txFn(api, "revealWeights")(netuid, [...c.uids], [...c.values], [...salt], versionKey)
      return yield* sendAndWatch(id, "reveal_weights", tx).pipe(
        Effect.flatMap((r) =>
          journal.setRevealStatus(c.id, "revealed").pipe(
            Effect.as({
              _tag: "Revealed",
              commitId: c.id,
              result: { id, call: "reveal_weights", kind: "reveal_hash", uids: c.uids, values: c.values, ...r } satisfies SubmitResult
            } as const)
          )
        ),
        Effect.catchTags({
          WeightsRejected: (error) => {
            const terminal = error.reason._tag === "CommitExpired" || error.reason._tag === "CommitNotFound"
            return (terminal ? journal.setRevealStatus(c.id, error.reason._tag === "CommitExpired" ? "expired" : "abandoned") : Effect.void)
              .pipe(Effect.as({ _tag: "Failed", commitId: c.id, error } as const))
          },
          TransactionTimeout: (error) => Effect.succeed({ _tag: "Failed", commitId: c.id, error } as const),
          TransactionDropped: (error) => Effect.succeed({ _tag: "Failed", commitId: c.id, error } as const),
          ChainCallError: (error) => Effect.succeed({ _tag: "Failed", commitId: c.id, error } as const)
        })
      )
    })

  const revealPending = Effect.fn("WeightSubmitter.revealPending")(function*() {
    yield* reconciler.reconcile() // an unknown commit that landed becomes revealable
    const pending = yield* journal.pendingReveals(netuid, hotkey)
    if (pending.length === 0) return []
    const state = yield* readState()
    const out: Array<RevealResult> = []
    for (const c of pending) out.push(yield* revealOne(state, c))
    return out
  })

  return {
    readState,
    prepare,
    precheck,
    submit,
    submitVector,
    reconcile: reconciler.reconcile,
    revealPending
  }
}

export class WeightSubmitter extends Context.Service<WeightSubmitter, WeightSubmitterShape>()("quorum/chain/WeightSubmitter") {
  /** Built from an ApiPromise, a signer and a config; needs a WeightsJournal. */
  static readonly layerFrom = (
    api: ApiPromise,
    signer: KeyringPair,
    config: WeightSubmitterConfig,
    processor: WeightProcessor
  ) =>
    Layer.effect(
      WeightSubmitter,
      Effect.gen(function*() {
        const journal = yield* WeightsJournal
        return WeightSubmitter.of(makeWeightSubmitter({ api, signer, journal, config, processor }))
      })
    )
}
