// What the WeightSubmitter (Weights.ts) takes and returns: its config, the chain state it reads before a
// submission, the emitted vector, the results of submit / reveal and the service shape.
import type { Duration, Effect } from "effect"
import { Schema } from "effect"
import type { ChainCallError, TransactionDropped, TransactionTimeout, WeightCall, WeightsRejected } from "./ChainErrors.ts"
import type { WeightCallKind, WeightRuleState } from "./weightRules.ts"
import type { OutcomeUnknown, Resolution } from "./OutcomeReconciler.ts"
import type { JournalError, SubmissionKind } from "./WeightsJournal.ts"

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
