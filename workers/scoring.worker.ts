// Piscina worker: one onnxruntime session + tokenizer per thread (created on the first embedding task),
// plus the similarity kernel and SVG → PNG rendering. Results go back as transferred buffers (Piscina.move).
// Task functions are named exports, selected with `pool.run(task, { name })`.
import { workerData } from "node:worker_threads"
import { Resvg } from "@resvg/resvg-js"
import Piscina from "piscina"
import { makeOnnxCosine, type OnnxCosine } from "./onnxCosine.ts"
import { heatmapSvg } from "../src/scoring/heatmap.ts"
import { cosineMatrix } from "../src/scoring/similarity.ts"
import { makeEncoder, type Encoder } from "./encoder.ts"
import type { EmbedRoundTask, EmbedTask, HeatmapTask, RenderPngTask, ScoringWorkerData, SimilarityTask } from "./protocol.ts"
import { makeHeapTrim } from "./heapTrim.ts"
import { lowerThreadPriority } from "./threadPriority.ts"

const config = workerData as ScoringWorkerData
// before any onnxruntime session exists: its intra-op threads inherit the thread's nice value
const priority = lowerThreadPriority(config.nice)
const trim = makeHeapTrim(config.gcIntervalSeconds)
let encoder: Promise<Encoder> | null = null
const getEncoder = (): Promise<Encoder> => {
  if (config.spec === null) return Promise.reject(new Error("this pool was started without a model"))
  if (encoder === null) {
    encoder = makeEncoder(
      config.spec,
      { intraOpThreads: config.intraOpThreads, device: config.device ?? "cpu" },
      {
        ...(config.maxBatch === undefined ? {} : { maxBatch: config.maxBatch }),
        ...(config.tokenBudget === undefined ? {} : { tokenBudget: config.tokenBudget }),
        ...(config.maxWindows === undefined ? {} : { maxWindows: config.maxWindows })
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
  const out = await enc.embed(task.texts)
  trim.afterTask()
  return Piscina.move(out)
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
  trim.afterTask()
  return Piscina.move(out)
}

/** Loads the model now (warm-up): the dimension the session produces and its execution provider. */
export const warmup = async () => {
  const enc = await getEncoder()
  const v = await enc.embed(["warm up"])
  return { dim: v.length, provider: enc.provider, note: enc.providerNote, priority }
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
    // resvg maps the CSS generic "sans-serif" to this family (its default, Arial, is rarely installed on Linux)
    font: { loadSystemFonts: true, sansSerifFamily: "DejaVu Sans", defaultFontFamily: "DejaVu Sans" },
    ...(fitWidth === undefined ? {} : { fitTo: { mode: "width" as const, value: fitWidth } })
  })
  const png = resvg.render().asPng()
  const out = new Uint8Array(new ArrayBuffer(png.byteLength))
  out.set(png)
  return out
}

export const renderPng = (task: RenderPngTask) => Piscina.move(rasterize(task.svg, task.fitWidth))

export const heatmap = (task: HeatmapTask): { readonly svg: string; readonly png: Uint8Array<ArrayBuffer> | null } => {
  const svg = heatmapSvg(task.input)
  return { svg, png: task.png ? rasterize(svg, task.fitWidth) : null }
}

/** This thread's JS heap in bytes (the load test samples one worker's beside RSS). */
export const heapUsed = () => process.memoryUsage().heapUsed

export default embed
