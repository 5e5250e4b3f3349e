// A model folder on disk read into a ModelSpec: config.json, tokenizer.json, the sentence-transformers
// files (modules.json, 1_Pooling, sentence_bert_config.json) when present; only the fields we use are
// decoded (everything optional, unknown keys ignored). Throws BadFolder with the reason it is not usable.
import { existsSync, readFileSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { Schema } from "effect"

export type Pooling = "mean" | "cls" | "max" | "in-graph"

/** Everything the worker needs to run the model: plain data, structured-clone safe. */
export interface ModelSpec {
  readonly name: string
  readonly dir: string
  readonly modelFile: string
  readonly tokenizerFile: string
  readonly tokenizerConfigFile: string | null
  /** Graph inputs, as far as the config says; the worker checks them against the session. */
  readonly inputNames: ReadonlyArray<string>
  /** Output to read: last_hidden_state (pooled by us) or sentence_embedding (pooled in the graph). */
  readonly outputName: string
  readonly pooling: Pooling
  /** Tokens per window including special tokens. */
  readonly maxLength: number
  readonly dim: number
  readonly padId: number
  /** The graph is the int8 variant (model_quantized.onnx): its dynamic activation quantization scales by the
   *  whole batch, so the encoder runs it one window at a time (rows then do not depend on their neighbours). */
  readonly quantized: boolean
  readonly source: "explicit" | "cache" | "shared" | "built" | "download"
}

const OptNum = Schema.optional(Schema.Number)
const ConfigJson = Schema.Struct({
  model_type: Schema.optional(Schema.String),
  hidden_size: OptNum,
  max_position_embeddings: OptNum,
  max_seq_length: OptNum,
  sentence_embedding_dim: OptNum,
  pad_token_id: Schema.optional(Schema.NullOr(Schema.Number)),
  pooling: Schema.optional(Schema.String),
  normalized: Schema.optional(Schema.Boolean),
  onnx: Schema.optional(
    Schema.Struct({
      inputs: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
      outputs: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
    })
  )
})
const TokenizerConfigJson = Schema.Struct({ model_max_length: OptNum })
const SentenceBertConfigJson = Schema.Struct({ max_seq_length: OptNum })
const ModulesJson = Schema.Array(Schema.Struct({ path: Schema.String, type: Schema.String }))
const PoolingConfigJson = Schema.Struct({
  word_embedding_dimension: OptNum,
  pooling_mode_cls_token: Schema.optional(Schema.Boolean),
  pooling_mode_mean_tokens: Schema.optional(Schema.Boolean),
  pooling_mode_max_tokens: Schema.optional(Schema.Boolean)
})
const TokenizerJsonHead = Schema.Struct({
  model: Schema.Struct({ type: Schema.optional(Schema.String) }),
  padding: Schema.optional(Schema.NullOr(Schema.Struct({ pad_id: OptNum })))
})

export class BadFolder extends Error {}

const readJson = <S extends Schema.Top & { readonly DecodingServices: never }>(
  file: string,
  schema: S
): S["Type"] => {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, "utf8"))
  } catch (e) {
    throw new BadFolder(`${file}: not readable JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  const r = Schema.decodeUnknownExit(schema)(raw)
  if (r._tag === "Failure") throw new BadFolder(`${file}: unexpected content`)
  return r.value
}
const readJsonIf = <S extends Schema.Top & { readonly DecodingServices: never }>(
  file: string,
  schema: S
): S["Type"] | undefined => (existsSync(file) ? readJson(file, schema) : undefined)

const isFile = (p: string) => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}
export const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

export const MODEL_CANDIDATES = (quantized: boolean) =>
  quantized
    ? ["onnx/model_quantized.onnx", "model_quantized.onnx", "onnx/model.onnx", "model.onnx"]
    : ["onnx/model.onnx", "model.onnx", "onnx/model_quantized.onnx", "model_quantized.onnx"]

/** Reads a model folder into a ModelSpec; throws BadFolder with the reason when it is not usable. */
export const specOf = (dir: string, name: string, source: ModelSpec["source"], quantized: boolean): ModelSpec => {
  if (!isDir(dir)) throw new BadFolder(`${dir}: no such directory`)
  const modelRel = MODEL_CANDIDATES(quantized).find((f) => isFile(join(dir, f)))
  if (modelRel === undefined) throw new BadFolder(`${dir}: no model.onnx, onnx/model.onnx or model_quantized variant`)
  const tokenizerFile = join(dir, "tokenizer.json")
  if (!isFile(tokenizerFile)) throw new BadFolder(`${dir}: no tokenizer.json`)
  if (!isFile(join(dir, "config.json"))) throw new BadFolder(`${dir}: no config.json`)
  const config = readJson(join(dir, "config.json"), ConfigJson)
  const tokCfgFile = join(dir, "tokenizer_config.json")
  const tokCfg = readJsonIf(tokCfgFile, TokenizerConfigJson)
  const sbert = readJsonIf(join(dir, "sentence_bert_config.json"), SentenceBertConfigJson)
  const modules = readJsonIf(join(dir, "modules.json"), ModulesJson)
  const tokHead = readJson(tokenizerFile, TokenizerJsonHead)

  // Pooling: a sentence-transformers Pooling module → external; an in-graph output → none.
  const poolingModule = modules?.find((m) => m.type.endsWith(".Pooling"))
  const poolCfg = readJsonIf(join(dir, poolingModule?.path ?? "1_Pooling", "config.json"), PoolingConfigJson)
  const graphOutputs = Object.keys(config.onnx?.outputs ?? {})
  const inGraph =
    graphOutputs.includes("sentence_embedding") ||
    (poolCfg === undefined && config.pooling !== undefined && /^none|inside the graph/i.test(config.pooling))
  const pooling: Pooling = inGraph
    ? "in-graph"
    : poolCfg?.pooling_mode_cls_token === true
      ? "cls"
      : poolCfg?.pooling_mode_max_tokens === true
        ? "max"
        : "mean"

  const dim = inGraph
    ? (config.sentence_embedding_dim ?? config.hidden_size)
    : (poolCfg?.word_embedding_dimension ?? config.hidden_size)
  if (dim === undefined || !Number.isInteger(dim) || dim <= 0) throw new BadFolder(`${dir}: embedding dimension unknown`)

  const sane = (n: number | undefined) => (n !== undefined && Number.isInteger(n) && n > 2 && n <= 100_000 ? n : undefined)
  const maxLength =
    sane(sbert?.max_seq_length) ??
    sane(config.max_seq_length) ??
    sane(tokCfg?.model_max_length) ??
    sane(config.max_position_embeddings) ??
    512

  const declaredInputs = Object.keys(config.onnx?.inputs ?? {})
  const inputNames =
    declaredInputs.length > 0
      ? declaredInputs
      : config.model_type === "bert" || tokHead.model.type === "WordPiece"
        ? ["input_ids", "attention_mask", "token_type_ids"]
        : ["input_ids", "attention_mask"]

  return {
    name,
    dir,
    modelFile: join(dir, modelRel),
    tokenizerFile,
    tokenizerConfigFile: isFile(tokCfgFile) ? tokCfgFile : null,
    inputNames,
    outputName: inGraph ? "sentence_embedding" : "last_hidden_state",
    pooling,
    maxLength,
    dim,
    padId: tokHead.padding?.pad_id ?? config.pad_token_id ?? 0,
    quantized: /quantized/.test(modelRel),
    source
  }
}

export const basenameOf = (p: string) => resolve(p).split("/").filter((s) => s.length > 0).pop() ?? p
