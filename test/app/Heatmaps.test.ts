// The heatmap job writes each scored round's SVG and PNG and keeps the newest `keep` pairs: the pairs a
// previous run left count as the oldest, and files that are not heatmaps are never touched.
import { expect } from "bun:test"
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, PubSub } from "effect"
import type { Scored } from "../../actors/ScoringActor.ts"
import { startHeatmapJob } from "../../src/app/Heatmaps.ts"
import { itLive } from "../support/effect.ts"

const scored = (id: string): Scored => ({
  round: {
    id,
    prompt: "p",
    taskType: "general",
    reference: null,
    tools: [],
    responses: [0, 1].map((uid) => ({ uid, hotkey: `h${uid}`, coldkey: `c${uid}`, ip: "127.0.0.1", text: "t", latencyMs: 1, finishReason: "stop", toolCalls: [] }))
  },
  result: { clusters: [[0, 1]] } as unknown as Scored["result"],
  embeddings: { dim: 1, prompt: new Float32Array(1), reference: null, responses: new Float32Array(2), similarity: new Float32Array([1, 0.5, 0.5, 1]) }
})

itLive("keeps the newest pairs, an earlier run's pairs first to go, other files untouched", () =>
  Effect.gen(function* () {
    const dir = mkdtempSync(join(tmpdir(), "quorum-heatmaps-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    // a pair left by an earlier run (older than anything written now) and a file that is not a heatmap
    for (const ext of [".svg", ".png"]) {
      writeFileSync(join(dir, `old${ext}`), "x")
      utimesSync(join(dir, `old${ext}`), new Date(1_000_000), new Date(1_000_000))
    }
    writeFileSync(join(dir, "notes.txt"), "keep me")
    const results = yield* PubSub.unbounded<Scored>()
    const png = new Uint8Array([137, 80, 78, 71])
    yield* startHeatmapJob(results, { dir, keep: 3, render: () => Effect.succeed({ svg: "<svg/>", png }) })
    for (const id of ["r1", "r2", "r3", "r4"]) yield* PubSub.publish(results, scored(id))
    const files = () => readdirSync(dir).sort()
    const want = ["notes.txt", "r2.png", "r2.svg", "r3.png", "r3.svg", "r4.png", "r4.svg"]
    for (let i = 0; i < 100 && JSON.stringify(files()) !== JSON.stringify(want); i++) yield* Effect.sleep("20 millis")
    expect(files()).toEqual(want)
  })
)
