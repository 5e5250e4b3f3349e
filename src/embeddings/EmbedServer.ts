// `embed-server` mode: the project's own embeddings (the Embedder: worker pool, cache, bucketing) served on
// the OpenAI-compatible API — POST /v1/embeddings, GET /v1/models — so several validators (or other tools)
// can share one embedding host, and the remote client (OpenAiEmbeddings.ts) has a real server to talk to.
// Errors use OpenAI's shape ({error: {message, type, code}}). Inputs are bounded.
import { Elysia } from "elysia"
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { Embedder } from "./Embedder.ts"

export class EmbedServerError extends Schema.TaggedError<EmbedServerError>()("EmbedServerError", {
  host: Schema.String,
  port: Schema.Number,
  message: Schema.String
}) {}

export interface EmbedServerOptions {
  readonly host: string
  readonly port: number
  /** Most inputs per request (default 2048, OpenAI's limit) and characters per input (default 100k). */
  readonly maxInputs?: number
  readonly maxChars?: number
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined
}

const Request = Schema.Struct({
  input: Schema.Union([Schema.String, Schema.Array(Schema.String)]),
  model: Schema.optional(Schema.String),
  encoding_format: Schema.optional(Schema.Literals(["float", "base64"])),
  dimensions: Schema.optional(Schema.Number),
  user: Schema.optional(Schema.String)
})
const decodeRequest = Schema.decodeUnknownExit(Request)

const base64Of = (row: Float32Array): string => Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString("base64")
const approxTokens = (s: string) => Math.ceil(s.length / 4)

export const makeEmbedApp = (embedder: Embedder["Service"], o: EmbedServerOptions) => {
  const maxInputs = o.maxInputs ?? 2048
  const maxChars = o.maxChars ?? 100_000
  const error = (set: { status?: number | string }, status: number, message: string, type = "invalid_request_error") => {
    set.status = status
    return { error: { message, type, code: null } }
  }
  return new Elysia()
    .get("/health", () => ({ status: "ok", model: embedder.model.name, dim: embedder.model.dim }))
    .get("/v1/models", () => ({ object: "list", data: [{ id: embedder.model.name, object: "model", created: 0, owned_by: "quorum" }] }))
    .post("/v1/embeddings", async ({ body, headers, set }) => {
      if (o.apiKey !== undefined && headers["authorization"] !== `Bearer ${o.apiKey}`) return error(set, 401, "invalid API key", "authentication_error")
      const req = decodeRequest(body)
      if (req._tag === "Failure") return error(set, 400, `expected {input: string | string[], model?, encoding_format?: "float" | "base64"}: ${String(req.cause)}`)
      const texts = typeof req.value.input === "string" ? [req.value.input] : req.value.input
      if (texts.length === 0 || texts.length > maxInputs) return error(set, 400, `input must hold 1..${maxInputs} texts, got ${texts.length}`)
      const long = texts.findIndex((t) => t.length > maxChars)
      if (long >= 0) return error(set, 400, `input[${long}] has ${texts[long]!.length} characters, at most ${maxChars}`)
      if (req.value.model !== undefined && req.value.model !== embedder.model.name) {
        return error(set, 404, `model "${req.value.model}" is not served here; this server serves "${embedder.model.name}"`, "not_found_error")
      }
      if (req.value.dimensions !== undefined && req.value.dimensions !== embedder.model.dim) {
        return error(set, 400, `dimensions must be ${embedder.model.dim} for this model`)
      }
      const result = await Effect.runPromise(Effect.result(embedder.embed(texts)))
      if (result._tag === "Failure") return error(set, 503, `embedding failed: ${result.failure.message}; retry later`, "server_error")
      const { dim, data } = result.success
      const b64 = req.value.encoding_format === "base64"
      const tokens = texts.reduce((s, t) => s + approxTokens(t), 0)
      return {
        object: "list",
        model: embedder.model.name,
        data: texts.map((_, i) => {
          const row = data.subarray(i * dim, (i + 1) * dim)
          return { object: "embedding", index: i, embedding: b64 ? base64Of(row) : Array.from(row) }
        }),
        usage: { prompt_tokens: tokens, total_tokens: tokens }
      }
    })
}

/** Serves the embedder on host:port (0 = a free port) for the life of the scope. */
export const serveEmbeddings = (
  embedder: Embedder["Service"],
  o: EmbedServerOptions
): Effect.Effect<{ readonly port: number; readonly url: string }, EmbedServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => makeEmbedApp(embedder, o).listen({ hostname: o.host, port: o.port }),
      catch: (e) => new EmbedServerError({ host: o.host, port: o.port, message: `cannot listen on ${o.host}:${o.port}: ${String(e)} (pick a free --port, or 0)` })
    }),
    (app) => Effect.promise(() => app.stop())
  ).pipe(
    Effect.map((app) => {
      const port = app.server?.port ?? o.port
      return { port, url: `http://${o.host}:${port}/v1` }
    })
  )
