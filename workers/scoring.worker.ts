// Piscina worker: one onnxruntime session + tokenizer per thread (created on the first embedding task),
// plus the similarity kernel and SVG → PNG rendering. Results go back as transferred buffers (Piscina.move).
// Task functions are named exports, selected with `pool.run(task, { name })`.
import { workerData } from "node:worker_threads"
import { Resvg } from "@resvg/resvg-js"
import Piscina from "piscina"
import { makeEncoder, type Encoder } from "../src/embeddings/encoder.ts"
import type { ModelSpec } from "../src/embeddings/ModelResolver.ts"
import { makeOnnxCosine, type OnnxCosine } from "../src/embeddings/onnxCosine.ts"
import { type HeatmapInput, heatmapSvg } from "../src/scoring/heatmap.ts"
import { cosineMatrix } from "../src/scoring/similarity.ts"

/** What the pool passes as workerData. */
export interface ScoringWorkerData {
  readonly spec: ModelSpec | null
  readonly intraOpThreads: number
  readonly device?: "auto" | "cpu" | "cuda"
  readonly maxBatch?: number
  readonly tokenBudget?: number
}

export interface EmbedTask {
  readonly texts: ReadonlyArray<string>
}
/** Embeds all texts; also returns the cosine matrix of rows [simStart, simStart + simCount). */
export interface EmbedRoundTask {
  readonly texts: ReadonlyArray<string>
  readonly simStart: number
  readonly simCount: number
}
export interface SimilarityTask {
  readonly data: Float32Array<ArrayBuffer>
  readonly n: number
  readonly dim: number
}
export interface RenderPngTask {
  readonly svg: string
  readonly fitWidth?: number
}

const config = workerData as ScoringWorkerData
let encoder: Promise<Encoder> | null = null
const getEncoder = (): Promise<Encoder> => {
  if (config.spec === null) return Promise.reject(new Error("this pool was started without a model"))
  if (encoder === null) {
    encoder = makeEncoder(
      config.spec,
      { intraOpThreads: config.intraOpThreads, device: config.device ?? "cpu" },
      {
        ...(config.maxBatch === undefined ? {} : { maxBatch: config.maxBatch }),
        ...(config.tokenBudget === undefined ? {} : { tokenBudget: config.tokenBudget })
      }
    )
    encoder.catch(() => {
      encoder = null
    })
  }
  return encoder
}

/** texts → Float32Array n × dim (moved). */
export const embed = async (task: EmbedTask) => {
  const enc = await getEncoder()
  return Piscina.move(await enc.embed(task.texts))
}

/** texts → one Float32Array: [texts.length × dim embeddings | simCount × simCount cosine matrix] (moved). */
export const embedRound = async (task: EmbedRoundTask) => {
  const enc = await getEncoder()
  const dim = enc.dim
  const vecs = await enc.embed(task.texts)
  const n = task.simCount
  const sim = cosineMatrix(vecs.subarray(task.simStart * dim, (task.simStart + n) * dim), n, dim)
  const out = new Float32Array(new ArrayBuffer((vecs.length + sim.length) * 4))
  out.set(vecs, 0)
  out.set(sim, vecs.length)
  return Piscina.move(out)
}

/** Loads the model now (warm-up): the dimension the session produces and its execution provider. */
export const warmup = async () => {
  const enc = await getEncoder()
  const v = await enc.embed(["warm up"])
  return { dim: v.length, provider: enc.provider, note: enc.providerNote }
}

// onnxruntime's GEMM for the cosine matrix; the JS kernel when the session cannot be created
let gemm: Promise<OnnxCosine | null> | null = null
const getGemm = (): Promise<OnnxCosine | null> => (gemm ??= makeOnnxCosine(1).catch(() => null))

export const similarity = async (task: SimilarityTask) => {
  const g = await getGemm()
  return Piscina.move(g === null ? cosineMatrix(task.data, task.n, task.dim) : await g.matrix(task.data, task.n, task.dim))
}

const rasterize = (svg: string, fitWidth: number | undefined): Uint8Array<ArrayBuffer> => {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true },
    ...(fitWidth === undefined ? {} : { fitTo: { mode: "width" as const, value: fitWidth } })
  })
  const png = resvg.render().asPng()
  const out = new Uint8Array(new ArrayBuffer(png.byteLength))
  out.set(png)
  return out
}

export const renderPng = (task: RenderPngTask) => Piscina.move(rasterize(task.svg, task.fitWidth))

/** A round's heatmap, SVG built and rasterized here (a 256-answer SVG is ~5 MB of markup). */
export interface HeatmapTask {
  readonly input: HeatmapInput
  readonly png: boolean
  readonly fitWidth?: number
}

export const heatmap = (task: HeatmapTask): { readonly svg: string; readonly png: Uint8Array<ArrayBuffer> | null } => {
  const svg = heatmapSvg(task.input)
  return { svg, png: task.png ? rasterize(svg, task.fitWidth) : null }
}

export default embed
