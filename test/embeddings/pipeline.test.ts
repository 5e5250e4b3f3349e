// The embedding pipeline beyond the bare runtime: cache, de-duplication, length buckets, parallelism
// choice (pure), and the worker's onnxruntime GEMM cosine matrix against the JS kernel and numpy.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, ManagedRuntime } from "effect"
import fc from "fast-check"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { makeOnnxCosine } from "../../workers/onnxCosine.ts"
import { assembleRows, chooseParallelism, lengthBuckets, planEmbed, TextCache } from "../../src/embeddings/pipeline.ts"
import { mulberry32 } from "../../src/domain/random.ts"
import { cosineMatrix, normalizeRows } from "../../src/scoring/similarity.ts"
import type { RoundInput } from "../../src/scoring/types.ts"
import { USE_LITE_DIR, hasPythonOracle, hasUseLite, skipNote } from "../support/shared.ts"

const seed = Number(process.env["FC_SEED"] ?? Date.now() % 1_000_000)

describe("pipeline (pure parts)", () => {
  test("TextCache evicts the least recently used row", () => {
    const c = new TextCache(2, 1)
    c.set("a", Float32Array.of(1))
    c.set("b", Float32Array.of(2))
    expect(c.get("a")?.[0]).toBe(1) // a is now the newest
    c.set("c", Float32Array.of(3))
    expect(c.get("b")).toBeUndefined()
    expect(c.get("a")?.[0]).toBe(1)
    expect(c.get("c")?.[0]).toBe(3)
    expect(c.size).toBe(2)
    expect([c.hits, c.misses]).toEqual([3, 1])
  })

  test("TextCache keeps rows in its slab: evicted slots are reused, a read is a copy, a wrong width is refused", () => {
    const dim = 3
    const c = new TextCache(2, dim)
    expect(c.reservedBytes).toBe(2 * dim * 4)
    c.set("a", Float32Array.of(1, 1, 1))
    c.set("b", Float32Array.of(2, 2, 2))
    const a = c.get("a")!
    a[0] = 99 // a copy: the cached row does not change
    expect([...c.get("a")!]).toEqual([1, 1, 1])
    c.set("c", Float32Array.of(3, 3, 3)) // evicts b, takes its slot
    expect([...a]).toEqual([99, 1, 1])
    expect(c.get("b")).toBeUndefined()
    expect([...c.get("c")!]).toEqual([3, 3, 3])
    c.set("a", Float32Array.of(4, 4, 4)) // an update keeps the slot
    expect([...c.get("a")!]).toEqual([4, 4, 4])
    expect([...c.get("c")!]).toEqual([3, 3, 3])
    expect(c.size).toBe(2)
    expect(() => c.set("d", Float32Array.of(1))).toThrow(RangeError)
    const off = new TextCache(0, dim)
    off.set("a", Float32Array.of(1, 1, 1))
    expect([off.size, off.reservedBytes, off.get("a")]).toEqual([0, 0, undefined])
  })

  test("property: TextCache answers like an LRU map of the last `capacity` texts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 })), { maxLength: 80 }),
        (capacity, ops) => {
          const c = new TextCache(capacity, 2)
          const model = new Map<string, number>()
          for (const [write, k] of ops) {
            const text = `t${k}`
            if (write) {
              model.delete(text)
              model.set(text, k)
              while (model.size > capacity) model.delete(model.keys().next().value!)
              c.set(text, Float32Array.of(k, -k))
            } else {
              const want = model.get(text)
              if (want !== undefined) {
                model.delete(text)
                model.set(text, want)
              }
              const got = c.get(text)
              expect(got === undefined ? undefined : [...got]).toEqual(want === undefined ? undefined : [want, -want])
            }
          }
          expect(c.size).toBe(model.size)
        }
      ),
      { seed, numRuns: 300 }
    )
  })

  test("planEmbed: empty texts, repeats and cache hits are not sent", () => {
    const c = new TextCache(10, 1)
    c.set("known", Float32Array.of(9))
    const p = planEmbed(["x", "", "known", "x", "  ", "y"], c)
    expect(p.todo).toEqual(["x", "y"])
    expect([p.empty, p.repeated, p.cached]).toEqual([2, 1, 1])
    const rows = new Map([...p.known, ["x", Float32Array.of(1)], ["y", Float32Array.of(2)]])
    expect([...assembleRows(["x", "", "known", "x", "  ", "y"], rows, 1)]).toEqual([1, 0, 9, 1, 0, 2])
  })

  test("property: length buckets keep every text once, sorted by length, and at most `parts` buckets", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }), (texts, parts, min) => {
        const b = lengthBuckets(texts, parts, min)
        expect(b.length).toBeLessThanOrEqual(parts)
        expect(b.flat().sort()).toEqual([...texts].sort())
        const lens = b.flat().map((t) => t.length)
        expect(lens).toEqual([...lens].sort((x, y) => x - y))
        if (b.length > 1) for (const bucket of b) expect(bucket.length).toBeGreaterThanOrEqual(min)
      }),
      { seed, numRuns: 200 }
    )
  })

  test("length buckets split a round about evenly by characters", () => {
    const texts = Array.from({ length: 100 }, (_, i) => "w ".repeat(10 + i * 7))
    const [a, b] = lengthBuckets(texts, 2)
    const chars = (xs: ReadonlyArray<string>) => xs.reduce((s, t) => s + t.length, 0)
    expect(Math.abs(chars(a!) - chars(b!)) / chars(texts)).toBeLessThan(0.05)
  })

  test("length buckets count a text at most maxChars (a capped text costs no more than its windows)", () => {
    const texts = [...Array.from({ length: 8 }, (_, i) => "w ".repeat(100 + i)), ...Array.from({ length: 4 }, () => "w ".repeat(5000))]
    // uncapped, the four long texts dwarf the rest: one bucket of them would be too small, so no split
    expect(lengthBuckets(texts, 2, 4).length).toBe(1)
    // capped at 400 characters, the work is about even: the eight short texts and the four long ones
    expect(lengthBuckets(texts, 2, 4, 400).map((b) => b.length)).toEqual([8, 4])
  })

  test("chooseParallelism: one worker per core, the rest as intra-op threads", () => {
    expect(chooseParallelism(2)).toEqual({ poolSize: 2, intraOpThreads: 1 })
    expect(chooseParallelism(8, 2)).toEqual({ poolSize: 2, intraOpThreads: 4 })
    expect(chooseParallelism(1)).toEqual({ poolSize: 1, intraOpThreads: 1 })
    expect(chooseParallelism(4, 1, 2)).toEqual({ poolSize: 1, intraOpThreads: 2 })
  })
})

const unitRows = (n: number, dim: number, s: number) => {
  const r = mulberry32(s)
  const x = Float32Array.from({ length: n * dim }, () => r() - 0.5)
  normalizeRows(x, n, dim)
  return x
}

describe("onnxruntime GEMM cosine matrix", () => {
  test("equals the JS kernel (incl. zero rows and n = 1)", async () => {
    const g = await makeOnnxCosine(1)
    try {
      for (const [n, dim] of [[1, 8], [7, 33], [64, 384]] as const) {
        const x = unitRows(n, dim, n + dim)
        if (n > 3) x.fill(0, 2 * dim, 3 * dim) // an empty answer's zero row
        const a = await g.matrix(x, n, dim)
        const b = cosineMatrix(x, n, dim)
        let max = 0
        for (let i = 0; i < n * n; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
        expect(max).toBeLessThan(1e-5)
      }
      expect((await g.matrix(new Float32Array(0), 0, 8)).length).toBe(0)
    } finally {
      await g.release()
    }
  })

  test.skipIf(!hasPythonOracle)("equals numpy's X @ X.T", async () => {
    const n = 50
    const dim = 384
    const x = unitRows(n, dim, 3)
    const dir = mkdtempSync(join(tmpdir(), "quorum-gemm-"))
    try {
      writeFileSync(join(dir, "x.f32"), new Uint8Array(x.buffer))
      const py = `import numpy as np, sys; X = np.fromfile(sys.argv[1], dtype=np.float32).reshape(${n}, ${dim}); (X @ X.T).astype(np.float32).tofile(sys.argv[2])`
      const p = Bun.spawnSync(["python3", "-c", py, join(dir, "x.f32"), join(dir, "s.f32")])
      expect(p.exitCode).toBe(0)
      const want = new Float32Array(await Bun.file(join(dir, "s.f32")).arrayBuffer())
      const g = await makeOnnxCosine(1)
      const got = await g.matrix(x, n, dim)
      await g.release()
      let max = 0
      for (let i = 0; i < n * n; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!))
      expect(max).toBeLessThan(1e-5)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

if (!hasUseLite) skipNote("use-lite model", USE_LITE_DIR)

describe.skipIf(!hasUseLite)("Embedder pipeline with use-lite", () => {
  const round = (answers: ReadonlyArray<string>): RoundInput => ({
    id: "r",
    prompt: "How do I tune a guitar?",
    taskType: "chat",
    reference: null,
    tools: [],
    responses: answers.map((text, uid) => ({ uid, hotkey: `h${uid}`, coldkey: "c", ip: "127.0.0.1", text, latencyMs: 1, finishReason: "stop", toolCalls: [] }))
  })
  const answers = [
    "Turn the pegs until each string matches a tuner's note.",
    "Use a clip-on tuner and adjust each string, low E first.",
    "Turn the pegs until each string matches a tuner's note.", // a copy
    "",
    "Soup needs salt, carrots and an hour of simmering.",
    ...Array.from({ length: 40 }, (_, i) => `Answer number ${i}: tune string ${i % 6} a little ${"higher ".repeat(i % 9)}then check it.`)
  ]

  test("cached, bucketed, two-worker rows equal a plain one-worker embedding; copies and the prompt are embedded once", async () => {
    // the defaults (int8 graph, one window per run) on both sides: rows do not depend on batch neighbours
    const fast = ManagedRuntime.make(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 2, intraOpThreads: 1, offline: true }))
    const plain = ManagedRuntime.make(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1, intraOpThreads: 1, offline: true, cacheSize: 0 }))
    try {
      const r = round(answers)
      const a = await fast.runPromise(Embedder.use((e) => e.embedRound(r)))
      const before = await fast.runPromise(Embedder.use((e) => e.stats))
      expect(before.embedded).toBe(1 + answers.length - 2) // the copy and the empty answer are not sent
      const again = await fast.runPromise(Embedder.use((e) => e.embedRound({ ...r, prompt: r.prompt })))
      const after = await fast.runPromise(Embedder.use((e) => e.stats))
      expect(after.embedded).toBe(before.embedded) // the second round is all cache hits
      const b = await plain.runPromise(Embedder.use((e) => Effect.all([e.embed([r.prompt]), e.embed(answers)])))
      const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0)
      expect(maxDiff(a.prompt, b[0].data)).toBeLessThan(1e-5)
      expect(maxDiff(a.responses, b[1].data)).toBeLessThan(1e-5)
      expect(maxDiff(again.responses, a.responses)).toBe(0)
      expect(maxDiff(a.similarity, cosineMatrix(b[1].data, answers.length, b[1].dim))).toBeLessThan(1e-5)
      expect(a.similarity[3 * answers.length + 3]).toBe(0) // the empty answer's zero row
      expect(a.similarity[0]).toBeCloseTo(1, 5)
    } finally {
      await fast.dispose()
      await plain.dispose()
    }
  }, 60_000)
})
