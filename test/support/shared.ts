// Where the read-only shared data lives (../shared beside the checkout). Tests skip cleanly without it.
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"

export const SHARED_DIR = resolve(import.meta.dir, "../../../shared")
export const MODELS_DIR = join(SHARED_DIR, "models")
export const USE_LITE_DIR = join(MODELS_DIR, "use-lite")
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
