// Why an asked miner has no answer when the validator, not the miner, is the cause: a restart or a shutdown
// interrupted its round (or left too little of the deadline to ask it again). Such a miner is not judged on
// that round: the aggregate treats it as not asked, so a validator crash costs no miner its score.
import type { MinerScore } from "../scoring/types.ts"

export const UNANSWERED_RESTART = "ValidatorRestarted"
export const UNANSWERED_SHUTDOWN = "ValidatorShutdown"

const VALIDATOR_FAULTS: ReadonlySet<string> = new Set([UNANSWERED_RESTART, UNANSWERED_SHUTDOWN])

/** Whether a response's error tag says the validator, not the miner, left it unanswered. */
const isValidatorFault = (error: string | undefined): boolean => error !== undefined && VALIDATOR_FAULTS.has(error)

/** A miner of a scored round that the round does not judge (its answer is missing through the validator's doing). */
export const excusedFromRound = (m: MinerScore): boolean => m.filtered === "error" && isValidatorFault(m.note)
