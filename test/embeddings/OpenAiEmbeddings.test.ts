// The OpenAI-compatible embeddings path end to end: the project's embed server (real model, real HTTP on
// 127.0.0.1) checked with the official `openai` client; the remote Embedder backend against that server
// (same rows and similarity as the local pool); batching, retries, timeouts and normalization against
// small real HTTP servers that misbehave on purpose.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import OpenAI from "openai"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { serveEmbeddings } from "../../src/embeddings/EmbedServer.ts"
import { makeOpenAiEmbeddings, RemoteEmbedError } from "../../src/embeddings/OpenAiEmbeddings.ts"
import type { RoundInput } from "../../src/scoring/types.ts"
import { USE_LITE_DIR, hasUseLite, skipNote } from "../support/shared.ts"

const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0)

/** A real HTTP server answering /v1/embeddings with `reply(call number, texts)`. */
const fakeApi = (reply: (call: number, texts: ReadonlyArray<string>) => Response | Promise<Response>) => {
  let calls = 0
  const sizes: Array<number> = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const body = (await req.json()) as { input: ReadonlyArray<string> }
      calls++
      sizes.push(body.input.length)
      return reply(calls, body.input)
    }
  })
  return { url: `http://127.0.0.1:${server.port}/v1`, calls: () => calls, sizes, stop: () => server.stop(true) }
}
const rowsReply = (texts: ReadonlyArray<string>, row: (t: string) => ReadonlyArray<number>) =>
  Response.json({ object: "list", data: texts.map((t, index) => ({ object: "embedding", index, embedding: row(t) })) })

describe("OpenAI embeddings client against misbehaving servers", () => {
  test("batches, normalizes rows and keeps the order of `index`", async () => {
    const api = fakeApi((_, texts) => {
      const res = texts.map((t, index) => ({ index, embedding: [t.length, 0, 0, 3] }))
      return Response.json({ data: res.reverse() })
    })
    try {
      const c = makeOpenAiEmbeddings({ url: api.url, model: "m", batchSize: 2, concurrency: 1 })
      const out = await Effect.runPromise(c.embed(["a", "bbbb", "cc", "ddd", "e"]))
      expect(api.sizes).toEqual([2, 2, 1])
      expect(c.dim()).toBe(4)
      expect(out[4]).toBeCloseTo(4 / 5, 6) // row 1: [4, 0, 0, 3] / 5
      expect(out[7]).toBeCloseTo(3 / 5, 6)
      expect(Math.hypot(...out.subarray(16, 20))).toBeCloseTo(1, 6)
    } finally {
      api.stop()
    }
  })

  test("retries 503 and 429, then succeeds", async () => {
    const api = fakeApi((n, texts) => (n === 1 ? new Response("busy", { status: 503 }) : n === 2 ? new Response("slow down", { status: 429 }) : rowsReply(texts, () => [1, 0])))
    try {
      const out = await Effect.runPromise(makeOpenAiEmbeddings({ url: api.url, model: "m", retries: 3 }).embed(["x"]))
      expect([...out]).toEqual([1, 0])
      expect(api.calls()).toBe(3)
    } finally {
      api.stop()
    }
  })

  test("a 400 is not retried; a server that hangs times out after the retries", async () => {
    const bad = fakeApi(() => new Response("bad input", { status: 400 }))
    const hang = fakeApi(() => new Promise<Response>(() => {}))
    try {
      const e1 = await Effect.runPromiseExit(makeOpenAiEmbeddings({ url: bad.url, model: "m", retries: 3 }).embed(["x"]))
      expect(Exit.isFailure(e1) && String(e1.cause)).toContain("HTTP 400")
      expect(bad.calls()).toBe(1)
      const t0 = performance.now()
      const e2 = await Effect.runPromiseExit(makeOpenAiEmbeddings({ url: hang.url, model: "m", retries: 1, timeoutMs: 150 }).embed(["x"]))
      expect(Exit.isFailure(e2) && String(e2.cause)).toContain("timed out after 150 ms")
      expect(hang.calls()).toBe(2)
      expect(performance.now() - t0).toBeLessThan(5_000)
    } finally {
      bad.stop()
      hang.stop()
    }
  })

  test("a wrong count, a wrong dimension or non-numbers are typed errors", async () => {
    const short = fakeApi((_, texts) => rowsReply(texts.slice(1), () => [1]))
    const ragged = fakeApi((_, texts) => rowsReply(texts, (t) => (t === "a" ? [1, 2] : [1, 2, 3])))
    try {
      for (const [api, want] of [[short, "asked for 2 embeddings, got 1"], [ragged, "finite floats"]] as const) {
        const exit = await Effect.runPromiseExit(makeOpenAiEmbeddings({ url: api.url, model: "m" }).embed(["a", "b"]))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          expect(String(exit.cause)).toContain(want)
          expect(exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof RemoteEmbedError)).toBe(true)
        }
      }
    } finally {
      short.stop()
      ragged.stop()
    }
  })
})

if (!hasUseLite) skipNote("use-lite model", USE_LITE_DIR)

describe.skipIf(!hasUseLite)("embed-server (use-lite) with the openai client and the remote backend", () => {
  let local: ManagedRuntime.ManagedRuntime<Embedder, unknown>
  let scope: Scope.Closeable
  let url = ""
  const texts = ["A man is playing a guitar.", "Someone is strumming a guitar.", "The soup needs more salt."]

  beforeAll(async () => {
    local = ManagedRuntime.make(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1, offline: true }))
    scope = await Effect.runPromise(Scope.make())
    const embedder = await local.runPromise(Embedder.use((e) => Effect.succeed(e)))
    url = (await Effect.runPromise(serveEmbeddings(embedder, { host: "127.0.0.1", port: 0 }).pipe(Scope.provide(scope)))).url
  }, 60_000)
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await local.dispose()
  })

  test("the official openai client gets the local model's embeddings (base64 default and float)", async () => {
    const client = new OpenAI({ baseURL: url, apiKey: "unused", maxRetries: 0, timeout: 20_000 })
    const want = await local.runPromise(Embedder.use((e) => e.embed(texts)))
    const viaBase64 = await client.embeddings.create({ model: "use-lite", input: texts })
    const viaFloat = await client.embeddings.create({ model: "use-lite", input: texts, encoding_format: "float" })
    for (const res of [viaBase64, viaFloat]) {
      expect(res.data.length).toBe(3)
      res.data.forEach((d, i) => {
        expect(d.index).toBe(i)
        expect(maxDiff(Float32Array.from(d.embedding), want.data.subarray(i * 512, (i + 1) * 512))).toBeLessThan(1e-6)
      })
      expect(res.usage.prompt_tokens).toBeGreaterThan(0)
    }
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(["use-lite"])
    const wrong = await client.embeddings.create({ model: "gpt-x", input: "hi" }).then(() => null, (e: unknown) => e)
    expect(wrong).toBeInstanceOf(OpenAI.NotFoundError)
    const empty = await client.embeddings.create({ model: "use-lite", input: [] }).then(() => null, (e: unknown) => e)
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError)
  })

  test("the remote Embedder backend gives the local pool's rounds (rows and similarity)", async () => {
    const remote = ManagedRuntime.make(Layer.fresh(Embedder.layer({ remote: { url, model: "use-lite", batchSize: 2 } })))
    try {
      const round: RoundInput = {
        id: "r",
        prompt: "Play something on the guitar.",
        taskType: "chat",
        reference: "A guitar is being played.",
        tools: [],
        responses: [...texts, ""].map((text, uid) => ({ uid, hotkey: `h${uid}`, coldkey: "c", ip: "127.0.0.1", text, latencyMs: 1, finishReason: "stop", toolCalls: [] }))
      }
      const model = await remote.runPromise(Embedder.use((e) => Effect.succeed(e.model)))
      expect(model).toMatchObject({ name: "use-lite", dim: 512, source: "remote" })
      const a = await remote.runPromise(Embedder.use((e) => e.embedRound(round)))
      const b = await local.runPromise(Embedder.use((e) => e.embedRound(round)))
      expect(maxDiff(a.prompt, b.prompt)).toBeLessThan(1e-6)
      expect(maxDiff(a.responses, b.responses)).toBeLessThan(1e-6)
      expect(maxDiff(a.reference!, b.reference!)).toBeLessThan(1e-6)
      expect(maxDiff(a.similarity, b.similarity)).toBeLessThan(1e-5)
    } finally {
      await remote.dispose()
    }
  }, 60_000)
})
