// A served operator API with the console routes over a real in-memory store holding one scored round (two
// answers: one rewarded, one timed out), real Prometheus metrics and a run-state Ref; shared by the console and
// OpenAPI tests.
import { Effect, Exit, Redacted, Ref, Scope } from "effect"
import { type ApiDeps, serve } from "../../src/http/Api.ts"
import type { ConsoleStateBody } from "../../src/http/schemas.ts"
import { instrumentStore, makeRoundTracker, recordScored } from "../../src/metrics/instrument.ts"
import { makeMetrics, type Metrics } from "../../src/metrics/Metrics.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

export const ADMIN_TOKEN = "a-very-secret-admin-token"

export interface ApiFixture {
  readonly url: string
  readonly metrics: Metrics
  readonly running: Ref.Ref<boolean>
  /** What the API was served with (to build the same app again, e.g. to list its routes). */
  readonly deps: ApiDeps
  readonly close: () => Promise<void>
}

export const startApiFixture = async (heatmapDir?: string): Promise<ApiFixture> => {
  const metrics = makeMetrics()
  const rounds = makeRoundTracker()
  const store = instrumentStore(makeStore(openDatabase(":memory:")), metrics, rounds)
  const now = Date.now()
  await Effect.runPromise(store.putChallenge({ id: "r1", source: "synthetic", payload: { request: { prompt: "Why is the sky blue?" } }, now: now - 50 }))
  await Effect.runPromise(store.setChallengeStatus("r1", "running", now))
  const response = { uid: 3, hotkey: "hk3", coldkey: "ck3", ip: "10.0.0.3", text: "Rayleigh scattering.", latencyMs: 120, finishReason: "stop", toolCalls: [] }
  await Effect.runPromise(store.putResponse("r1", response, now))
  await Effect.runPromise(store.putResponse("r1", { ...response, uid: 4, hotkey: "hk4", text: "", latencyMs: null, error: "Timeout" }, now))
  const result: RoundResult = {
    roundId: "r1",
    taskType: "qa",
    miners: [
      { uid: 3, hotkey: "hk3", reward: 1, axes: { relevance: 0.9 }, score: 0.9, filtered: null },
      { uid: 4, hotkey: "hk4", reward: 0, axes: {}, score: 0, filtered: "error" }
    ],
    consensus: [3],
    clusters: [0, -1],
    best: 3
  }
  await Effect.runPromise(store.putEvaluation(result, now))
  recordScored(metrics, { id: "r1", prompt: "Why is the sky blue?", taskType: "qa", reference: null, tools: [], responses: [response, { ...response, uid: 4, error: "Timeout" }] }, result)
  metrics.observe("embed", 0.02)
  const running = await Effect.runPromise(Ref.make(true))
  const lastSubmission = { ok: { kind: "dry-run", blockHash: null, uids: [3] }, error: null, attempts: 1 }
  const state = Effect.map(Ref.get(running), (on): ConsoleStateBody => ({
    running: on,
    has_chain: true,
    chain: { connected: true, best_block: 1200, last_update: 1100, activity_cutoff: 5000, blocks_since_update: 100, blocks_to_cutoff: 4900, at: new Date(now).toISOString() },
    vtrust: { value: 0.93, validators: 4, at: new Date(now).toISOString() },
    weights_history: [{ at: now, weights: [{ uid: 3, weight: 1 }] }],
    last_round_at: new Date(now).toISOString(),
    last_submission: lastSubmission,
    heatmaps: ["r1"]
  }))
  const deps: ApiDeps = {
    store,
    startedAt: now - 5000,
    now: Date.now,
    info: () => ({ mode: "demo" }),
    miners: Effect.succeed([{ uid: 3, availability: 0.9 }, { uid: 4, availability: 0.1 }]),
    weights: Effect.succeed([{ uid: 3, weight: 1 }]),
    lastSubmission: Effect.succeed(lastSubmission),
    minerView: Effect.succeed({
      identities: [{ uid: 3, hotkey: "hk3", coldkey: "ck3", ip: "10.0.0.3" }],
      aggregate: new Map([[3, 0.7]]),
      stakes: new Map([[3, 12.5]]),
      trust: new Map([[3, 1]])
    }),
    ...(heatmapDir === undefined ? {} : { heatmapDir }),
    console: {
      metricsText: () => metrics.text(),
      metricsContentType: metrics.contentType,
      adminToken: Redacted.make(ADMIN_TOKEN),
      running: Ref.get(running),
      setRunning: (on) => Ref.set(running, on),
      capacity: 15,
      inFlight: () => 2,
      state
    }
  }
  const scope = await Effect.runPromise(Scope.make())
  const served = await Effect.runPromise(serve(deps, "127.0.0.1", 0).pipe(Scope.provide(scope)))
  return {
    url: served.url,
    metrics,
    running,
    deps,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      metrics.stop()
    }
  }
}
