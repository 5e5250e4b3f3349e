// Bounds on what a miner may answer, per field, checked on every decoded reply before it is stored or
// scored: a reply over a cap (a 1,000,000-character text, a 100k-character finish reason, 20 tool calls
// with 10k-character names), with insane token counts (negative, fractional, 1e308) or with the wrong
// content type becomes a typed MinerError (ReplyRejected, 422): the error is stored, not the payload.
// Defaults are far above what a real LLM answer reaches (a 32k-token answer is ~130k characters).
import { Effect } from "effect"
import type { InferenceReply } from "../domain/Inference.ts"
import type { MinerTarget } from "../domain/Miner.ts"
import { MinerError, type MinerTransport } from "./Transport.ts"

export interface ReplyCaps {
  readonly maxTextChars: number
  readonly maxFinishReasonChars: number
  readonly maxToolCalls: number
  readonly maxToolNameChars: number
  readonly maxToolArgumentsChars: number
  /** Each usage count must be an integer in [0, maxTokens]. */
  readonly maxTokens: number
  /** Accepted reply media types per protocol (compared without parameters, case-insensitive). */
  readonly contentTypes: { readonly dendrite: ReadonlyArray<string>; readonly fiber: ReadonlyArray<string> }
}

export const DEFAULT_REPLY_CAPS: ReplyCaps = {
  maxTextChars: 200_000,
  maxFinishReasonChars: 64,
  maxToolCalls: 16,
  maxToolNameChars: 128,
  maxToolArgumentsChars: 32_768,
  maxTokens: 10_000_000,
  contentTypes: {
    dendrite: ["application/json"],
    // the Fernet token: the reference answers octet-stream; text and JSON string bodies are seen too
    fiber: ["application/octet-stream", "text/plain", "application/json"]
  }
}

/** What is wrong with a reply (the first violation), or undefined when it is within every cap. */
export const replyViolation = (
  reply: InferenceReply,
  caps: ReplyCaps,
  protocol: MinerTransport["protocol"] | "in-process"
): string | undefined => {
  if (reply.responseText.length > caps.maxTextChars) return `response_text has ${reply.responseText.length} characters (cap ${caps.maxTextChars})`
  if (reply.finishReason !== null && reply.finishReason.length > caps.maxFinishReasonChars) {
    return `finish_reason has ${reply.finishReason.length} characters (cap ${caps.maxFinishReasonChars})`
  }
  if (reply.toolCalls.length > caps.maxToolCalls) return `${reply.toolCalls.length} tool calls (cap ${caps.maxToolCalls})`
  for (const [i, t] of reply.toolCalls.entries()) {
    if (t.function.name.length > caps.maxToolNameChars) return `tool call ${i} name has ${t.function.name.length} characters (cap ${caps.maxToolNameChars})`
    if (t.function.arguments.length > caps.maxToolArgumentsChars) {
      return `tool call ${i} arguments have ${t.function.arguments.length} characters (cap ${caps.maxToolArgumentsChars})`
    }
    if ((t.id?.length ?? 0) > caps.maxToolNameChars) return `tool call ${i} id is over ${caps.maxToolNameChars} characters`
  }
  if (reply.usage !== null) {
    for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"] as const) {
      const n = reply.usage[k]
      if (!Number.isSafeInteger(n) || n < 0 || n > caps.maxTokens) return `usage.${k} = ${n} is not an integer in 0..${caps.maxTokens}`
    }
  }
  if (protocol !== "in-process" && reply.contentType !== undefined) {
    const media = (reply.contentType ?? "").split(";")[0]!.trim().toLowerCase()
    if (!caps.contentTypes[protocol].includes(media)) {
      return `content type "${reply.contentType ?? ""}" (expected ${caps.contentTypes[protocol].join(" or ")})`
    }
  }
  return undefined
}

/** The transport with every reply checked against `caps`; a violation fails that miner's query only. */
export const withReplyCaps = (transport: MinerTransport, caps: ReplyCaps): MinerTransport => ({
  ...transport,
  query: (target: MinerTarget, request, timeoutMs) =>
    transport.query(target, request, timeoutMs).pipe(
      Effect.flatMap((reply) => {
        const problem = replyViolation(reply, caps, transport.protocol)
        return problem === undefined
          ? Effect.succeed(reply)
          : Effect.fail(
            new MinerError({ uid: target.uid, hotkey: target.hotkey, reason: "ReplyRejected", status: 422, message: `reply refused: ${problem}`, latencyMs: reply.latencyMs })
          )
      })
    )
})
