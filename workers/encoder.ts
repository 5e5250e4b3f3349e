// The embedding pipeline that runs inside a worker thread (and in the benchmark's bare baseline):
// tokenize (word by word with a memo where that is exact, wordTokens.ts) → split long texts into windows of
// the model's max length (special tokens added per window; at most maxWindows of them, spread evenly) →
// batch windows of similar length → onnxruntime → pool (mean/cls/max, or the graph's own output) →
// token-weighted mean of a text's windows → L2 normalization. Empty texts give all-zero rows.
import { readFileSync } from "node:fs"
import { Tokenizer } from "@huggingface/tokenizers"
import ort from "onnxruntime-node"
import { normalizeRows } from "../src/scoring/similarity.ts"
import type { Vec } from "../src/scoring/types.ts"
import type { ModelSpec } from "../src/embeddings/ModelResolver.ts"
import { createSession, type Device } from "./executionProvider.ts"
import { makeTokenIds } from "./wordTokens.ts"

/** One model window: token ids with special tokens, the text row it belongs to, its weight. */
export interface Window {
  readonly row: number
  readonly ids: ReadonlyArray<number>
  /** Content tokens (without special tokens). */
  readonly weight: number
}

/** Model inputs for one batch of windows (right-padded). */
export interface Batch {
  readonly windows: ReadonlyArray<Window>
  readonly seqLen: number
  readonly feeds: Record<string, ort.Tensor>
}

export interface EncoderOptions {
  /** Most windows per batch (default 32; 1 for an int8 graph). */
  readonly maxBatch?: number
  /** Most padded tokens per batch, batch × seqLen (default 32 × 128). */
  readonly tokenBudget?: number
  /** Most windows embedded per text (default 0: all). A longer text is still cut into even windows, of which
   *  this many, spread evenly from its first to its last, are embedded: run time follows tokens embedded. */
  readonly maxWindows?: number
}

export interface Encoder {
  readonly spec: ModelSpec
  readonly dim: number
  readonly session: ort.InferenceSession
  /** The execution provider the session runs on, and why not CUDA when it was asked for. */
  readonly provider: "cpu" | "cuda"
  readonly providerNote: string | null
  readonly tokenizer: Tokenizer
  /** Token ids around each window (e.g. [CLS] … [SEP]). */
  readonly prefix: ReadonlyArray<number>
  readonly suffix: ReadonlyArray<number>
  /** Windows of the given rows of `texts` (all rows when omitted); empty texts give none. */
  readonly windowsOf: (texts: ReadonlyArray<string>, rows?: ReadonlyArray<number>) => Array<Window>
  readonly planBatches: (windows: ReadonlyArray<Window>) => Array<Batch>
  /** One batch of exactly these windows, in this order, padded to the longest (the benchmark's bare baseline). */
  readonly batchOf: (windows: ReadonlyArray<Window>) => Batch
  /** The batches embed() runs for `texts`, in order. */
  readonly plan: (texts: ReadonlyArray<string>) => Array<Batch>
  /** The full pipeline: n × dim, rows L2-normalized (zero rows for empty texts). */
  readonly embed: (texts: ReadonlyArray<string>) => Promise<Vec>
  /** Pooled, normalized vectors of one batch (windows × dim). */
  readonly runBatch: (batch: Batch) => Promise<Float32Array>
}

export interface SessionOptions {
  readonly intraOpThreads?: number
  /** Execution provider (default cpu). */
  readonly device?: Device
}

/** Token ids a template adds around a single sequence, found by encoding a probe with and without them. */
const specialsAround = (tok: Tokenizer): { prefix: Array<number>; suffix: Array<number> } => {
  const probe = "hello world"
  const bare = tok.encode(probe, { add_special_tokens: false }).ids
  const full = tok.encode(probe, { add_special_tokens: true }).ids
  for (let start = 0; start + bare.length <= full.length; start++) {
    if (bare.every((id, k) => full[start + k] === id)) {
      return { prefix: full.slice(0, start), suffix: full.slice(start + bare.length) }
    }
  }
  return { prefix: [], suffix: [] }
}

/** Indices of the windows embedded out of `count`: all when `max` is 0 or not below `count`, else `max` of them
 *  spread evenly from the first to the last (one window: the first, as a truncating embedder would). */
export const pickWindows = (count: number, max: number): Array<number> => {
  if (max <= 0 || count <= max) return Array.from({ length: count }, (_, k) => k)
  if (max === 1) return [0]
  return Array.from({ length: max }, (_, j) => Math.round((j * (count - 1)) / (max - 1)))
}

export const makeEncoder = async (
  spec: ModelSpec,
  sessionOptions: SessionOptions = {},
  options: EncoderOptions = {}
): Promise<Encoder> => {
  const tokenizerJson: unknown = JSON.parse(readFileSync(spec.tokenizerFile, "utf8"))
  const tokenizerConfig: unknown =
    spec.tokenizerConfigFile === null ? {} : JSON.parse(readFileSync(spec.tokenizerConfigFile, "utf8"))
  const tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig as object)
  const { session, provider, note: providerNote } = await createSession(spec.modelFile, sessionOptions.device ?? "cpu", {
    intraOpNumThreads: Math.max(1, sessionOptions.intraOpThreads ?? 1),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } }
  })
  // The session is the authority on names; the config only guides.
  const inputNames = session.inputNames
  const outputName = session.outputNames.includes(spec.outputName)
    ? spec.outputName
    : session.outputNames.includes("sentence_embedding")
      ? "sentence_embedding"
      : session.outputNames.includes("last_hidden_state")
        ? "last_hidden_state"
        : session.outputNames[0]!
  const inGraph = outputName === "sentence_embedding" || spec.pooling === "in-graph"
  const { prefix, suffix } = specialsAround(tokenizer)
  const tokenIds = makeTokenIds(tokenizer, tokenizerJson)
  // an int8 graph scales its activations over the whole batch: one window per run keeps a row independent of its
  // neighbours, and on CPU it is also faster than batches of 32 (no padding; measured by `bun run bench round`)
  const maxBatch = Math.max(1, options.maxBatch ?? (spec.quantized ? 1 : 32))
  const tokenBudget = Math.max(spec.maxLength, options.tokenBudget ?? 32 * 128)
  const windowLen = Math.max(1, spec.maxLength - prefix.length - suffix.length)
  const maxWindows = Math.max(0, Math.floor(options.maxWindows ?? 0))
  const dim = spec.dim

  const windowsOf = (texts: ReadonlyArray<string>, rows?: ReadonlyArray<number>): Array<Window> => {
    const out: Array<Window> = []
    const picked = rows ?? texts.map((_, i) => i)
    picked.forEach((row) => {
      const text = texts[row] ?? ""
      if (text.trim().length === 0) return
      const ids = tokenIds(text)
      if (ids.length === 0) return
      // even split: ceil(L / windowLen) windows of nearly equal length (no tiny tail window)
      const count = Math.ceil(ids.length / windowLen)
      const size = Math.ceil(ids.length / count)
      for (const k of pickWindows(Math.ceil(ids.length / size), maxWindows)) {
        const chunk = ids.slice(k * size, (k + 1) * size)
        out.push({ row, ids: [...prefix, ...chunk, ...suffix], weight: chunk.length })
      }
    })
    return out
  }

  const feedsOf = (windows: ReadonlyArray<Window>, seqLen: number): Record<string, ort.Tensor> => {
    const size = windows.length * seqLen
    const ids = new BigInt64Array(size)
    const mask = new BigInt64Array(size)
    const pad = BigInt(spec.padId)
    windows.forEach((w, b) => {
      const o = b * seqLen
      for (let t = 0; t < seqLen; t++) {
        const id = w.ids[t]
        if (id === undefined) ids[o + t] = pad
        else {
          ids[o + t] = BigInt(id)
          mask[o + t] = 1n
        }
      }
    })
    const dims = [windows.length, seqLen]
    const feeds: Record<string, ort.Tensor> = {}
    for (const name of inputNames) {
      if (name === "input_ids") feeds[name] = new ort.Tensor("int64", ids, dims)
      else if (name === "attention_mask") feeds[name] = new ort.Tensor("int64", mask, dims)
      else if (name === "token_type_ids") feeds[name] = new ort.Tensor("int64", new BigInt64Array(size), dims)
      else throw new Error(`model input "${name}" is not supported (expected input_ids, attention_mask, token_type_ids)`)
    }
    return feeds
  }

  const planBatches = (windows: ReadonlyArray<Window>): Array<Batch> => {
    const sorted = [...windows].sort((a, b) => a.ids.length - b.ids.length)
    const batches: Array<Batch> = []
    let start = 0
    while (start < sorted.length) {
      let end = start + 1
      // sorted ascending: the last window fixes the padded length
      while (end < sorted.length && end - start < maxBatch && (end - start + 1) * sorted[end]!.ids.length <= tokenBudget) end++
      const group = sorted.slice(start, end)
      const seqLen = group[group.length - 1]!.ids.length
      batches.push({ windows: group, seqLen, feeds: feedsOf(group, seqLen) })
      start = end
    }
    return batches
  }

  const batchOf = (windows: ReadonlyArray<Window>): Batch => {
    const seqLen = windows.reduce((m, w) => Math.max(m, w.ids.length), 0)
    return { windows, seqLen, feeds: feedsOf(windows, seqLen) }
  }

  const poolOutput = (batch: Batch, result: ort.InferenceSession.OnnxValueMapType): Float32Array => {
    const output = result[outputName]
    if (output === undefined || output.type !== "float32") throw new Error(`model output "${outputName}" missing or not float32`)
    const data = output.data as Float32Array
    const n = batch.windows.length
    const vecs = new Float32Array(n * dim)
    if (inGraph) {
      if (data.length !== n * dim) throw new Error(`output has ${data.length} floats, expected ${n}×${dim}`)
      vecs.set(data)
    } else {
      const T = batch.seqLen
      const H = data.length / (n * T)
      if (H !== dim) throw new Error(`output hidden size ${H} differs from the config's dimension ${dim}`)
      for (let b = 0; b < n; b++) {
        const L = batch.windows[b]!.ids.length
        const v = b * dim
        const base = b * T * dim
        if (spec.pooling === "cls") {
          for (let k = 0; k < dim; k++) vecs[v + k] = data[base + k]!
        } else if (spec.pooling === "max") {
          for (let k = 0; k < dim; k++) vecs[v + k] = -Infinity
          for (let t = 0; t < L; t++) {
            const o = base + t * dim
            for (let k = 0; k < dim; k++) if (data[o + k]! > vecs[v + k]!) vecs[v + k] = data[o + k]!
          }
        } else {
          for (let t = 0; t < L; t++) {
            const o = base + t * dim
            for (let k = 0; k < dim; k++) vecs[v + k] = vecs[v + k]! + data[o + k]!
          }
          const inv = 1 / L
          for (let k = 0; k < dim; k++) vecs[v + k] = vecs[v + k]! * inv
        }
      }
    }
    normalizeRows(vecs, n, dim)
    return vecs
  }

  const runBatch = async (batch: Batch): Promise<Float32Array> => poolOutput(batch, await session.run(batch.feeds))

  /**
   * Rows in two parts: the maxBatch shortest texts (by characters, a cheap proxy for tokens) and the rest.
   * The first part starts on onnxruntime while this thread tokenizes the rest, which is then batched by
   * exact token length.
   */
  const partsOf = (texts: ReadonlyArray<string>): [Array<number>, Array<number>] => {
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length)
    return [order.slice(0, maxBatch), order.slice(maxBatch)]
  }

  /** Every batch embed() runs for these texts, in order (the benchmark's bare baseline runs exactly these). */
  const plan = (texts: ReadonlyArray<string>): Array<Batch> =>
    partsOf(texts).flatMap((rows) => planBatches(windowsOf(texts, rows)))

  const embed = async (texts: ReadonlyArray<string>): Promise<Vec> => {
    const out = new Float32Array(new ArrayBuffer(texts.length * dim * 4))
    // the next batch starts on onnxruntime before this thread pools the previous one
    const runAll = async (batches: ReadonlyArray<Batch>) => {
      let next = batches.length > 0 ? session.run(batches[0]!.feeds) : null
      for (let i = 0; i < batches.length; i++) {
        const batch = batches[i]!
        const result = await next!
        next = i + 1 < batches.length ? session.run(batches[i + 1]!.feeds) : null
        let vecs: Float32Array
        try {
          vecs = poolOutput(batch, result)
        } catch (e) {
          if (next !== null) await next.catch(() => undefined)
          throw e
        }
        batch.windows.forEach((w, b) => {
          const o = w.row * dim
          const v = b * dim
          for (let k = 0; k < dim; k++) out[o + k] = out[o + k]! + w.weight * vecs[v + k]!
        })
      }
    }
    // pipeline: tokenize the rest on this thread while onnxruntime runs the first part
    const [first, rest] = partsOf(texts)
    const head = runAll(planBatches(windowsOf(texts, first)))
    let tail: Array<Batch>
    try {
      tail = planBatches(windowsOf(texts, rest))
    } catch (e) {
      await head.catch(() => undefined)
      throw e
    }
    await head
    await runAll(tail)
    normalizeRows(out, texts.length, dim)
    return out
  }

  return { spec, dim, session, provider, providerNote, tokenizer, prefix, suffix, windowsOf, planBatches, batchOf, plan, embed, runBatch }
}
