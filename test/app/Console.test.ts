// The console's weights history: each sample reads the weights at that moment (the chart's points), at most
// one per 5 s from scored rounds.
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { makeConsole } from "../../src/app/Console.ts"
import { makeMetrics } from "../../src/metrics/Metrics.ts"

describe("console state", () => {
  test("weights samples follow the aggregate over time; per-round sampling is throttled to 5 s", async () => {
    let t = 1_000_000
    let current = [{ uid: 1, weight: 1 }]
    const metrics = makeMetrics()
    const history = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const c = yield* makeConsole({ chain: null, metrics, now: () => t, chainPollMs: 1000, vtrustPollMs: 1000, weights: () => current })
          yield* c.start
          yield* Effect.sleep("20 millis") // the periodic sampler's first tick
          t += 6_000
          current = [{ uid: 1, weight: 0.4 }, { uid: 2, weight: 0.6 }]
          yield* c.sampleWeights
          t += 1_000
          current = [{ uid: 2, weight: 1 }]
          yield* c.sampleWeights // within 5 s of the previous one: skipped
          t += 5_000
          yield* c.sampleWeights
          return yield* c.history
        })
      )
    )
    metrics.stop()
    expect(history.map((h) => h.weights)).toEqual([[{ uid: 1, weight: 1 }], [{ uid: 1, weight: 0.4 }, { uid: 2, weight: 0.6 }], [{ uid: 2, weight: 1 }]])
    expect(history.map((h) => h.at)).toEqual([1_000_000, 1_006_000, 1_012_000])
  })
})
