// The one interface the validator uses to talk to miners, whatever the wire protocol
// (bittensor dendrite → axon, or Loosh Fiber). Implementations: Dendrite.ts, fiber/FiberTransport.ts, InProcessTransport.ts.
import { Effect, Schema } from "effect"
import { MinerFailure, type InferenceReply, type InferenceRequest } from "../domain/Inference.ts"
import type { MinerTarget } from "../domain/Miner.ts"

export class MinerError extends Schema.TaggedError<MinerError>()("MinerError", {
  uid: Schema.Number,
  hotkey: Schema.String,
  reason: MinerFailure,
  status: Schema.Number,
  message: Schema.String,
  latencyMs: Schema.NullOr(Schema.Number)
}) {}

export interface MinerTransport {
  readonly protocol: "dendrite" | "fiber"
  /** Sends one inference request; fails with a MinerError for this miner only. */
  readonly query: (
    target: MinerTarget,
    request: InferenceRequest,
    timeoutMs: number
  ) => Effect.Effect<InferenceReply, MinerError>
  /** GET /availability probe: true when the miner says it is available. */
  readonly availability: (target: MinerTarget, timeoutMs: number) => Effect.Effect<boolean, MinerError>
}
