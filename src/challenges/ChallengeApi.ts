// Client of the Loosh Challenge API (PROTOCOLS.md "Challenge API auth"): pulls challenges
// (`GET {api}/challenge`) and posts round results (`POST {api}/response/batch`), every request signed
// with the validator hotkey (X-Hotkey, X-Nonce, X-Signature over "{nonce}:{hotkey}:{sha256(body)}"),
// every call with a timeout, every body validated with a schema.
import { createHash } from "node:crypto"
import { Effect, Redacted, Schema } from "effect"
import type { Challenge } from "../domain/Challenge.ts"
import type { HotkeySigner } from "../domain/Miner.ts"
import { ChatMessage } from "../domain/Inference.ts"
import { HEADER_RESPONSE_SIGNATURE, requestAuthHeaders, responseProblem } from "./ChallengeApiAuth.ts"
import type { RoundInput, RoundResult, ToolSpec } from "../scoring/types.ts"

export class ChallengeApiError extends Schema.TaggedError<ChallengeApiError>()("ChallengeApiError", {
  operation: Schema.Literals(["pull", "post"]),
  reason: Schema.Literals(["Unreachable", "Timeout", "HttpStatus", "Invalid", "Unauthenticated"]),
  status: Schema.NullOr(Schema.Number),
  message: Schema.String
}) {}

const OptionalNullable = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

/** The challenge payload (PROTOCOLS.md: id, correlation_id?, prompt?, messages?, model?, tools?, ...). */
export const ChallengePayload = Schema.Struct({
  id: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  correlation_id: OptionalNullable(Schema.String),
  prompt: OptionalNullable(Schema.String),
  messages: OptionalNullable(Schema.Array(ChatMessage)),
  model: OptionalNullable(Schema.String),
  tools: OptionalNullable(Schema.Array(Schema.Unknown)),
  tool_choice: OptionalNullable(Schema.Unknown),
  temperature: OptionalNullable(Schema.Number),
  top_p: OptionalNullable(Schema.Number),
  max_tokens: OptionalNullable(Schema.Number),
  metadata: OptionalNullable(Schema.Record(Schema.String, Schema.Unknown)),
  task_type: OptionalNullable(Schema.String),
  reference: OptionalNullable(Schema.String)
})
export type ChallengePayload = typeof ChallengePayload.Type

/** OpenAI-style tools → the flattened ToolSpec the scorer checks tool calls against. */
export const toolSpecsOf = (tools: ReadonlyArray<unknown>): ToolSpec[] => {
  const out: ToolSpec[] = []
  for (const t of tools) {
    if (typeof t !== "object" || t === null) continue
    const fn = (t as { function?: unknown }).function
    const src = typeof fn === "object" && fn !== null ? fn : t
    const name = (src as { name?: unknown }).name
    if (typeof name !== "string" || name.length === 0) continue
    const parameters = (src as { parameters?: unknown }).parameters
    out.push(parameters === undefined ? { name } : { name, parameters })
  }
  return out
}

/** Payload → Challenge; with only messages, the last user message is the evaluation prompt. */
export const challengeOf = (p: ChallengePayload, source: Challenge["source"]): Effect.Effect<Challenge, ChallengeApiError> => {
  const messages = p.messages ?? []
  const lastUser = [...messages].reverse().find((m) => m.role === "user" && m.content !== null)?.content ?? null
  const prompt = p.prompt ?? lastUser
  if (prompt === null || prompt.trim() === "")
    return Effect.fail(new ChallengeApiError({ operation: "pull", reason: "Invalid", status: null, message: `challenge ${p.id} has neither a prompt nor a user message` }))
  const tools = p.tools ?? []
  const metaTask = p.metadata?.["task_type"]
  return Effect.succeed({
    id: p.id,
    source,
    taskType: p.task_type ?? (typeof metaTask === "string" ? metaTask : "chat"),
    reference: p.reference ?? null,
    tools: toolSpecsOf(tools),
    request: {
      challengeId: p.id,
      prompt,
      messages: messages.length > 0 ? messages : [{ role: "user", content: prompt }],
      model: p.model ?? null,
      max_tokens: p.max_tokens ?? null,
      temperature: p.temperature ?? null,
      top_p: p.top_p ?? null,
      tools,
      tool_choice: p.tool_choice ?? null
    }
  })
}

/** Python-float style nonce (always has a fractional part), as the reference sends. */
export const floatNonce = (nowMs: number): string => {
  const s = (nowMs / 1000).toString()
  return s.includes(".") ? s : `${s}.0`
}

export const signedHeaders = (signer: HotkeySigner, nowMs: number, body: string | null): Record<string, string> => {
  const nonce = floatNonce(nowMs)
  const message = body === null ? `${nonce}:${signer.ss58}` : `${nonce}:${signer.ss58}:${createHash("sha256").update(body).digest("hex")}`
  const signature = "0x" + Buffer.from(signer.sign(new TextEncoder().encode(message))).toString("hex")
  return { "X-Hotkey": signer.ss58, "X-Nonce": nonce, "X-Signature": signature }
}

export interface ChallengeApiOptions {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly signer: HotkeySigner
  readonly timeoutMs: number
  readonly now: () => number
  /** The API's ss58 hotkey: when set, every answer must carry a valid response signature (ChallengeApiAuth.ts). */
  readonly apiHotkey?: string | undefined
}

export interface ChallengeApi {
  /** The next challenge, or null when the API has none (204 / empty body). */
  readonly pull: Effect.Effect<Challenge | null, ChallengeApiError>
  readonly postResults: (round: RoundInput, result: RoundResult) => Effect.Effect<void, ChallengeApiError>
}

const MAX_BODY = 1 << 20

export const make = (opts: ChallengeApiOptions): ChallengeApi => {
  const base = opts.baseUrl.replace(/\/+$/, "")
  const request = (operation: "pull" | "post", method: "GET" | "POST", path: string, body: string | null) =>
    Effect.tryPromise({
      try: async (signal) => {
        const now = opts.now()
        const signedPath = new URL(`${base}${path}`).pathname + new URL(`${base}${path}`).search
        const headers: Record<string, string> = { ...signedHeaders(opts.signer, now, body), ...requestAuthHeaders(opts.signer, method, signedPath, body, now) }
        if (opts.apiKey !== undefined) headers["X-API-Key"] = Redacted.value(opts.apiKey)
        if (body !== null) headers["content-type"] = "application/json"
        const res = await fetch(`${base}${path}`, {
          method,
          headers,
          ...(body === null ? {} : { body }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)])
        })
        const text = await res.text()
        const unauthentic = opts.apiHotkey === undefined
          ? undefined
          : responseProblem(opts.apiHotkey, res.headers.get(HEADER_RESPONSE_SIGNATURE), { status: res.status, method, path: signedPath, body: text, requestTimestampMs: now })
        return { status: res.status, text: text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text, unauthentic }
      },
      catch: (cause) => {
        const name = (cause as { name?: string }).name
        const timeout = name === "TimeoutError" || name === "AbortError"
        return new ChallengeApiError({
          operation,
          reason: timeout ? "Timeout" : "Unreachable",
          status: null,
          message: timeout
            ? `Challenge API ${path} did not answer within ${opts.timeoutMs} ms`
            : `Challenge API ${base} unreachable (${String(cause)}); check CHALLENGE_API_URL`
        })
      }
    }).pipe(
      Effect.flatMap((res) =>
        res.unauthentic === undefined
          ? Effect.succeed(res)
          : Effect.fail(new ChallengeApiError({
            operation,
            reason: "Unauthenticated",
            status: res.status,
            message: `Challenge API answer to ${method} ${path} not authenticated: ${res.unauthentic}; check CHALLENGE_API_HOTKEY`
          }))
      )
    )

  const pull = Effect.gen(function* () {
    const res = yield* request("pull", "GET", "/challenge", null)
    if (res.status === 204 || res.status === 404 || res.text.trim() === "" || res.text.trim() === "null") return null
    if (res.status !== 200)
      return yield* new ChallengeApiError({
        operation: "pull",
        reason: "HttpStatus",
        status: res.status,
        message: `GET /challenge answered ${res.status}${res.status === 401 || res.status === 403 ? " (check CHALLENGE_API_KEY and that this hotkey is registered with the API)" : ""}`
      })
    const payload = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(ChallengePayload))(res.text).pipe(
      Effect.mapError((e) => new ChallengeApiError({ operation: "pull", reason: "Invalid", status: 200, message: `invalid challenge: ${e.message}` }))
    )
    return yield* challengeOf(payload, "api")
  })

  const postResults = (round: RoundInput, result: RoundResult) =>
    Effect.gen(function* () {
      const byUid = new Map(result.miners.map((m) => [m.uid, m]))
      const body = JSON.stringify({
        challenge_id: round.id,
        validator_hotkey: opts.signer.ss58,
        original_request: { prompt: round.prompt, task_type: round.taskType },
        responses: round.responses.map((r) => ({
          miner_id: r.hotkey,
          miner_uid: r.uid,
          text: r.text,
          tool_calls: r.toolCalls,
          finish_reason: r.finishReason,
          response_time_ms: r.latencyMs,
          usage: null
        })),
        evaluation: {
          consensus_score: result.consensus.length / Math.max(1, round.responses.length),
          emissions: Object.fromEntries(result.miners.map((m) => [String(m.uid), m.reward])),
          filtered: Object.fromEntries(result.miners.filter((m) => m.filtered !== null).map((m) => [String(m.uid), m.filtered])),
          best_miner_id: result.best === null ? null : (byUid.get(result.best)?.hotkey ?? null),
          heatmap_path: null,
          narrative: null
        }
      })
      const res = yield* request("post", "POST", "/response/batch", body)
      if (res.status < 200 || res.status >= 300)
        return yield* new ChallengeApiError({ operation: "post", reason: "HttpStatus", status: res.status, message: `POST /response/batch answered ${res.status}` })
    })

  return { pull, postResults }
}
