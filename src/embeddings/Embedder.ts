// The Embedder service: a Piscina pool of scoring workers (workers/scoring.worker.ts), each holding one
// onnxruntime session + tokenizer. Embeddings, the round's similarity matrix and PNG rendering run off the
// main thread; results come back as transferred buffers. Every call has a timeout and a typed error.
import { availableParallelism } from "node:os"
import { basename } from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import type Piscina from "piscina"
import { logThreadPriority, scopedPool, workerEntry } from "./WorkerPool.ts"
import type { RoundEmbeddings, RoundInput, Vec } from "../scoring/types.ts"
import type { EmbedTask, HeatmapTask, RenderPngTask, ScoringWorkerData, SimilarityTask, ThreadPriority } from "../../workers/protocol.ts"
import type { HeatmapInput } from "../scoring/heatmap.ts"
import { ModelNotFound, resolveModel, type ModelSpec, type ResolveOptions } from "./ModelResolver.ts"
import { makeOpenAiEmbeddings, type OpenAiEmbeddingsOptions } from "./OpenAiEmbeddings.ts"
import { assembleRows, chooseParallelism, lengthBuckets, planEmbed, TextCache } from "./pipeline.ts"

export { ModelNotFound } from "./ModelResolver.ts"

export class EmbedError extends Schema.TaggedError<EmbedError>()("EmbedError", {
  /** embed | embedRound | similarity | renderPng | warmup */
  operation: Schema.String,
  /** How many texts (or rows) the call carried. */
  size: Schema.Number,
  model: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export interface ModelInfo {
  readonly name: string
  readonly dim: number
  readonly dir: string
  readonly source: ModelSpec["source"] | "remote"
  readonly maxLength: number
  readonly pooling: ModelSpec["pooling"]
  /** The graph file run (model.onnx, model_quantized.onnx; "" for a remote backend). */
  readonly file: string
  /** Most windows embedded per text (0: all). */
  readonly maxWindows: number
}

/** How the local model embeds unless told otherwise, chosen on the AlpacaEval dev split (`bun run eval`, the
 *  README's table): the int8 graph when the folder has one (min cosine to fp32 0.997) and at most
 *  `maxWindows` windows per text, which bounds a round's cost by its answer count instead of its answers' length. */
export const EMBED_DEFAULTS = { quantized: true, maxWindows: 2 } as const

/** A short name of the embedding variant (graph file and window cap), for caches keyed by what made a vector:
 *  "" for the fp32 graph with every window, e.g. "-int8-w3" otherwise. */
export const variantOf = (m: Pick<ModelInfo, "file" | "maxWindows">): string =>
  `${/quantized/.test(m.file) ? "-int8" : ""}${m.maxWindows > 0 ? `-w${m.maxWindows}` : ""}`

export interface EmbedderOptions extends ResolveOptions {
  /** Worker threads (default: one per core). */
  readonly poolSize?: number | undefined
  /** onnxruntime intra-op threads per worker (default: the cores left per worker, at least 1). */
  readonly intraOpThreads?: number | undefined
  /** onnxruntime execution provider (default cpu; auto = CUDA when offered, else CPU with a log line). */
  readonly device?: "auto" | "cpu" | "cuda" | undefined
  /** Rows kept in the exact-text cache (default 8192; 0 disables it). */
  readonly cacheSize?: number | undefined
  /** Nice value of the worker threads on Linux (default 0: left alone; the app passes WORKER_NICE). */
  readonly workerNice?: number | undefined
  /** Full heap collection in a worker after a task once this many seconds passed since the last (default 0: JSC decides; the app passes WORKER_GC_SECONDS). */
  readonly workerGcSeconds?: number | undefined
  /** Timeout of each call (default 60 s). */
  readonly timeoutMs?: number | undefined
  /** Timeout of the model load + warm-up when the layer is built (default 120 s). */
  readonly loadTimeoutMs?: number | undefined
  /** Windows per model batch (default 32; 1 for an int8 graph, see ModelSpec.quantized). */
  readonly maxBatch?: number | undefined
  /** Most windows embedded per text (0: all; default EMBED_DEFAULTS.maxWindows). */
  readonly maxWindows?: number | undefined
  /** Embed through an OpenAI-compatible /v1/embeddings server instead of the local model (the pool still
   *  computes similarity matrices and renders heatmaps). */
  readonly remote?: OpenAiEmbeddingsOptions | undefined
}

/** The worker entry point inside a compiled binary: scripts/build.ts compiles workers/scoring.worker.ts as an
 *  extra entry point with the project as root, which Bun stores under this name. */
export const EMBEDDED_WORKER_FILE = workerEntry("scoring.worker", true)
/** The scoring worker script: the source file, or the embedded entry point when running as `dist/quorum`. */
export const workerFile = (compiled: boolean = Bun.isStandaloneExecutable): string => workerEntry("scoring.worker", compiled)
const WORKER_FILE = workerFile()
/** Fewest texts per length bucket when one call is spread over several workers: a 16-answer round is split. */
const MIN_BUCKET = 4
/** Characters per token of English text in a small-vocabulary model, to cap a windowed text's cost estimate. */
const CHARS_PER_TOKEN = 4
/** Most texts per worker task. */
const MAX_TASK = 64

export interface EmbedderStats {
  readonly poolSize: number
  readonly intraOpThreads: number
  readonly cacheHits: number
  readonly cacheMisses: number
  readonly cacheSize: number
  /** Texts sent to the workers so far (after de-duplication and the cache). */
  readonly embedded: number
}

export class Embedder extends Context.Service<
  Embedder,
  {
    readonly model: ModelInfo
    /** Fraction of the worker pool's capacity in use (piscina `utilization`, 0..1). */
    readonly utilisation: () => number
    /** One worker thread's JS heap in bytes (the next free thread answers; the load test samples it). */
    readonly workerHeapBytes: () => Promise<number>
    /** texts → n × dim, rows L2-normalized; empty texts give zero rows; long texts are windowed. */
    readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<{ readonly dim: number; readonly data: Vec }, EmbedError>
    /** prompt + responses + reference in one worker task, with the responses' cosine matrix. */
    readonly embedRound: (input: RoundInput) => Effect.Effect<RoundEmbeddings, EmbedError>
    /** n × n cosine matrix of normalized rows (the input is copied, the caller's array stays usable). */
    readonly similarity: (data: Float32Array, n: number, dim: number) => Effect.Effect<Vec, EmbedError>
    readonly renderPng: (svg: string, fitWidth?: number) => Effect.Effect<Uint8Array<ArrayBuffer>, EmbedError>
    /** A similarity heatmap built (SVG) and, with `png`, rasterized in a worker; the matrix is copied. */
    readonly renderHeatmap: (
      input: HeatmapInput,
      options?: { readonly png?: boolean; readonly fitWidth?: number }
    ) => Effect.Effect<{ readonly svg: string; readonly png: Uint8Array<ArrayBuffer> | null }, EmbedError>
    readonly stats: Effect.Effect<EmbedderStats>
  }
>()("quorum/embeddings/Embedder") {
  static readonly layer = (options: EmbedderOptions = {}): Layer.Layer<Embedder, ModelNotFound | EmbedError> =>
    Layer.effect(Embedder, make(options))
}

type TransferList = NonNullable<NonNullable<Parameters<Piscina["run"]>[1]>["transferList"]>

const isVec = (u: unknown): u is Vec => u instanceof Float32Array

const make = Effect.fnUntraced(function* (options: EmbedderOptions) {
  const remote = options.remote === undefined ? null : makeOpenAiEmbeddings(options.remote)
  const spec = remote === null ? yield* resolveModel({ ...options, quantized: options.quantized ?? EMBED_DEFAULTS.quantized }) : null
  const maxWindows = Math.max(0, Math.floor(options.maxWindows ?? EMBED_DEFAULTS.maxWindows))
  const modelName = spec?.name ?? options.remote?.model ?? "remote"
  const remoteEmbed = (operation: string, texts: ReadonlyArray<string>) =>
    remote === null
      ? Effect.die("no remote backend")
      : remote.embed(texts).pipe(
          Effect.mapError((e) => new EmbedError({ operation, size: texts.length, model: modelName, message: `${e.message} (${e.url})`, cause: e }))
        )
  // a remote backend tells its dimension with its first answer
  const dim = spec?.dim ?? (yield* remoteEmbed("warmup", ["warm up"])).length
  const model: ModelInfo =
    spec === null
      ? { name: modelName, dim, dir: remote?.endpoint ?? "", source: "remote", maxLength: 0, pooling: "in-graph", file: "", maxWindows: 0 }
      : {
          name: spec.name,
          dim: spec.dim,
          dir: spec.dir,
          source: spec.source,
          maxLength: spec.maxLength,
          pooling: spec.pooling,
          file: basename(spec.modelFile),
          maxWindows
        }
  const { poolSize, intraOpThreads } = chooseParallelism(availableParallelism(), options.poolSize ?? (remote === null ? undefined : 1), options.intraOpThreads)
  const timeoutMs = options.timeoutMs ?? 60_000
  const workerData: ScoringWorkerData = {
    spec,
    intraOpThreads,
    device: options.device ?? "cpu",
    maxWindows,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.workerNice === undefined ? {} : { nice: options.workerNice }),
    ...(options.workerGcSeconds === undefined ? {} : { gcIntervalSeconds: options.workerGcSeconds })
  }
  const pool = yield* scopedPool(WORKER_FILE, poolSize, workerData)

  /** One pool task with abort-on-interrupt, a timeout, and failures as EmbedError. */
  const call = (
    operation: string,
    size: number,
    name: string,
    task: unknown,
    transferList?: Array<ArrayBuffer>,
    limitMs: number = timeoutMs
  ) =>
    Effect.tryPromise({
      // No abort signal: Piscina aborts a running task by terminating its worker thread, and terminating a
      // thread inside an onnxruntime call aborts the whole process (found by `bun run loadtest`). A call past
      // its timeout fails here; its worker finishes the task and the result is dropped.
      try: () =>
        (transferList === undefined ? pool.run(task, { name }) : pool.run(task, { name, transferList: transferList as unknown as TransferList })) as Promise<unknown>,
      catch: (cause) =>
        new EmbedError({
          operation,
          size,
          model: modelName,
          message: `worker task ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    }).pipe(
      Effect.timeoutOrElse({
        duration: limitMs,
        orElse: () =>
          Effect.fail(new EmbedError({ operation, size, model: modelName, message: `timed out after ${limitMs} ms` }))
      })
    )

  const expectVec = (operation: string, size: number, length: number) => (u: unknown) =>
    isVec(u) && u.length === length
      ? Effect.succeed(u)
      : Effect.fail(
          new EmbedError({
            operation,
            size,
            model: modelName,
            message: `worker returned ${isVec(u) ? `${u.length} floats` : typeof u}, expected ${length} floats`
          })
        )

  const embedChunk = (texts: ReadonlyArray<string>) =>
    remote !== null
      ? remoteEmbed("embed", texts)
      : call("embed", texts.length, "embed", { texts } satisfies EmbedTask).pipe(
          Effect.flatMap(expectVec("embed", texts.length, texts.length * dim))
        )

  const maxChars = maxWindows > 0 && spec !== null ? maxWindows * spec.maxLength * CHARS_PER_TOKEN : Infinity
  const cache = new TextCache(Math.max(0, Math.floor(options.cacheSize ?? 8192)), dim)
  let embedded = 0
  /** texts → n × dim: repeated texts and cache hits are embedded once, the rest in length buckets, one per worker. */
  const embedTexts = (texts: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const plan = planEmbed(texts, cache)
      // length buckets (one per worker), each cut into tasks of at most MAX_TASK texts so no task runs long
      const buckets = lengthBuckets(plan.todo, poolSize, MIN_BUCKET, maxChars).flatMap((b) =>
        Array.from({ length: Math.ceil(b.length / MAX_TASK) }, (_, k) => b.slice(k * MAX_TASK, (k + 1) * MAX_TASK))
      )
      const results = yield* Effect.forEach(buckets, embedChunk, { concurrency: Math.max(1, buckets.length) })
      const rows = new Map(plan.known)
      buckets.forEach((bucket, k) => {
        const data = results[k]!
        bucket.forEach((t, i) => {
          const row = data.subarray(i * dim, (i + 1) * dim)
          rows.set(t, row)
          cache.set(t, row)
        })
      })
      embedded += plan.todo.length
      return assembleRows(texts, rows, dim)
    })

  const embed = Effect.fn("Embedder.embed")(function* (texts: ReadonlyArray<string>) {
    return { dim, data: yield* embedTexts(texts) }
  })

  const similarityOf = (operation: string, rows: Float32Array<ArrayBuffer>, n: number, d: number) => {
    const task: SimilarityTask = { data: rows, n, dim: d }
    return call(operation, n, "similarity", task, [rows.buffer]).pipe(Effect.flatMap(expectVec(operation, n, n * n)))
  }

  const embedRound = Effect.fn("Embedder.embedRound")(function* (input: RoundInput) {
    const n = input.responses.length
    const answers = input.responses.map((r) => (r.error === undefined ? r.text : ""))
    const texts = [input.prompt, ...answers, ...(input.reference === null ? [] : [input.reference])]
    const all = yield* embedTexts(texts)
    const responses = all.slice(dim, (1 + n) * dim)
    const result: RoundEmbeddings = {
      dim,
      prompt: all.slice(0, dim),
      reference: input.reference === null ? null : all.slice((1 + n) * dim, (2 + n) * dim),
      // the matrix is computed from a copy, so `responses` stays usable here
      similarity: yield* similarityOf("embedRound", responses.slice(), n, dim),
      responses
    }
    return result
  })

  const similarity = Effect.fn("Embedder.similarity")(function* (data: Float32Array, n: number, d: number) {
    if (data.length < n * d) {
      return yield* new EmbedError({
        operation: "similarity",
        size: n,
        model: modelName,
        message: `data has ${data.length} floats, need ${n}×${d}`
      })
    }
    const copy = new Float32Array(new ArrayBuffer(n * d * 4))
    copy.set(data.subarray(0, n * d))
    return yield* similarityOf("similarity", copy, n, d)
  })

  const renderPng = Effect.fn("Embedder.renderPng")(function* (svg: string, fitWidth?: number) {
    const task: RenderPngTask = fitWidth === undefined ? { svg } : { svg, fitWidth }
    const out = yield* call("renderPng", 1, "renderPng", task)
    if (!(out instanceof Uint8Array)) {
      return yield* new EmbedError({ operation: "renderPng", size: 1, model: modelName, message: "worker did not return bytes" })
    }
    return new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength)
  })

  const renderHeatmap = Effect.fn("Embedder.renderHeatmap")(function* (
    input: HeatmapInput,
    options: { readonly png?: boolean; readonly fitWidth?: number } = {}
  ) {
    const task: HeatmapTask = {
      input,
      png: options.png ?? true,
      ...(options.fitWidth === undefined ? {} : { fitWidth: options.fitWidth })
    }
    const out = yield* call("heatmap", input.n, "heatmap", task)
    const r = out as { svg?: unknown; png?: unknown }
    if (typeof r?.svg !== "string" || !(r.png === null || r.png instanceof Uint8Array)) {
      return yield* new EmbedError({ operation: "heatmap", size: input.n, model: modelName, message: "worker did not return a heatmap" })
    }
    const png = r.png === null ? null : new Uint8Array(r.png.buffer as ArrayBuffer, r.png.byteOffset, r.png.byteLength)
    return { svg: r.svg, png }
  })

  // load the model in every worker now, so a broken model fails the layer instead of the first round
  const warmup = call("warmup", 1, "warmup", {}, undefined, options.loadTimeoutMs ?? 120_000).pipe(
    Effect.flatMap((u) => {
      const w = u as { dim?: unknown; provider?: unknown; note?: unknown; priority?: ThreadPriority } | null
      return w?.dim === dim
        ? Effect.succeed({ provider: String(w.provider), note: typeof w.note === "string" ? w.note : null, priority: w.priority ?? null })
        : Effect.fail(new EmbedError({ operation: "warmup", size: 1, model: modelName, message: `model produced ${String(w?.dim)} floats, config says ${dim}` }))
    })
  )
  if (remote === null) {
    const warm = yield* Effect.forEach(Array.from({ length: poolSize }, () => warmup), (w) => w, { concurrency: poolSize })
    const note = warm.find((w) => w.note !== null)?.note
    // asked for CUDA explicitly: a warning; auto: an info line saying why it runs on CPU
    if (note !== undefined && note !== null) yield* options.device === "cuda" ? Effect.logWarning(note) : Effect.logInfo(note)
    if (options.workerNice !== undefined) yield* logThreadPriority("embedding", warm.map((w) => w.priority))
    yield* Effect.logDebug("embedding workers ready").pipe(
      Effect.annotateLogs({ model: modelName, dim, provider: warm[0]?.provider ?? "cpu", poolSize, intraOpThreads })
    )
  } else {
    yield* Effect.logDebug("remote embeddings ready").pipe(Effect.annotateLogs({ model: modelName, dim, endpoint: remote.endpoint }))
  }

  const stats = Effect.sync(
    (): EmbedderStats => ({ poolSize, intraOpThreads, cacheHits: cache.hits, cacheMisses: cache.misses, cacheSize: cache.size, embedded })
  )
  return Embedder.of({ model, embed, embedRound, similarity, renderPng, renderHeatmap, stats, utilisation: () => pool.utilization, workerHeapBytes: () => pool.run(null, { name: "heapUsed" }) as Promise<number> })
})
