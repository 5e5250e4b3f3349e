// `bun run bench embeddings [--texts N] [--threads N] [--rounds N]`: embeddings/s of the full pipeline
// (Embedder over the Piscina pool: tokenization, windowing, batching, pooling, transfer) against a bare
// onnxruntime session running the same token batches on the main thread, same model, same thread count.
import { Effect, ManagedRuntime } from "effect"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { makeEncoder } from "../../workers/encoder.ts"
import { DEFAULT_SHARED_MODELS_DIR, readModelSpec } from "../../src/embeddings/ModelResolver.ts"

const WORDS = (
  "the validator sends a prompt to every miner and scores the answers by agreement relevance speed and novelty " +
  "a model embeds each answer into a vector and the cosine similarity between vectors measures how close they are " +
  "guitar music kitchen soup river mountain network latency token window batch thread core memory tensor"
).split(" ")

/** Deterministic texts of 10–80 words (a linear congruential generator, no Math.random). */
const makeTexts = (n: number): Array<string> => {
  let s = 12345
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
  return Array.from({ length: n }, () => {
    const len = 10 + Math.floor(next() * 70)
    return Array.from({ length: len }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(" ") + "."
  })
}

const flag = (args: ReadonlyArray<string>, name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : NaN
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt
}

const benchModel = async (name: string, texts: ReadonlyArray<string>, threads: number, rounds: number) => {
  const dir = `${DEFAULT_SHARED_MODELS_DIR}/${name}`
  const spec = await Effect.runPromise(readModelSpec(dir))

  // bare: the same windows and padded batches, only session.run timed
  const enc = await makeEncoder(spec, { intraOpThreads: threads })
  const batches = enc.plan(texts)
  const tokens = batches.reduce((s, b) => s + b.windows.reduce((t, w) => t + w.ids.length, 0), 0)
  const padded = batches.reduce((s, b) => s + b.windows.length * b.seqLen, 0)
  const bareOnce = async () => {
    const t0 = performance.now()
    for (const b of batches) await enc.session.run(b.feeds)
    return performance.now() - t0
  }

  const rt = ManagedRuntime.make(Embedder.layer({ modelPath: dir, poolSize: 1, intraOpThreads: threads, offline: true, timeoutMs: 600_000 }))
  const fullOnce = async () => {
    const t0 = performance.now()
    const r = await rt.runPromise(Embedder.use((e) => e.embed(texts)))
    const ms = performance.now() - t0
    if (r.data.length !== texts.length * spec.dim) throw new Error("bad result size")
    return ms
  }
  try {
    await bareOnce() // warm-up both
    await fullOnce()
    let bare = Infinity
    let full = Infinity
    for (let r = 0; r < rounds; r++) {
      bare = Math.min(bare, await bareOnce())
      full = Math.min(full, await fullOnce())
    }
    const bareRate = (texts.length / bare) * 1000
    const fullRate = (texts.length / full) * 1000
    console.log(
      `${name.padEnd(16)} ${spec.modelFile.split("/").pop()} dim ${spec.dim}, ${texts.length} texts, ${batches.length} batches, ` +
        `${tokens} tokens (${((padded / tokens - 1) * 100).toFixed(1)}% padding), ${threads} thread(s)`
    )
    console.log(`  bare onnxruntime session : ${bareRate.toFixed(1)} emb/s (${bare.toFixed(0)} ms)`)
    console.log(`  full pipeline (Embedder) : ${fullRate.toFixed(1)} emb/s (${full.toFixed(0)} ms)`)
    console.log(`  ratio full/bare          : ${(fullRate / bareRate).toFixed(3)}× (goal ≥ 0.95×)`)
  } finally {
    await rt.dispose()
    await enc.session.release()
  }
}

export async function run(args: Array<string> = []): Promise<void> {
  const n = flag(args, "texts", 256)
  const threads = flag(args, "threads", 1)
  const rounds = flag(args, "rounds", 5)
  const texts = makeTexts(n)
  for (const name of ["minilm-l6-shape", "use-lite"]) {
    const spec = await Effect.runPromiseExit(readModelSpec(`${DEFAULT_SHARED_MODELS_DIR}/${name}`))
    if (spec._tag === "Failure") {
      console.log(`${name}: skipped (not found in ${DEFAULT_SHARED_MODELS_DIR})`)
      continue
    }
    await benchModel(name, texts, threads, rounds)
  }
}

if (import.meta.main) await run(process.argv.slice(2))
