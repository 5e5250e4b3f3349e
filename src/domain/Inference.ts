// The inference wire types every miner protocol carries (dendrite synapse or Fiber challenge): the request
// the validator asks, a miner's validated reply and why a query failed. Schemas where they are decoded.
import { Schema } from "effect"

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
  /** Content-Type of the reply, when it came over HTTP (checked by miners/ReplyCaps.ts). */
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
  "ReplyRejected" // 422: a field over its cap, insane token counts or a wrong content type (miners/ReplyCaps.ts)
])
export type MinerFailure = typeof MinerFailure.Type
