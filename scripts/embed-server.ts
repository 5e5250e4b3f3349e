// bun run embed-server [--host 127.0.0.1] [--port 8081] [--model-path DIR] [--pool N] [--threads N] [--api-key KEY]
// Serves this project's embeddings (the same model resolution, worker pool and cache as the validator) on the
// OpenAI-compatible API: POST /v1/embeddings, GET /v1/models. A validator uses it with
// EMBED_BACKEND=openai EMBED_API_URL=http://host:port/v1 EMBED_API_MODEL=<model name>. Runs until SIGINT/SIGTERM.
import { parseArgs } from "node:util"
import { runMain } from "../src/app/runMain.ts"
import { Effect, Layer } from "effect"
import { Embedder } from "../src/embeddings/Embedder.ts"
import { serveEmbeddings } from "../src/embeddings/EmbedServer.ts"

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8081" },
    "model-path": { type: "string" },
    pool: { type: "string" },
    threads: { type: "string" },
    "api-key": { type: "string" },
    help: { type: "boolean", default: false }
  },
  strict: true
})
if (values.help) {
  console.log("usage: bun run embed-server [--host H] [--port P (0 = free)] [--model-path DIR] [--pool N] [--threads N] [--api-key KEY]")
  process.exit(0)
}
const int = (s: string | undefined, name: string): number | undefined => {
  if (s === undefined) return undefined
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got "${s}"`)
    process.exit(2)
  }
  return n
}
const port = int(values.port, "port") ?? 8081
const poolSize = int(values.pool, "pool")
const intraOpThreads = int(values.threads, "threads")

const program = Effect.gen(function* () {
  const embedder = yield* Embedder
  const server = yield* serveEmbeddings(embedder, { host: values.host, port, apiKey: values["api-key"] })
  // one line on stdout for scripts and tests that start this server: where it listens
  yield* Effect.sync(() => process.stdout.write(JSON.stringify({ url: server.url, port: server.port, model: embedder.model.name, dim: embedder.model.dim }) + "\n"))
  yield* Effect.logInfo("embed-server listening", { url: server.url, model: embedder.model.name, dim: embedder.model.dim })
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(
    Layer.fresh(
      Embedder.layer({
        ...(values["model-path"] === undefined ? {} : { modelPath: values["model-path"] }),
        ...(poolSize === undefined ? {} : { poolSize }),
        ...(intraOpThreads === undefined ? {} : { intraOpThreads })
      })
    )
  )
)

runMain(program)
