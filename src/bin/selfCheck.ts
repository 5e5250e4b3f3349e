// `quorum --self-check`: proves the binary's embedded parts work from wherever it runs: the onnxruntime
// library (extracted + dlopen'ed), the scoring worker entry point and Piscina's bootstrap, the resvg addon in
// the worker, the round scorer's worker with the embedded scoring config, the embedded corpus, bun:sqlite and
// the /docs UI's assets. Prints one JSON line; exit code 0 when everything passed.
import { Database } from "bun:sqlite"
import { Effect, Exit } from "effect"
import { makeScorer } from "../app/Scorer.ts"
import { Embedder } from "../embeddings/Embedder.ts"
import type { RoundInput } from "../scoring/types.ts"
import { loadCorpus } from "../challenges/Corpus.ts"
import { decryptWithEphemeralKey, encryptForRound } from "../chain/Timelock.ts"
import { DOCS_ASSETS, type DocsAsset, readDocsAsset } from "../http/DocsUi.ts"
import type { OnnxRuntimePrep } from "./onnxruntime.ts"

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#08f"/></svg>`
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47]

export const selfCheck = async (ctx: { readonly started: number; readonly prep: OnnxRuntimePrep }): Promise<number> => {
  const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10
  const corpus = loadCorpus()
  const db = new Database(":memory:")
  const sqlite = db.query<{ v: number }, []>("select 40 + 2 as v").get()?.v
  db.close()
  const program = Effect.gen(function* () {
    const embedder = yield* Embedder
    const ready = ms(ctx.started)
    const t = performance.now()
    const out = yield* embedder.embed(["the validator scores miners", "a second, unrelated sentence"])
    const embedMs = ms(t)
    const firstEmbeddingMs = ms(ctx.started)
    const png = yield* embedder.renderPng(SVG)
    const norm = (row: number) => Math.hypot(...out.data.subarray(row * out.dim, (row + 1) * out.dim))
    // one two-answer round, embedded as the validator embeds it, scored in the round scorer's worker thread
    const scorer = yield* makeScorer({})
    const round: RoundInput = {
      id: "self-check",
      prompt: "What does the validator do?",
      taskType: "chat",
      reference: null,
      tools: [],
      responses: ["the validator scores miners", "a second, unrelated sentence"].map((text, uid) => ({ uid, hotkey: `hk${uid}`, coldkey: `ck${uid}`, ip: `10.0.0.${uid + 1}`, text, latencyMs: 500, finishReason: "stop", toolCalls: [] }))
    }
    const scored = yield* scorer.score(round, yield* embedder.embedRound(round))
    return {
      model: embedder.model.name,
      modelSource: embedder.model.source,
      dim: out.dim,
      norms: [norm(0), norm(1)].map((n) => Math.round(n * 1e4) / 1e4),
      pngOk: PNG_MAGIC.every((b, i) => png[i] === b),
      roundScored: scorer.where === "worker" && scored.miners.length === 2,
      readyMs: ready,
      embedMs,
      firstEmbeddingMs
    }
  }).pipe(Effect.scoped, Effect.provide(Embedder.layer({ poolSize: 1 })))
  const exit = await Effect.runPromiseExit(program)
  // the timelock wasm (weights commits) round trip: encrypt for a round, decrypt with the ephemeral key
  const timelock = (() => {
    try {
      const msg = new TextEncoder().encode("quorum")
      const key = new Uint8Array(32).fill(7)
      const back = decryptWithEphemeralKey(encryptForRound(msg, 1000, key), key)
      return new TextDecoder().decode(back) === "quorum"
    } catch {
      return false
    }
  })()
  // the /docs UI's embedded script and stylesheet (served by the API instead of a CDN)
  const docsAssets = Object.fromEntries(
    await Promise.all((Object.keys(DOCS_ASSETS) as DocsAsset[]).map(async (n) => [n, (await readDocsAsset(n).catch(() => new Uint8Array())).length] as const))
  )
  const base = {
    selfCheck: true,
    docsAssets,
    onnxruntime: ctx.prep,
    corpusEntries: corpus.entries.length,
    sqlite: sqlite === 42,
    timelock
  }
  if (Exit.isFailure(exit)) {
    process.stdout.write(JSON.stringify({ ...base, ok: false, error: String(exit.cause) }) + "\n")
    return 1
  }
  const r = exit.value
  const ok = base.sqlite && base.timelock && base.corpusEntries > 0 && Object.values(docsAssets).every((n) => n > 0) && r.pngOk && r.roundScored && r.norms.every((n) => Math.abs(n - 1) < 1e-3)
  process.stdout.write(JSON.stringify({ ...base, ok, ...r }) + "\n")
  return ok ? 0 : 1
}
