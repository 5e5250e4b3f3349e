// Miner weights as the validator hands them to the chain, and what a submission reports back.

/** One miner's long-run weight (a float; the chain layer normalizes to u16). */
export interface MinerWeight {
  readonly uid: number
  readonly weight: number
}

/** A submission that went through: how (set / commit / dry-run), where, and for whom. */
export interface SubmitOutcome {
  readonly kind: string
  readonly blockHash: string | null
  readonly uids: ReadonlyArray<number>
}

/** A submission that did not: the typed reason and what to do next. */
export interface SubmitFailure {
  readonly _tag: string
  readonly message: string
}
