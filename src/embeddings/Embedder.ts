// The Embedder service: a Piscina pool of scoring workers (workers/scoring.worker.ts), each holding one
// onnxruntime session + tokenizer. Embeddings, the round's similarity matrix and PNG rendering run off the
// main thread; results come back as transferred buffers. Every call has a timeout and a typed error.
import { availableParallelism } from "node:os"
import { resolve } from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import Piscina from "piscina"
import type { RoundEmbeddings, RoundInput, Vec } from "../scoring/types.ts"
import type { EmbedRoundTask, EmbedTask, HeatmapTask, RenderPngTask, ScoringWorkerData, SimilarityTask } from "../../workers/protocol.ts"
import type { HeatmapInput } from "../scoring/heatmap.ts"
import { ModelNotFound, resolveModel, type ModelSpec, type ResolveOptions } from "./ModelResolver.ts"

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
  readonly source: ModelSpec["source"]
  readonly maxLength: number
  readonly pooling: ModelSpec["pooling"]
}

export interface EmbedderOptions extends ResolveOptions {
  /** Worker threads (default: 2 on ≥ 2 cores, else 1). */
  readonly poolSize?: number | undefined
  /** onnxruntime intra-op threads per worker (default 1). */
  readonly intraOpThreads?: number | undefined
  /** Timeout of each call (default 60 s). */
  readonly timeoutMs?: number | undefined
  /** Timeout of the model load + warm-up when the layer is built (default 120 s). */
  readonly loadTimeoutMs?: number | undefined
  /** Windows per model batch (default 32). */
  readonly maxBatch?: number | undefined
}

/** The worker entry point inside a compiled binary: scripts/build.ts compiles workers/scoring.worker.ts as an
 *  extra entry point with the project as root, which Bun stores under this name. */
export const EMBEDDED_WORKER_FILE = "/$bunfs/root/workers/scoring.worker.js"
/** The scoring worker script: the source file, or the embedded entry point when running as `dist/quorum`. */
export const workerFile = (compiled: boolean = Bun.isStandaloneExecutable): string =>
  compiled ? EMBEDDED_WORKER_FILE : resolve(import.meta.dir, "../../workers/scoring.worker.ts")
const WORKER_FILE = workerFile()
/** Texts per chunk when one embed() call is spread over several workers. */
const MIN_CHUNK = 32

export class Embedder extends Context.Service<
  Embedder,
  {
    readonly model: ModelInfo
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
  }
>()("quorum/embeddings/Embedder") {
  static readonly layer = (options: EmbedderOptions = {}): Layer.Layer<Embedder, ModelNotFound | EmbedError> =>
    Layer.effect(Embedder, make(options))
}

type TransferList = NonNullable<NonNullable<Parameters<Piscina["run"]>[1]>["transferList"]>

const isVec = (u: unknown): u is Vec => u instanceof Float32Array

const make = Effect.fnUntraced(function* (options: EmbedderOptions) {
  const spec = yield* resolveModel(options)
  const model: ModelInfo = {
    name: spec.name,
    dim: spec.dim,
    dir: spec.dir,
    source: spec.source,
    maxLength: spec.maxLength,
    pooling: spec.pooling
  }
  const poolSize = Math.max(1, Math.floor(options.poolSize ?? Math.min(2, availableParallelism())))
  const intraOpThreads = Math.max(1, Math.floor(options.intraOpThreads ?? 1))
  const timeoutMs = options.timeoutMs ?? 60_000
  const workerData: ScoringWorkerData = {
    spec,
    intraOpThreads,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch })
  }
  const pool = yield* Effect.acquireRelease(
    Effect.sync(
      () =>
        new Piscina({
          filename: WORKER_FILE,
          minThreads: poolSize,
          maxThreads: poolSize,
          idleTimeout: Number.MAX_SAFE_INTEGER,
          workerData
        })
    ),
    (p) => Effect.promise(() => p.destroy())
  )

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
      try: (signal) =>
        (transferList === undefined ? pool.run(task, { name, signal }) : pool.run(task, { name, signal, transferList: transferList as unknown as TransferList })) as Promise<unknown>,
      catch: (cause) =>
        new EmbedError({
          operation,
          size,
          model: spec.name,
          message: `worker task ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    }).pipe(
      Effect.timeoutOrElse({
        duration: limitMs,
        orElse: () =>
          Effect.fail(new EmbedError({ operation, size, model: spec.name, message: `timed out after ${limitMs} ms` }))
      })
    )

  const expectVec = (operation: string, size: number, length: number) => (u: unknown) =>
    isVec(u) && u.length === length
      ? Effect.succeed(u)
      : Effect.fail(
          new EmbedError({
            operation,
            size,
            model: spec.name,
            message: `worker returned ${isVec(u) ? `${u.length} floats` : typeof u}, expected ${length} floats`
          })
        )

  const dim = spec.dim
  const embedChunk = (texts: ReadonlyArray<string>) =>
    call("embed", texts.length, "embed", { texts } satisfies EmbedTask).pipe(
      Effect.flatMap(expectVec("embed", texts.length, texts.length * dim))
    )

  const embed = Effect.fn("Embedder.embed")(function* (texts: ReadonlyArray<string>) {
    const parts = Math.min(poolSize, Math.floor(texts.length / MIN_CHUNK))
    if (parts <= 1) return { dim, data: yield* embedChunk(texts) }
    const size = Math.ceil(texts.length / parts)
    const chunks = Array.from({ length: parts }, (_, i) => texts.slice(i * size, (i + 1) * size))
    const results = yield* Effect.forEach(chunks, embedChunk, { concurrency: parts })
    const data = new Float32Array(new ArrayBuffer(texts.length * dim * 4))
    let offset = 0
    for (const r of results) {
      data.set(r, offset)
      offset += r.length
    }
    return { dim, data }
  })

  const embedRound = Effect.fn("Embedder.embedRound")(function* (input: RoundInput) {
    const n = input.responses.length
    const texts = [
      input.prompt,
      ...input.responses.map((r) => (r.error === undefined ? r.text : "")),
      ...(input.reference === null ? [] : [input.reference])
    ]
    const m = texts.length
    const task: EmbedRoundTask = { texts, simStart: 1, simCount: n }
    const packed = yield* call("embedRound", m, "embedRound", task).pipe(
      Effect.flatMap(expectVec("embedRound", m, m * dim + n * n))
    )
    const buf = packed.buffer
    const f = 4
    const result: RoundEmbeddings = {
      dim,
      prompt: new Float32Array(buf, 0, dim),
      responses: new Float32Array(buf, dim * f, n * dim),
      reference: input.reference === null ? null : new Float32Array(buf, (1 + n) * dim * f, dim),
      similarity: new Float32Array(buf, m * dim * f, n * n)
    }
    return result
  })

  const similarity = Effect.fn("Embedder.similarity")(function* (data: Float32Array, n: number, d: number) {
    if (data.length < n * d) {
      return yield* new EmbedError({
        operation: "similarity",
        size: n,
        model: spec.name,
        message: `data has ${data.length} floats, need ${n}×${d}`
      })
    }
    const copy = new Float32Array(new ArrayBuffer(n * d * 4))
    copy.set(data.subarray(0, n * d))
    const task: SimilarityTask = { data: copy, n, dim: d }
    return yield* call("similarity", n, "similarity", task, [copy.buffer]).pipe(
      Effect.flatMap(expectVec("similarity", n, n * n))
    )
  })

  const renderPng = Effect.fn("Embedder.renderPng")(function* (svg: string, fitWidth?: number) {
    const task: RenderPngTask = fitWidth === undefined ? { svg } : { svg, fitWidth }
    const out = yield* call("renderPng", 1, "renderPng", task)
    if (!(out instanceof Uint8Array)) {
      return yield* new EmbedError({ operation: "renderPng", size: 1, model: spec.name, message: "worker did not return bytes" })
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
      return yield* new EmbedError({ operation: "heatmap", size: input.n, model: spec.name, message: "worker did not return a heatmap" })
    }
    const png = r.png === null ? null : new Uint8Array(r.png.buffer as ArrayBuffer, r.png.byteOffset, r.png.byteLength)
    return { svg: r.svg, png }
  })

  // load the model in every worker now, so a broken model fails the layer instead of the first round
  const warmup = call("warmup", 1, "warmup", {}, undefined, options.loadTimeoutMs ?? 120_000).pipe(
    Effect.flatMap((u) =>
      u === dim
        ? Effect.void
        : Effect.fail(
            new EmbedError({ operation: "warmup", size: 1, model: spec.name, message: `model produced ${String(u)} floats, config says ${dim}` })
          )
    )
  )
  yield* Effect.forEach(Array.from({ length: poolSize }, () => warmup), (w) => w, { concurrency: poolSize, discard: true })
  yield* Effect.logDebug("embedder ready").pipe(Effect.annotateLogs({ model: spec.name, dim, poolSize, intraOpThreads }))

  return Embedder.of({ model, embed, embedRound, similarity, renderPng, renderHeatmap })
})
