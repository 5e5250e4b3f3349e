// The embedder in the app's layer graph: Embedder.layer with the options the config gives (local ONNX model
// or EMBED_BACKEND=openai), an alert when the model does not load, and one log line when it is ready.
import { Context, Effect, Layer, Redacted } from "effect"
import { AppConfig, type AppConfigValues } from "../config/AppConfig.ts"
import { Embedder, type EmbedderOptions } from "../embeddings/Embedder.ts"
import { makeAlerter } from "./Alerts.ts"

export const embedderOptions = (config: AppConfigValues): EmbedderOptions => ({
  modelPath: config.MODEL_PATH,
  modelRepo: config.MODEL_REPO,
  cacheDir: config.MODEL_CACHE_DIR,
  poolSize: config.EMBED_POOL_SIZE,
  intraOpThreads: config.EMBED_INTRA_OP_THREADS,
  workerNice: config.WORKER_NICE,
  workerGcSeconds: config.WORKER_GC_SECONDS,
  quantized: config.EMBED_QUANTIZED === undefined ? undefined : config.EMBED_QUANTIZED === "true",
  maxWindows: config.EMBED_MAX_WINDOWS,
  device: config.EMBED_DEVICE,
  remote:
    config.EMBED_BACKEND === "openai" && config.EMBED_API_URL !== undefined && config.EMBED_API_MODEL !== undefined
      ? {
          url: config.EMBED_API_URL,
          model: config.EMBED_API_MODEL,
          apiKey: config.EMBED_API_KEY === undefined ? undefined : Redacted.value(config.EMBED_API_KEY),
          batchSize: config.EMBED_API_BATCH,
          timeoutMs: config.EMBED_API_TIMEOUT_SECONDS * 1000
        }
      : undefined
})

/** Embedder ← AppConfig. */
export const embedderLayer = Layer.unwrap(
  Effect.map(Effect.service(AppConfig), (config) =>
    Embedder.layer(embedderOptions(config)).pipe(
      Layer.tapError((e) => makeAlerter({ url: config.ALERT_WEBHOOK_URL, cooldownMs: 0 }).alert("model_missing", `embedding model not loaded: ${e.message}`)),
      Layer.tap((context) => {
        const { model } = Context.get(context, Embedder)
        return Effect.logInfo("embedding model ready", { model: model.name, dim: model.dim, source: model.source, dir: model.dir })
      })
    )
  )
)
