// The one interface the validator uses to talk to miners, whatever the wire protocol
// (bittensor dendrite → axon, or Loosh Fiber). Implementations: DendriteTransport.ts, FiberTransport.ts.
import { Effect, Schema } from "effect"

/** Signs with the validator's hotkey (sr25519). Never exposes the secret. */
export interface HotkeySigner {
  readonly ss58: string
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array
  /** sr25519 signature (64 bytes) over the message bytes. */
  readonly sign: (message: Uint8Array) => Uint8Array
}

/** Where a miner is served, from the metagraph (or the simulated miner registry). */
export interface MinerTarget {
  readonly uid: number
  readonly hotkey: string
  readonly ip: string
  readonly port: number
}

export const ChatMessage = Schema.Struct({
  role: Schema.String,
  content: Schema.NullOr(Schema.String),
  name: Schema.optional(Schema.String),
  tool_call_id: Schema.optional(Schema.String)
})
export type ChatMessage = typeof ChatMessage.Type

export const ToolCallWire = Schema.Struct({
  id: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})
export type ToolCallWire = typeof ToolCallWire.Type

export const Usage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Schema.Number
})
export type Usage = typeof Usage.Type

/** What the validator asks (the InferenceSynapse request fields, plus the challenge id). */
export const InferenceRequest = Schema.Struct({
  challengeId: Schema.String,
  prompt: Schema.String,
  messages: Schema.Array(ChatMessage),
  model: Schema.NullOr(Schema.String),
  max_tokens: Schema.NullOr(Schema.Number),
  temperature: Schema.NullOr(Schema.Number),
  top_p: Schema.NullOr(Schema.Number),
  tools: Schema.Array(Schema.Unknown),
  tool_choice: Schema.NullOr(Schema.Unknown)
})
export type InferenceRequest = typeof InferenceRequest.Type

/** A miner's validated answer. latencyMs is measured by the validator: request sent → last byte. */
export interface InferenceReply {
  readonly responseText: string
  readonly toolCalls: ReadonlyArray<ToolCallWire>
  readonly finishReason: string | null
  readonly usage: Usage | null
  readonly latencyMs: number
  /** HTTP status the miner answered with (200 on success). */
  readonly status: number
  /** Content-Type of the reply, when it came over HTTP (checked by ReplyCaps.ts). */
  readonly contentType?: string | null
}

/** Why a miner query failed; `status` follows the bittensor SDK mapping where one exists. */
export const MinerFailure = Schema.Literals([
  "ConnectError", // 503: connection refused / reset / DNS
  "Timeout", // 408: no complete answer within the deadline
  "Unparsable", // 422: body is not valid JSON / not the expected shape
  "BodyTooLarge", // 413: reply larger than the cap
  "Unauthorized", // 401: signature / nonce / handshake rejected
  "HttpStatus", // any other non-200 status from the miner
  "ProtocolError", // handshake or decryption failure (Fiber), bad headers
  "ReplyRejected" // 422: a field over its cap, insane token counts or a wrong content type (ReplyCaps.ts)
])
export type MinerFailure = typeof MinerFailure.Type

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
