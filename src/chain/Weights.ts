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
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import type { KeyringPair } from "@polkadot/keyring/types"
import type { ISubmittableResult } from "@polkadot/types/types"
import { u8aToHex } from "@polkadot/util"
import { Clock, Context, Deferred, Duration, Effect, Layer, Option, Schema } from "effect"
import {
  ChainCallError,
  fromDispatchError,
  fromPoolError,
  fromViolations,
  TransactionDropped,
  TransactionTimeout,
  type WeightCall,
  WeightsRejected
} from "./ChainErrors.ts"
import { commitHash, type EpochParams, randomSalt, revealState, revealWindow } from "./CommitReveal.ts"
import { computeRevealRound, encodePayloadV3, encodePayloadV4, encryptForRound } from "./Timelock.ts"
import { readHyperparams } from "./Hyperparams.ts"
import { makeOutcomeReconciler, type OutcomeUnknown, type Resolution } from "./OutcomeReconciler.ts"
import { checkWeights, type WeightCallKind, type WeightRuleState } from "./weightRules.ts"
import {
  type JournalError,
  NewSubmission,
  type SubmissionKind,
  SubmissionOutcome,
  type SubmissionRecord,
  WeightsJournal,
  type WeightsJournalShape
} from "./WeightsJournal.ts"

// ---------------------------------------------------------------------------------------------
// Config and results

export const CommitMode = Schema.Literals(["auto", "set", "hash", "timelock"])
export type CommitMode = typeof CommitMode.Type

export interface WeightSubmitterConfig {
  readonly netuid: number
  /** Our version key (compared with the subnet's WeightsVersionKey). */
  readonly versionKey: bigint
  /** auto: commit-reveal off → set; on → timelock when the runtime offers it, else hash. */
  readonly mode: CommitMode
  /** Wait for finalization after inclusion (where the chain finalizes); inclusion is always awaited. */
  readonly waitForFinalization: boolean
  readonly rpcTimeout: Duration.Input
  readonly inclusionTimeout: Duration.Input
  readonly finalizationTimeout: Duration.Input
  /** Seconds per block, for the drand reveal round (12 on mainnet). */
  readonly blockTimeSeconds: number
  readonly saltLength: number
}

export const defaultConfig = (netuid: number, versionKey: bigint): WeightSubmitterConfig => ({
  netuid,
  versionKey,
  mode: "auto",
  waitForFinalization: true,
  rpcTimeout: "20 seconds",
  inclusionTimeout: "60 seconds",
  finalizationTimeout: "60 seconds",
  blockTimeSeconds: 12,
  saltLength: 8
})

/** Chain state read before a submission (one netuid, one hotkey). */
export interface ChainWeightState extends WeightRuleState {
  readonly netuid: number
  readonly tempo: number
  readonly revealPeriodEpochs: number
  readonly activityCutoff: number
  readonly lastStoredDrandRound: number | null
  /** Which weight calls the runtime's metadata offers. */
  readonly calls: {
    readonly setWeights: boolean
    readonly commitWeights: boolean
    readonly revealWeights: boolean
    readonly commitCrv3Weights: boolean
    readonly commitTimelockedWeights: boolean
  }
  /** CommitRevealWeightsVersion when the runtime stores it (v4 runtimes), else null. */
  readonly commitRevealVersion: number | null
}

export interface EmitVector {
  readonly uids: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

export interface SubmitResult {
  /** Journal row id. */
  readonly id: number
  readonly call: WeightCall
  readonly kind: SubmissionKind
  readonly uids: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
  readonly blockHash: string
  readonly blockNumber: number
  readonly txHash: string
  readonly finalized: boolean
  /** `section.method` of every event of the extrinsic. */
  readonly events: ReadonlyArray<string>
  readonly commitHash?: string
  readonly revealWindow?: { readonly firstBlock: number; readonly lastBlock: number }
  readonly revealRound?: number
}

export type RevealResult =
  | { readonly _tag: "Revealed"; readonly commitId: number; readonly result: SubmitResult }
  | { readonly _tag: "TooEarly"; readonly commitId: number; readonly firstBlock: number }
  | { readonly _tag: "Expired"; readonly commitId: number }
  | { readonly _tag: "Failed"; readonly commitId: number; readonly error: WeightsRejected | TransactionTimeout | TransactionDropped | ChainCallError }

export interface SubmitOptions {
  /** Skip the local pre-check (the chain's own refusal is then what comes back). */
  readonly bypassPrecheck?: boolean
  /** Override the configured mode for this call. */
  readonly mode?: CommitMode
  /** Timelock only: force the drand reveal round (tests). */
  readonly revealRound?: number
}

export type SubmitError = WeightsRejected | ChainCallError | TransactionTimeout | TransactionDropped | JournalError | OutcomeUnknown

/** Errors after which the extrinsic is known NOT to be on chain (anything else: outcome unknown). */
const outcomeKnownFailed = (error: WeightsRejected | ChainCallError | TransactionTimeout | TransactionDropped): boolean =>
  error._tag === "WeightsRejected" || (error._tag === "TransactionDropped" && error.status !== "FinalityTimeout")

export interface WeightSubmitterShape {
  /** Reads the subnet's weight hyperparameters and this hotkey's neuron state. */
  readonly readState: () => Effect.Effect<ChainWeightState, ChainCallError>
  /** SDK normalization of scoring weights (uid → float) for the given state. */
  readonly prepare: (weights: ReadonlyMap<number, number>, state: ChainWeightState) => EmitVector
  /** Pre-check only: the violations the chain would report, as one error (or none). */
  readonly precheck: (
    kind: WeightCallKind,
    vector: EmitVector,
    state: ChainWeightState,
    versionKey?: bigint
  ) => WeightsRejected | undefined
  /** Full path: normalize, pre-check, journal, send, wait, decode. */
  readonly submit: (weights: ReadonlyMap<number, number>, options?: SubmitOptions) => Effect.Effect<SubmitResult, SubmitError>
  /** Same, for an already emitted u16 vector (no normalization). */
  readonly submitVector: (
    vector: EmitVector,
    options?: SubmitOptions & { readonly versionKey?: bigint }
  ) => Effect.Effect<SubmitResult, SubmitError>
  /** Resolves journal rows with an unknown outcome from chain state (never re-sends them). */
  readonly reconcile: () => Effect.Effect<ReadonlyArray<Resolution>, ChainCallError | JournalError>
  /** Reveals every journaled hash commit whose window is open; marks expired ones. */
  readonly revealPending: () => Effect.Effect<ReadonlyArray<RevealResult>, ChainCallError | JournalError>
}

// ---------------------------------------------------------------------------------------------
// Storage decoding (Schema at the boundary: codecs → JSON → Schema)

const Num = Schema.Union([Schema.Number, Schema.NumberFromString])
const decodeNum = Schema.decodeUnknownSync(Num)
const decodeNumArray = Schema.decodeUnknownSync(Schema.Array(Num))
const decodeBoolArray = Schema.decodeUnknownSync(Schema.Array(Schema.Boolean))
const decodeOptNum = Schema.decodeUnknownSync(Schema.NullOr(Num))

type StorageFn = ((...args: Array<unknown>) => Promise<{ toJSON(): unknown }>) & object
const storage = (api: ApiPromise, section: string, name: string): StorageFn | undefined => {
  const sec = (api.query as unknown as Record<string, Record<string, StorageFn> | undefined>)[section]
  return sec?.[name]
}
const hasCall = (api: ApiPromise, name: string): boolean => {
  const sec = (api.tx as unknown as Record<string, Record<string, unknown> | undefined>)["subtensorModule"]
  return typeof sec?.[name] === "function"
}
type TxFn = (...args: Array<unknown>) => SubmittableExtrinsic<"promise">
const txFn = (api: ApiPromise, name: string): TxFn => {
  const sec = (api.tx as unknown as Record<string, Record<string, TxFn>>)["subtensorModule"]
  const f = sec?.[name]
  if (f === undefined) throw new Error(`runtime has no SubtensorModule.${name}`)
  return f
}

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

  const timed = <A, E>(operation: string, eff: Effect.Effect<A, E>): Effect.Effect<A, E | ChainCallError> =>
    eff.pipe(
      Effect.timeoutOrElse({
        duration: config.rpcTimeout,
        orElse: () =>
          Effect.fail(new ChainCallError({ operation, cause: new Error(`timed out after ${Duration.format(Duration.fromInputUnsafe(config.rpcTimeout))}`) }))
      })
    )
  const rpc = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, ChainCallError> =>
    timed(operation, Effect.tryPromise({ try: f, catch: (cause) => new ChainCallError({ operation, cause }) }))

  const reconciler = makeOutcomeReconciler({ api, journal, netuid, hotkey, rpc })

  const readJson = (section: string, name: string, ...args: Array<unknown>) =>
    rpc(`query ${section}.${name}`, async () => {
      const f = storage(api, section, name)
      if (f === undefined) return undefined
      return (await f(...args)).toJSON()
    })

  const readState = Effect.fn("WeightSubmitter.readState")(function*() {
    const header = yield* rpc("chain.getHeader", () => api.rpc.chain.getHeader())
    const block = header.number.toNumber()
    // the subnet's weight hyperparameters come from the one reader the metagraph uses too
    const [hp, uidJ, nJ, permitsJ, lastJ, drandJ] = yield* Effect.all(
      [
        timed(
          "read hyperparameters",
          readHyperparams(api, netuid).pipe(Effect.mapError((cause) => new ChainCallError({ operation: "read hyperparameters", cause })))
        ),
        readJson("subtensorModule", "uids", netuid, hotkey),
        readJson("subtensorModule", "subnetworkN", netuid),
        readJson("subtensorModule", "validatorPermit", netuid),
        readJson("subtensorModule", "lastUpdate", netuid),
        readJson("drand", "lastStoredRound")
      ],
      { concurrency: "unbounded" }
    )
    return yield* Effect.try({
      try: (): ChainWeightState => {
        const hotkeyUid = decodeOptNum(uidJ ?? null)
        const permits = decodeBoolArray(permitsJ ?? [])
        const lastUpdates = decodeNumArray(lastJ ?? [])
        return {
          netuid,
          block,
          subnetN: decodeNum(nJ ?? 0),
          hotkeyUid,
          validatorPermit: hotkeyUid === null ? false : permits[hotkeyUid] ?? false,
          lastUpdate: hotkeyUid === null ? 0 : lastUpdates[hotkeyUid] ?? 0,
          weightsRateLimit: hp.weightsRateLimit,
          weightsVersionKey: hp.weightsVersionKey,
          minAllowedWeights: hp.minAllowedWeights,
          maxWeightsLimit: hp.maxWeightsLimit,
          commitRevealEnabled: hp.commitRevealEnabled,
          tempo: hp.tempo,
          revealPeriodEpochs: hp.revealPeriodEpochs,
          activityCutoff: hp.activityCutoff,
          lastStoredDrandRound: drandJ === undefined || drandJ === null ? null : decodeNum(drandJ),
          commitRevealVersion: hp.commitRevealVersion,
          calls: {
            setWeights: hasCall(api, "setWeights"),
            commitWeights: hasCall(api, "commitWeights"),
            revealWeights: hasCall(api, "revealWeights"),
            commitCrv3Weights: hasCall(api, "commitCrv3Weights"),
            commitTimelockedWeights: hasCall(api, "commitTimelockedWeights")
          }
        }
      },
      catch: (cause) => new ChainCallError({ operation: "decode weight state", cause })
    })
  })

  const prepare = (weights: ReadonlyMap<number, number>, state: ChainWeightState): EmitVector => {
    const uids: Array<number> = []
    const ws: Array<number> = []
    for (const [uid, w] of [...weights.entries()].sort((a, b) => a[0] - b[0])) {
      if (!Number.isInteger(uid) || uid < 0 || uid >= state.subnetN) continue // not on the subnet (any more)
      uids.push(uid)
      ws.push(Number.isFinite(w) && w > 0 ? w : 0)
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

  /** Signs, sends and waits; journal row `id` already exists. */
  const sendAndWatch = (id: number, call: WeightCall, tx: SubmittableExtrinsic<"promise">) =>
    Effect.gen(function*() {
      const inBlock = yield* Deferred.make<ISubmittableResult, WeightsRejected | TransactionDropped>()
      const finalized = yield* Deferred.make<ISubmittableResult>()
      const txHash = tx.hash.toHex()
      const unsub = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () =>
            tx.signAndSend(signer, { nonce: -1 }, (result: ISubmittableResult) => {
              const s = result.status
              if (s.isInBlock) Deferred.doneUnsafe(inBlock, Effect.succeed(result))
              else if (s.isFinalized) {
                Deferred.doneUnsafe(inBlock, Effect.succeed(result))
                Deferred.doneUnsafe(finalized, Effect.succeed(result))
              } else if (s.isDropped || s.isInvalid || s.isUsurped || s.isFinalityTimeout) {
                Deferred.doneUnsafe(inBlock, Effect.fail(new TransactionDropped({ call, status: s.type, txHash })))
              }
            }),
          catch: (cause) =>
            fromPoolError({ call, netuid }, cause) ?? new ChainCallError({ operation: `submit ${call}`, cause })
        }).pipe(
          Effect.timeoutOrElse({
            duration: config.rpcTimeout,
            orElse: () => Effect.fail(new TransactionTimeout({ call, stage: "broadcast", timeoutMs: Duration.toMillis(Duration.fromInputUnsafe(config.rpcTimeout)), txHash }))
          })
        ),
        (u) => Effect.sync(() => u())
      )
      void unsub
      const included = yield* Deferred.await(inBlock).pipe(
        Effect.timeoutOrElse({
          duration: config.inclusionTimeout,
          orElse: () =>
            Effect.fail(new TransactionTimeout({ call, stage: "inBlock", timeoutMs: Duration.toMillis(Duration.fromInputUnsafe(config.inclusionTimeout)), txHash }))
        })
      )
      const blockHash = included.status.isInBlock ? included.status.asInBlock.toHex() : included.status.asFinalized.toHex()
      let isFinal = included.status.isFinalized
      if (!isFinal && config.waitForFinalization) {
        const fin = yield* Deferred.await(finalized).pipe(Effect.timeoutOption(config.finalizationTimeout))
        isFinal = Option.isSome(fin)
      }
      const blockNumber = (yield* rpc("chain.getHeader(block)", () => api.rpc.chain.getHeader(blockHash))).number.toNumber()
      const events = included.events.map((e) => `${e.event.section}.${e.event.method}`)
      return { blockHash, blockNumber, txHash, finalized: isFinal, events, dispatchError: included.dispatchError }
    }).pipe(
      Effect.scoped,
      Effect.tapError((error) =>
        journal.finish(
          id,
          new SubmissionOutcome({
            // a refusal is a known failure; a lost connection or a timeout after sending is not: the
            // extrinsic may be in a block (OutcomeReconciler.ts decides from chain state)
            status: outcomeKnownFailed(error) ? "failed" : "unknown",
            blockHash: null,
            blockNumber: null,
            txHash: "txHash" in error && typeof error.txHash === "string" ? error.txHash : null,
            finalized: false,
            errorTag: error._tag,
            errorDetail: error._tag === "WeightsRejected" ? error.runtimeError : error.message
          })
        ).pipe(Effect.ignore)
      ),
      Effect.flatMap((r) => {
        const rejected = r.dispatchError === undefined
          ? undefined
          : fromDispatchError({ call, netuid }, api.registry, r.dispatchError)
        return journal.finish(
          id,
          new SubmissionOutcome({
            status: rejected === undefined ? "included" : "failed",
            blockHash: r.blockHash,
            blockNumber: r.blockNumber,
            txHash: r.txHash,
            finalized: r.finalized,
            errorTag: rejected === undefined ? null : rejected._tag,
            errorDetail: rejected === undefined ? null : rejected.runtimeError
          })
        ).pipe(Effect.andThen(rejected === undefined ? Effect.succeed(r) : Effect.fail(rejected)))
      })
    )

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
