import { afterAll, describe, expect, test } from "bun:test"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { DEFAULT_MODEL_REPO, ModelNotFound, readModelSpec, resolveModel } from "../../src/embeddings/ModelResolver.ts"
import { MINILM_SHAPE_DIR, MODELS_DIR, USE_LITE_DIR, hasMiniLmShape, hasSharedUseLite, hasUseLite, skipNote } from "../support/shared.ts"

const tmpRoots: Array<string> = []
const tmp = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `quorum-resolver-${label}-`))
  tmpRoots.push(d)
  return d
}
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true })
})

/** A folder holding symlinks to every file of `src` (flat + one level of subfolders). */
const linkDir = (src: string, dest: string, skip: ReadonlyArray<string> = []) => {
  mkdirSync(dest, { recursive: true })
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue
    if (entry.isDirectory()) linkDir(join(src, entry.name), join(dest, entry.name))
    else symlinkSync(join(src, entry.name), join(dest, entry.name))
  }
}

const failure = <A>(exit: Exit.Exit<A, ModelNotFound>): ModelNotFound => {
  if (Exit.isSuccess(exit)) throw new Error(`expected ModelNotFound, got a model`)
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (err === undefined || err._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return err.error
}

const noEnv = {}

describe("ModelResolver: folder specs", () => {
  test.skipIf(!hasUseLite)("use-lite: Unigram, pooling in the graph, 128 tokens, 512-d, no token_type_ids", async () => {
    const spec = await Effect.runPromise(readModelSpec(USE_LITE_DIR))
    expect(spec.pooling).toBe("in-graph")
    expect(spec.outputName).toBe("sentence_embedding")
    expect(spec.maxLength).toBe(128)
    expect(spec.dim).toBe(512)
    expect(spec.inputNames).toEqual(["input_ids", "attention_mask"])
    expect(spec.modelFile).toBe(join(USE_LITE_DIR, "model.onnx"))
    const q = await Effect.runPromise(readModelSpec(USE_LITE_DIR, { quantized: true }))
    expect(q.modelFile).toBe(join(USE_LITE_DIR, "model_quantized.onnx"))
  })

  test.skipIf(!hasMiniLmShape)("minilm-l6-shape: WordPiece, external mean pooling, 384-d, token_type_ids, onnx/ subfolder", async () => {
    const spec = await Effect.runPromise(readModelSpec(MINILM_SHAPE_DIR))
    expect(spec.pooling).toBe("mean")
    expect(spec.outputName).toBe("last_hidden_state")
    expect(spec.dim).toBe(384)
    expect(spec.maxLength).toBe(512) // no sentence_bert_config.json in the folder: tokenizer max / positions
    expect(spec.inputNames).toContain("token_type_ids")
    expect(spec.modelFile).toBe(join(MINILM_SHAPE_DIR, "onnx/model_quantized.onnx"))
  })

  test.skipIf(!hasMiniLmShape)("sentence_bert_config.json max_seq_length wins over the tokenizer's maximum", async () => {
    const d = join(tmp("sbert"), "m")
    linkDir(MINILM_SHAPE_DIR, d)
    writeFileSync(join(d, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: 256, do_lower_case: false }))
    const spec = await Effect.runPromise(readModelSpec(d))
    expect(spec.maxLength).toBe(256)
  })

  test("a malformed or incomplete folder is a typed ModelNotFound that says how to get a model", async () => {
    const root = tmp("bad")
    const missing = failure(await Effect.runPromiseExit(readModelSpec(join(root, "nope"))))
    expect(missing._tag).toBe("ModelNotFound")
    expect(missing.message).toContain("MODEL_PATH")

    const noTok = join(root, "no-tokenizer")
    mkdirSync(noTok)
    writeFileSync(join(noTok, "model.onnx"), "x")
    writeFileSync(join(noTok, "config.json"), "{}")
    const e1 = failure(await Effect.runPromiseExit(readModelSpec(noTok)))
    expect(e1.message).toContain("tokenizer.json")

    const badJson = join(root, "bad-json")
    mkdirSync(badJson)
    writeFileSync(join(badJson, "model.onnx"), "x")
    writeFileSync(join(badJson, "tokenizer.json"), JSON.stringify({ model: { type: "WordPiece" } }))
    writeFileSync(join(badJson, "config.json"), "{ not json")
    const e2 = failure(await Effect.runPromiseExit(readModelSpec(badJson)))
    expect(e2.message).toContain("config.json")

    // an explicit MODEL_PATH that is broken does not silently fall back to another model
    const e3 = failure(
      await Effect.runPromiseExit(resolveModel({ env: { MODEL_PATH: badJson }, sharedModelsDir: MODELS_DIR, offline: true }))
    )
    expect(e3.wanted).toBe(badJson)
    expect(e3.message).toContain("MODEL_PATH")
  })
})

describe("ModelResolver: resolution order", () => {
  if (!hasSharedUseLite || !hasMiniLmShape) skipNote("shared models", MODELS_DIR)

  test.skipIf(!hasSharedUseLite || !hasMiniLmShape)("nothing configured on a machine with ../shared/models → use-lite, never the shape-only model", async () => {
    const spec = await Effect.runPromise(
      resolveModel({ env: noEnv, cacheDir: tmp("cache-empty"), sharedModelsDir: MODELS_DIR, offline: true })
    )
    expect(spec.name).toBe("use-lite")
    expect(spec.source).toBe("shared")
  })

  test.skipIf(!hasMiniLmShape)("a shared dir with only the shape-only model is not used by default", async () => {
    const shared = tmp("shared-shape-only")
    linkDir(MINILM_SHAPE_DIR, join(shared, "minilm-l6-shape"))
    const err = failure(
      await Effect.runPromiseExit(resolveModel({ env: noEnv, cacheDir: tmp("cache"), sharedModelsDir: shared, offline: true, noBuild: true }))
    )
    expect(err._tag).toBe("ModelNotFound")
    expect(err.wanted).toBe(DEFAULT_MODEL_REPO)
    expect(err.message).toContain("MODEL_PATH")
    // ... but it is used when named explicitly (by folder name or path)
    const named = await Effect.runPromise(
      resolveModel({ modelPath: "minilm-l6-shape", env: noEnv, sharedModelsDir: shared, offline: true })
    )
    expect(named.name).toBe("minilm-l6-shape")
    expect(named.source).toBe("explicit")
    const byEnv = await Effect.runPromise(
      resolveModel({ env: { MODEL_PATH: MINILM_SHAPE_DIR }, sharedModelsDir: shared, offline: true })
    )
    expect(byEnv.dir).toBe(MINILM_SHAPE_DIR)
  })

  test.skipIf(!hasSharedUseLite || !hasMiniLmShape)("explicit path beats the cache, the cache beats ../shared/models", async () => {
    const cacheRoot = tmp("cache-order")
    linkDir(MINILM_SHAPE_DIR, join(cacheRoot, DEFAULT_MODEL_REPO))
    const fromCache = await Effect.runPromise(
      resolveModel({ env: noEnv, cacheDir: cacheRoot, sharedModelsDir: MODELS_DIR, offline: true })
    )
    expect(fromCache.source).toBe("cache")
    expect(fromCache.dim).toBe(384)
    const fromEnvCache = await Effect.runPromise(
      resolveModel({ env: { MODEL_CACHE_DIR: cacheRoot }, sharedModelsDir: MODELS_DIR, offline: true })
    )
    expect(fromEnvCache.source).toBe("cache")
    const explicit = await Effect.runPromise(
      resolveModel({ modelPath: USE_LITE_DIR, env: noEnv, cacheDir: cacheRoot, sharedModelsDir: MODELS_DIR, offline: true })
    )
    expect(explicit.source).toBe("explicit")
    expect(explicit.dim).toBe(512)
  })

  test.skipIf(!hasUseLite)("a non-default repo skips ../shared/models; offline with nothing cached is ModelNotFound", async () => {
    const err = failure(
      await Effect.runPromiseExit(
        resolveModel({ modelRepo: "someone/other-model", env: noEnv, cacheDir: tmp("c"), sharedModelsDir: MODELS_DIR, offline: true })
      )
    )
    expect(err.wanted).toBe("someone/other-model")
    expect(err.tried.some((t) => t.includes("offline"))).toBe(true)
  })
})

describe("ModelResolver: hub download (local HTTP server with the hub layout)", () => {
  test.skipIf(!hasUseLite)("downloads into the cache once, then resolves from the cache without a request", async () => {
    const repo = "acme/use-lite-test"
    const hits: Array<string> = []
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const path = decodeURIComponent(new URL(req.url).pathname)
        hits.push(path)
        const prefix = `/${repo}/resolve/main/`
        if (!path.startsWith(prefix)) return new Response("no such repo", { status: 404 })
        const rel = path.slice(prefix.length)
        const file = join(USE_LITE_DIR, rel)
        if (rel.includes("..") || rel.startsWith("onnx/") || !existsSync(file)) return new Response("not found", { status: 404 })
        return new Response(Bun.file(file))
      }
    })
    try {
      const cacheRoot = tmp("hub")
      const opts = { modelRepo: repo, env: noEnv, cacheDir: cacheRoot, sharedModelsDir: MODELS_DIR, hfEndpoint: `http://127.0.0.1:${server.port}`, downloadTimeoutMs: 30_000 }
      const first = await Effect.runPromise(resolveModel(opts))
      expect(first.source).toBe("download")
      expect(first.dir).toBe(join(cacheRoot, repo))
      expect(first.modelFile).toBe(join(cacheRoot, repo, "model.onnx")) // onnx/model.onnx was a 404
      expect(first.pooling).toBe("in-graph")
      expect(hits).toContain(`/${repo}/resolve/main/tokenizer.json`)
      expect(hits).toContain(`/${repo}/resolve/main/model.onnx`)
      expect(Bun.file(first.modelFile).size).toBe(Bun.file(join(USE_LITE_DIR, "model.onnx")).size)
      // no temp files or partial folders are left behind
      expect(readdirSync(join(cacheRoot, "acme"))).toEqual(["use-lite-test"])
      expect(readdirSync(first.dir).filter((f) => f.includes(".tmp-") || f.includes(".partial-"))).toEqual([])

      const before = hits.length
      const second = await Effect.runPromise(resolveModel(opts))
      expect(second.source).toBe("cache")
      expect(second.dir).toBe(first.dir)
      expect(hits.length).toBe(before)

      // via HF_ENDPOINT from the environment; a repo the server lacks gives the typed error and no cache dir
      const err = failure(
        await Effect.runPromiseExit(
          resolveModel({ modelRepo: "acme/missing", env: { HF_ENDPOINT: `http://127.0.0.1:${server.port}` }, cacheDir: cacheRoot, sharedModelsDir: MODELS_DIR })
        )
      )
      expect(err.tried.some((t) => t.includes("404"))).toBe(true)
      expect(existsSync(join(cacheRoot, "acme/missing"))).toBe(false)
      expect(readdirSync(join(cacheRoot, "acme")).sort()).toEqual(["use-lite-test"])
    } finally {
      server.stop(true)
    }
  }, 30_000)

  test("an unreachable hub is a typed ModelNotFound (timeout honoured)", async () => {
    // a port that was just freed: connection refused, quickly
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") })
    const port = s.port
    s.stop(true)
    const err = failure(
      await Effect.runPromiseExit(
        resolveModel({ env: noEnv, modelRepo: "acme/x", cacheDir: tmp("unreach"), sharedModelsDir: tmp("noshared"), hfEndpoint: `http://127.0.0.1:${port}`, downloadTimeoutMs: 2_000 })
      )
    )
    expect(err._tag).toBe("ModelNotFound")
    expect(err.tried.some((t) => t.startsWith("download"))).toBe(true)
  }, 10_000)

  test("a hub that never answers is cut off by the download timeout", async () => {
    const stalled = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Promise<Response>((done) => setTimeout(() => done(new Response("late")), 5_000))
    })
    try {
      const t0 = performance.now()
      const err = failure(
        await Effect.runPromiseExit(
          resolveModel({ env: noEnv, modelRepo: "acme/slow", cacheDir: tmp("slow"), sharedModelsDir: tmp("noshared2"), hfEndpoint: `http://127.0.0.1:${stalled.port}`, downloadTimeoutMs: 300 })
        )
      )
      expect(performance.now() - t0).toBeLessThan(3_000)
      expect(err.tried.some((t) => t.startsWith("download"))).toBe(true)
    } finally {
      stalled.stop(true)
    }
  }, 10_000)
})
