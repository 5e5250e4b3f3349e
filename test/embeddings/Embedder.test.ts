import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { Effect, Exit, ManagedRuntime } from "effect"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { Embedder, EMBED_DEFAULTS, EmbedError, variantOf } from "../../src/embeddings/Embedder.ts"
import { makeEncoder } from "../../workers/encoder.ts"
import { readModelSpec } from "../../src/embeddings/ModelResolver.ts"
import { cosineMatrix } from "../../src/scoring/similarity.ts"
import type { MinerResponse } from "../../src/scoring/types.ts"
import { MINILM_SHAPE_DIR, MODELS_DIR, USE_LITE_DIR, USE_LITE_REFERENCE, hasMiniLmShape, hasUseLite, skipNote } from "../support/shared.ts"

if (!hasUseLite) skipNote("use-lite model", USE_LITE_DIR)
if (!hasMiniLmShape) skipNote("minilm-l6-shape model", MINILM_SHAPE_DIR)

const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number) => {
  let s = 0
  for (let k = 0; k < dim; k++) s += a[ai * dim + k]! * b[bi * dim + k]!
  return s
}
const norm = (a: Float32Array, i: number, dim: number) => Math.sqrt(dot(a, i, a, i, dim))

const GUITAR_FOX_LONG =
  "A man is playing an old acoustic guitar on a small stage, strumming slow chords while the audience listens quietly. " +
  "He tunes the strings between songs, changes the capo, and picks a melody with his fingers, humming along. " +
  "The guitar has a worn wooden body and steel strings that ring for a long time after each chord. " +
  "After the concert he puts the guitar back into its case and talks with the people who stayed. " +
  "Meanwhile, far away, a chef in a busy restaurant kitchen chops onions, garlic and carrots for a soup. " +
  "She stirs the pot, adds salt, pepper and fresh herbs, and tastes the broth with a wooden spoon. " +
  "The soup simmers for an hour before it is served with bread to hungry guests at the long tables. " +
  "Later the cook washes the pans, wipes the counters and writes tomorrow's menu on the blackboard."

describe.skipIf(!hasUseLite)("Embedder with use-lite (real model)", () => {
  let rt: ManagedRuntime.ManagedRuntime<Embedder, unknown>
  const run = <A, E>(f: (e: Embedder["Service"]) => Effect.Effect<A, E>) => rt.runPromise(Embedder.use(f))

  beforeAll(async () => {
    rt = ManagedRuntime.make(
      // the fp32 graph with every window: what the original model computes (the defaults are tested below)
      Embedder.layer({ modelPath: USE_LITE_DIR, quantized: false, maxWindows: 0, poolSize: 2, intraOpThreads: 1, offline: true, timeoutMs: 30_000 })
    )
    await rt.runPromise(Embedder.use((e) => Effect.succeed(e.model)))
  })
  afterAll(async () => {
    await rt.dispose()
  })

  test("model info", async () => {
    const m = await run((e) => Effect.succeed(e.model))
    expect(m).toMatchObject({ name: "use-lite", dim: 512, dir: USE_LITE_DIR, pooling: "in-graph", maxLength: 128 })
  })

  test("matches the original model's reference embeddings", async () => {
    const ref = JSON.parse(readFileSync(USE_LITE_REFERENCE, "utf8")) as {
      items: Array<{ text: string; sentence_embedding: Array<number> }>
    }
    const { dim, data } = await run((e) => e.embed(ref.items.map((i) => i.text)))
    expect(dim).toBe(512)
    let maxDiff = 0
    ref.items.forEach((item, r) => {
      expect(item.sentence_embedding.length).toBe(dim)
      item.sentence_embedding.forEach((x, k) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - data[r * dim + k]!))
      })
    })
    expect(maxDiff).toBeLessThan(1e-5)
  })

  test("the tokenizer gives the original model's token ids", async () => {
    const ref = JSON.parse(readFileSync(USE_LITE_REFERENCE, "utf8")) as {
      items: Array<{ text: string; input_ids: Array<number> }>
    }
    const enc = await makeEncoder(await Effect.runPromise(readModelSpec(USE_LITE_DIR)))
    for (const item of ref.items) expect(enc.windowsOf([item.text]).flatMap((w) => w.ids)).toEqual(item.input_ids)
    await enc.session.release()
  })

  test("property: rows do not depend on the order or the neighbours of a text in the call", async () => {
    const pool = [
      "A man is playing a guitar.",
      "",
      "The validator scores every miner's answer.",
      GUITAR_FOX_LONG,
      "Paris is the capital of France.",
      "short",
      "Rust and TypeScript are programming languages with different type systems."
    ]
    const base = await run((e) => e.embed(pool))
    const dim = base.dim
    await assertProperty(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 12 }), async (picks) => {
        const { data } = await run((e) => e.embed(picks.map((i) => pool[i]!)))
        picks.forEach((src, r) => {
          for (let k = 0; k < dim; k++) expect(Math.abs(data[r * dim + k]! - base.data[src * dim + k]!)).toBeLessThan(1e-5)
        })
      }),
      { numRuns: 15, seed: 42 }
    )
  }, 60_000) // 15 real-model embed calls: over 5 s on a loaded 2-core machine

  test("guitar paraphrase ≈ 0.7534; paraphrases beat unrelated answers", async () => {
    const texts = [
      "A man is playing a guitar.",
      "Someone is strumming a guitar.",
      "The capital of France is Paris.",
      "Paris is France's capital city.",
      "Bananas are rich in potassium.",
      "I need to renew my passport before the trip."
    ]
    const { dim, data } = await run((e) => e.embed(texts))
    expect(dot(data, 0, data, 1, dim)).toBeCloseTo(0.7534, 3)
    const para = [dot(data, 0, data, 1, dim), dot(data, 2, data, 3, dim)]
    const unrelated = [dot(data, 0, data, 4, dim), dot(data, 2, data, 5, dim), dot(data, 1, data, 3, dim), dot(data, 3, data, 4, dim)]
    expect(Math.min(...para)).toBeGreaterThan(Math.max(...unrelated) + 0.2)
    for (let r = 0; r < texts.length; r++) expect(norm(data, r, dim)).toBeCloseTo(1, 5)
  })

  test("empty and whitespace texts give zero rows; results are independent of batch neighbours", async () => {
    const { dim, data } = await run((e) => e.embed(["", "  \n ", "A man is playing a guitar."]))
    expect(norm(data, 0, dim)).toBe(0)
    expect(norm(data, 1, dim)).toBe(0)
    const alone = await run((e) => e.embed(["A man is playing a guitar."]))
    let diff = 0
    for (let k = 0; k < dim; k++) diff = Math.max(diff, Math.abs(alone.data[k]! - data[2 * dim + k]!))
    expect(diff).toBeLessThan(1e-5)
  })

  test("a long text (> 128 tokens) is windowed, not truncated", async () => {
    const spec = await Effect.runPromise(readModelSpec(USE_LITE_DIR))
    const enc = await makeEncoder(spec)
    const windows = enc.windowsOf([GUITAR_FOX_LONG])
    expect(windows.length).toBeGreaterThan(1)
    for (const w of windows) expect(w.ids.length).toBeLessThanOrEqual(128)
    const allIds = enc.tokenizer.encode(GUITAR_FOX_LONG, { add_special_tokens: false }).ids
    expect(windows.flatMap((w) => w.ids)).toEqual(allIds) // no special tokens in this model, nothing lost
    // what a truncating embedder would return: the first 128 tokens only
    const truncatedText = enc.tokenizer.decode(allIds.slice(0, 128))
    const cooking = "A cook prepares vegetable soup in a restaurant kitchen."
    const { dim, data } = await run((e) => e.embed([GUITAR_FOX_LONG, truncatedText, cooking]))
    expect(norm(data, 0, dim)).toBeCloseTo(1, 5)
    const same = dot(data, 0, data, 1, dim)
    expect(same).toBeLessThan(0.999) // differs from the truncated embedding
    // the second half (cooking) is represented in the windowed embedding, not in the truncated one
    expect(dot(data, 0, data, 2, dim)).toBeGreaterThan(dot(data, 1, data, 2, dim) + 0.02)
    enc.session.release()
  })

  test("large embed calls are spread over the pool and keep order", async () => {
    const texts = Array.from({ length: 70 }, (_, i) => (i % 7 === 0 ? "" : `Sentence number ${i} talks about topic ${i % 5}.`))
    const { dim, data } = await run((e) => e.embed(texts))
    expect(data.length).toBe(70 * dim)
    const single = await run((e) => e.embed([texts[69]!, texts[1]!]))
    for (const [r, s] of [[69, 0], [1, 1]] as const) expect(dot(data, r, single.data, s, dim)).toBeCloseTo(1, 5)
    for (let r = 0; r < 70; r++) expect(norm(data, r, dim)).toBeCloseTo(r % 7 === 0 ? 0 : 1, 5)
  })

  const resp = (uid: number, text: string, error?: string): MinerResponse => ({
    uid,
    hotkey: `hk${uid}`,
    coldkey: `ck${uid}`,
    ip: "10.0.0.1",
    text,
    latencyMs: error === undefined ? 100 : null,
    finishReason: error === undefined ? "stop" : null,
    toolCalls: [],
    ...(error === undefined ? {} : { error })
  })

  test("embedRound: shapes, zero rows for empty/error answers, similarity from the worker", async () => {
    const input = {
      id: "r1",
      prompt: "Who plays the guitar?",
      taskType: "chat",
      reference: "A man is playing a guitar.",
      tools: [],
      responses: [
        resp(1, "A man is playing a guitar."),
        resp(2, ""),
        resp(3, "Someone is strumming a guitar."),
        resp(4, "A man is playing a guitar.", "Timeout"),
        resp(5, "Bananas are rich in potassium.")
      ]
    }
    const r = await run((e) => e.embedRound(input))
    const dim = r.dim
    expect(dim).toBe(512)
    expect(r.prompt.length).toBe(dim)
    expect(r.responses.length).toBe(5 * dim)
    expect(r.reference?.length).toBe(dim)
    expect(r.similarity.length).toBe(25)
    expect(norm(r.prompt, 0, dim)).toBeCloseTo(1, 5)
    expect(norm(r.responses, 1, dim)).toBe(0)
    expect(norm(r.responses, 3, dim)).toBe(0)
    const expected = cosineMatrix(r.responses, 5, dim)
    for (let i = 0; i < 25; i++) expect(r.similarity[i]!).toBeCloseTo(expected[i]!, 6)
    expect(r.similarity[0]).toBeCloseTo(1, 5)
    expect(r.similarity[1 * 5 + 1]).toBe(0)
    expect(r.similarity[0 * 5 + 2]).toBeCloseTo(0.7534, 3)
    expect(dot(r.reference!, 0, r.responses, 0, dim)).toBeCloseTo(1, 5)

    const noRef = await run((e) => e.embedRound({ ...input, reference: null, responses: [] }))
    expect(noRef.reference).toBeNull()
    expect(noRef.responses.length).toBe(0)
    expect(noRef.similarity.length).toBe(0)
  })

  test("similarity leaves the caller's array usable; renderPng returns a PNG", async () => {
    const { dim, data } = await run((e) => e.embed(["a cat", "a dog", "a car"]))
    const sim = await run((e) => e.similarity(data, 3, dim))
    expect(data.length).toBe(3 * dim) // not detached
    const local = cosineMatrix(data, 3, dim)
    for (let i = 0; i < 9; i++) expect(sim[i]!).toBeCloseTo(local[i]!, 6)
    const bad = await rt.runPromiseExit(Embedder.use((e) => e.similarity(data, 4, dim)))
    expect(Exit.isFailure(bad)).toBe(true)

    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#c33"/><text x="2" y="15" font-size="12">17</text></svg>`
    const png = await run((e) => e.renderPng(svg))
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
    const wide = await run((e) => e.renderPng(svg, 400))
    const width = new DataView(wide.buffer, wide.byteOffset).getUint32(16)
    expect(width).toBe(400)
  })
})

describe.skipIf(!hasUseLite)("Embedder defaults with use-lite: int8 graph, at most EMBED_DEFAULTS.maxWindows windows", () => {
  test("close to the fp32 embedding, rows independent of their neighbours, long texts sampled evenly", async () => {
    const ref = JSON.parse(readFileSync(USE_LITE_REFERENCE, "utf8")) as { items: Array<{ text: string; sentence_embedding: Array<number> }> }
    const fast = ManagedRuntime.make(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1, offline: true, cacheSize: 0 }))
    try {
      const model = await fast.runPromise(Embedder.use((e) => Effect.succeed(e.model)))
      expect(model).toMatchObject({ file: "model_quantized.onnx", maxWindows: EMBED_DEFAULTS.maxWindows })
      expect(variantOf(model)).toBe(`-int8-w${EMBED_DEFAULTS.maxWindows}`)
      const texts = ref.items.map((i) => i.text)
      const { dim, data } = await fast.runPromise(Embedder.use((e) => e.embed(texts)))
      ref.items.forEach((item, r) => {
        const cos = item.sentence_embedding.reduce((s, x, k) => s + x * data[r * dim + k]!, 0)
        expect(cos).toBeGreaterThan(0.99)
      })
      // one window per run: a text's row is the same alone and among other texts (an int8 batch would shift it)
      for (const [r, text] of texts.entries()) {
        const alone = await fast.runPromise(Embedder.use((e) => e.embed([text])))
        for (let k = 0; k < dim; k++) expect(Math.abs(alone.data[k]! - data[r * dim + k]!)).toBeLessThan(1e-6)
      }
      // a text longer than the cap is embedded from windows spread over it: its last part still counts
      const long = `${GUITAR_FOX_LONG} ${GUITAR_FOX_LONG} ${GUITAR_FOX_LONG}`
      const cooking = "A cook prepares vegetable soup in a restaurant kitchen."
      const guitar = "A man plays an acoustic guitar on a small stage."
      const out = await fast.runPromise(Embedder.use((e) => e.embed([long, cooking, guitar])))
      expect(norm(out.data, 0, dim)).toBeCloseTo(1, 5)
      expect(dot(out.data, 0, out.data, 1, dim)).toBeGreaterThan(0.3)
      expect(dot(out.data, 0, out.data, 2, dim)).toBeGreaterThan(0.3)
    } finally {
      await fast.dispose()
    }
  }, 60_000)
})

describe.skipIf(!hasUseLite)("Embedder timeouts", () => {
  test("a call over its timeout fails with EmbedError", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.gen(function* () {
          const e = yield* Embedder
          const texts = Array.from({ length: 64 }, (_, i) => `text ${i} `.repeat(40))
          return yield* e.embed(texts)
        }).pipe(Effect.provide(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1, timeoutMs: 5, offline: true })))
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
      const error = reason?._tag === "Fail" && reason.error instanceof EmbedError ? reason.error : undefined
      expect(error).toBeInstanceOf(EmbedError)
      expect(error?.operation).toBe("embed") // the layer (load + warm-up) has its own, longer timeout
      expect(error?.message).toContain("timed out")
    }
  }, 20_000)
})

describe.skipIf(!hasMiniLmShape)("Embedder with minilm-l6-shape (production shape, random weights)", () => {
  test("loads by name, 384-d normalized rows, windows beyond 512 tokens", async () => {
    const out = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const e = yield* Embedder
          const long = "word ".repeat(1200)
          const r = yield* e.embed(["A man is playing a guitar.", "", long])
          return { model: e.model, ...r }
        }).pipe(Effect.provide(Embedder.layer({ modelPath: "minilm-l6-shape", sharedModelsDir: MODELS_DIR, poolSize: 1, offline: true })))
      )
    )
    expect(out.model.name).toBe("minilm-l6-shape")
    expect(out.model.pooling).toBe("mean")
    expect(out.dim).toBe(384)
    expect(norm(out.data, 0, 384)).toBeCloseTo(1, 5)
    expect(norm(out.data, 1, 384)).toBe(0)
    expect(norm(out.data, 2, 384)).toBeCloseTo(1, 5)

    const enc = await makeEncoder(await Effect.runPromise(readModelSpec(MINILM_SHAPE_DIR)))
    const ws = enc.windowsOf(["word ".repeat(1200)])
    expect(ws.length).toBe(3)
    for (const w of ws) {
      expect(w.ids.length).toBeLessThanOrEqual(512)
      expect(w.ids[0]).toBe(101) // [CLS]
      expect(w.ids[w.ids.length - 1]).toBe(102) // [SEP]
    }
    expect(ws.reduce((s, w) => s + w.weight, 0)).toBe(1200)
    enc.session.release()
  }, 30_000)
})
