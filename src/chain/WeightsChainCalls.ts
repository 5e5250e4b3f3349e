// The WeightSubmitter's chain calls: every RPC with a timeout, the weight state read from storage (decoded
// with Schema at the boundary) and an extrinsic signed, sent and watched to inclusion, its outcome journaled.
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import type { KeyringPair } from "@polkadot/keyring/types"
import type { ISubmittableResult } from "@polkadot/types/types"
import { Deferred, Duration, Effect, Option, Schema } from "effect"
import { ChainCallError, fromDispatchError, fromPoolError, TransactionDropped, TransactionTimeout, type WeightCall, type WeightsRejected } from "./ChainErrors.ts"
import { readHyperparams } from "./Hyperparams.ts"
import type { ChainWeightState, WeightSubmitterConfig } from "./WeightsContract.ts"
import { SubmissionOutcome, type WeightsJournalShape } from "./WeightsJournal.ts"

/** Errors after which the extrinsic is known NOT to be on chain (anything else: outcome unknown). */
const outcomeKnownFailed = (error: WeightsRejected | ChainCallError | TransactionTimeout | TransactionDropped): boolean =>
  error._tag === "WeightsRejected" || (error._tag === "TransactionDropped" && error.status !== "FinalityTimeout")

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
export type TxFn = (...args: Array<unknown>) => SubmittableExtrinsic<"promise">
export const txFn = (api: ApiPromise, name: string): TxFn => {
  const sec = (api.tx as unknown as Record<string, Record<string, TxFn>>)["subtensorModule"]
  const f = sec?.[name]
  if (f === undefined) throw new Error(`runtime has no SubtensorModule.${name}`)
  return f
}


export interface ChainCallDeps {
  readonly api: ApiPromise
  readonly signer: KeyringPair
  readonly journal: WeightsJournalShape
  readonly config: WeightSubmitterConfig
}

export const makeChainCalls = (deps: ChainCallDeps) => {
  const { api, signer, journal, config } = deps
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


  return { timed, rpc, readState, sendAndWatch }
}
