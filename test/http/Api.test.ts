import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { serve } from "../../src/http/Api.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

const setup = async (heatmapDir?: string) => {
  const store = makeStore(openDatabase(":memory:"))
  const now = Date.now()
  await Effect.runPromise(store.putChallenge({ id: "r1", source: "synthetic", payload: {}, now }))
  await Effect.runPromise(
    store.putResponse("r1", { uid: 3, hotkey: "hk3", coldkey: "ck", ip: "1.1.1.1", text: "hello", latencyMs: 50, finishReason: "stop", toolCalls: [] }, now)
  )
  const result: RoundResult = {
    roundId: "r1",
    taskType: "chat",
    miners: [{ uid: 3, hotkey: "hk3", reward: 1, axes: { relevance: 0.8 }, score: 0.8, filtered: null }],
    consensus: [3],
    clusters: [0],
    best: 3
  }
  await Effect.runPromise(store.putEvaluation(result, now))
  const scope = await Effect.runPromise(Scope.make())
  const { url } = await Effect.runPromise(
    serve(
      {
        store,
        startedAt: now - 5000,
        now: Date.now,
        info: () => ({ mode: "demo" }),
        miners: Effect.succeed([{ uid: 3, availability: 0.9 }]),
        weights: Effect.succeed([{ uid: 3, weight: 1 }]),
        lastSubmission: Effect.succeed({ ok: null, error: null, attempts: 0 }),
        ...(heatmapDir === undefined ? {} : { heatmapDir })
      },
      "127.0.0.1",
      0
    ).pipe(Scope.provide(scope))
  )
  return { url, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

describe("HTTP API", () => {
  test("serves real round, miner and weight data; validates parameters", async () => {
    const api = await setup()
    try {
      const health = (await (await fetch(`${api.url}/health`)).json()) as { status: string; mode: string; uptime_s: number }
      expect(health.status).toBe("ok")
      expect(health.mode).toBe("demo")
      expect(health.uptime_s).toBeGreaterThanOrEqual(5)
      const rounds = (await (await fetch(`${api.url}/rounds?limit=5`)).json()) as Array<{ challenge_id: string; consensus: number[] }>
      expect(rounds.map((r) => r.challenge_id)).toEqual(["r1"])
      expect(rounds[0]?.consensus).toEqual([3])
      const one = (await (await fetch(`${api.url}/rounds/r1`)).json()) as { result: RoundResult; responses: Array<{ text: string }> }
      expect(one.result.best).toBe(3)
      expect(one.responses[0]?.text).toBe("hello")
      expect((await fetch(`${api.url}/rounds/missing`)).status).toBe(404)
      expect((await fetch(`${api.url}/rounds?limit=0`)).status).toBe(422)
      expect((await fetch(`${api.url}/rounds?limit=abc`)).status).toBe(422)
      const miners = (await (await fetch(`${api.url}/miners`)).json()) as Array<{ uid: number; weight: number; last24h: { rounds: number } }>
      expect(miners).toEqual([expect.objectContaining({ uid: 3, availability: 0.9, weight: 1 })])
      expect(miners[0]?.last24h.rounds).toBe(1)
      const stats = (await (await fetch(`${api.url}/stats`)).json()) as { challenges: number; evaluations: number }
      expect(stats).toMatchObject({ challenges: 1, evaluations: 1 })
      const w = (await (await fetch(`${api.url}/weights`)).json()) as { weights: Array<{ uid: number; weight: number }> }
      expect(w.weights).toEqual([{ uid: 3, weight: 1 }])
      expect((await fetch(`${api.url}/nope`)).status).toBe(404)
    } finally {
      await api.close()
    }
    // closed with its scope
    expect(await fetch(`${api.url}/health`).then(() => "open", () => "closed")).toBe("closed")
  })

  test("heatmaps: served from the heatmap dir with their content type; unknown extension 422, missing 404", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-api-heatmaps-"))
    writeFileSync(join(dir, "r_1.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>")
    const api = await setup(dir)
    try {
      const svg = await fetch(`${api.url}/rounds/r%2F1/heatmap.svg`)
      expect(svg.status).toBe(200)
      expect(svg.headers.get("content-type")).toContain("image/svg+xml")
      expect(await svg.text()).toStartWith("<svg")
      expect((await fetch(`${api.url}/rounds/r%2F1/heatmap.png`)).status).toBe(404)
      expect((await fetch(`${api.url}/rounds/r%2F1/heatmap.gif`)).status).toBe(422)
    } finally {
      await api.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
