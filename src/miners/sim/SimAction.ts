// What a simulated miner does with one request, independent of the wire protocol.
// Behaviours (Behaviour.ts) produce SimActions; the axon front (dendrite) and the Fiber front
// turn them into HTTP answers (the Fiber front encrypts reply bodies).
import type { InferenceRequest, ToolCallWire, Usage } from "../../domain/Inference.ts"

/** The InferenceSynapse reply fields a well-behaved miner returns. */
export interface SimReply {
  readonly response_text: string
  readonly tool_calls: ReadonlyArray<ToolCallWire>
  readonly finish_reason: string | null
  readonly usage: Usage | null
}

export type SimAction =
  /** A valid answer after `delayMs`. */
  | { readonly kind: "reply"; readonly reply: SimReply; readonly delayMs: number }
  /** Raw bytes with a status (invalid JSON, wrong types, huge bodies), after `delayMs`. */
  | { readonly kind: "raw"; readonly status: number; readonly body: string | Uint8Array; readonly delayMs: number }
  /** Send headers and the first bytes, then trickle the rest over `totalMs` (slow body). */
  | { readonly kind: "slow-body"; readonly reply: SimReply; readonly totalMs: number }
  /** Never answer (the validator's timeout fires). */
  | { readonly kind: "hang" }
  /** Close the connection without an answer. */
  | { readonly kind: "drop" }

/** The request as the simulated miner saw it, after signature/nonce (or Fiber decryption) checks passed. */
export interface SimRequest {
  readonly validatorHotkey: string
  readonly request: Omit<InferenceRequest, "challengeId"> & { readonly challengeId?: string }
}

/** A simulated miner's brain: decides what to do with one verified request. */
export type SimHandler = (req: SimRequest) => Promise<SimAction>
