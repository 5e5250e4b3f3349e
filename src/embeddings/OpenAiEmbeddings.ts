// A client of the OpenAI-compatible `POST /v1/embeddings` API (what Hugging Face TEI, vLLM, Infinity and
// `bun run embed-server` serve): texts in batches, a timeout per request, retries with exponential backoff
// on network errors, timeouts, 429 and 5xx, rows checked and L2-normalized like the local pipeline.
import { Duration, Effect, Schedule, Schema } from "effect"
import { normalizeRows } from "../scoring/similarity.ts"

export interface OpenAiEmbeddingsOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8081/v1 (`/embeddings` is appended). */
  readonly url: string
  readonly model: string
  readonly apiKey?: string | undefined
  /** Texts per request (default 64). */
  readonly batchSize?: number | undefined
  /** Timeout of each request (default 30 s). */
  readonly timeoutMs?: number | undefined
  /** Retries after the first attempt of a request (default 3), backoff from 200 ms doubling. */
  readonly retries?: number | undefined
  /** Requests in flight at once (default 2). */
  readonly concurrency?: number | undefined
}

export class RemoteEmbedError extends Schema.TaggedError<RemoteEmbedError>()("RemoteEmbedError", {
  url: Schema.String,
  /** HTTP status, or 0 for a network error / timeout / bad body. */
  status: Schema.Number,
  retryable: Schema.Boolean,
  message: Schema.String
}) {}

const EmbeddingRow = Schema.Struct({
  index: Schema.Number,
  // float arrays, or base64 little-endian float32 when encoding_format is "base64"
  embedding: Schema.Union([Schema.Array(Schema.Number), Schema.String])
})
const EmbeddingsResponse = Schema.Struct({ data: Schema.Array(EmbeddingRow) })
const decodeResponse = Schema.decodeUnknownExit(EmbeddingsResponse)

const rowOf = (e: typeof EmbeddingRow.Type["embedding"]): Float32Array => {
  if (typeof e !== "string") return Float32Array.from(e)
  const bytes = Buffer.from(e, "base64")
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 4))
  copy.set(bytes.subarray(0, copy.length))
  return new Float32Array(copy.buffer)
}

export interface OpenAiEmbeddings {
  readonly endpoint: string
  /** texts (non-empty) → n × dim normalized rows; `dim` is learned from the first answer and then enforced. */
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<Float32Array<ArrayBuffer>, RemoteEmbedError>
  readonly dim: () => number | null
}

export const makeOpenAiEmbeddings = (o: OpenAiEmbeddingsOptions): OpenAiEmbeddings => {
  const endpoint = `${o.url.replace(/\/+$/, "")}/embeddings`
  const batchSize = Math.max(1, Math.floor(o.batchSize ?? 64))
  const timeoutMs = o.timeoutMs ?? 30_000
  const retries = Math.max(0, Math.floor(o.retries ?? 3))
  let dim: number | null = null
  const fail = (status: number, retryable: boolean, message: string) => new RemoteEmbedError({ url: endpoint, status, retryable, message })

  const request = (texts: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const res = yield* Effect.tryPromise({
        try: (signal) =>
          fetch(endpoint, {
            method: "POST",
            headers: { "content-type": "application/json", ...(o.apiKey === undefined ? {} : { authorization: `Bearer ${o.apiKey}` }) },
            body: JSON.stringify({ model: o.model, input: texts, encoding_format: "float" }),
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
          }).then(async (r) => ({ status: r.status, body: await r.text() })),
        catch: (e) =>
          fail(0, true, e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError") ? `timed out after ${timeoutMs} ms` : `request failed: ${String(e)}`)
      })
      if (res.status !== 200) {
        const retryable = res.status === 429 || res.status >= 500
        return yield* fail(res.status, retryable, `HTTP ${res.status}: ${res.body.slice(0, 200)}`)
      }
      const parsed = (() => {
        try {
          return decodeResponse(JSON.parse(res.body))
        } catch {
          return null
        }
      })()
      if (parsed === null || parsed._tag === "Failure") return yield* fail(200, false, "the body is not an embeddings list ({data: [{index, embedding}]})")
      const rows = [...parsed.value.data].sort((a, b) => a.index - b.index)
      if (rows.length !== texts.length || rows.some((r, i) => r.index !== i)) {
        return yield* fail(200, false, `asked for ${texts.length} embeddings, got ${rows.length} (indices must be 0..n-1)`)
      }
      const vecs = rows.map((r) => rowOf(r.embedding))
      const d = dim ?? vecs[0]?.length ?? 0
      if (d === 0 || vecs.some((v) => v.length !== d || !v.every(Number.isFinite))) {
        return yield* fail(200, false, `rows must all have ${d} finite floats`)
      }
      dim = d
      const out = new Float32Array(new ArrayBuffer(texts.length * d * 4))
      vecs.forEach((v, i) => out.set(v, i * d))
      normalizeRows(out, texts.length, d)
      return out
    }).pipe(
      Effect.retry({
        schedule: Schedule.exponential(Duration.millis(200)),
        times: retries,
        while: (e) => e.retryable
      })
    )

  const embed = (texts: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const chunks = Array.from({ length: Math.ceil(texts.length / batchSize) }, (_, k) => texts.slice(k * batchSize, (k + 1) * batchSize))
      const parts = yield* Effect.forEach(chunks, request, { concurrency: Math.max(1, o.concurrency ?? 2) })
      const d = dim ?? 0
      const out = new Float32Array(new ArrayBuffer(texts.length * d * 4))
      let offset = 0
      for (const p of parts) {
        out.set(p, offset)
        offset += p.length
      }
      return out
    })

  return { endpoint, embed, dim: () => dim }
}
