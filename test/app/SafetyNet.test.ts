// The weights safety net (blocks to the activity cutoff read from chain; last good weights re-submitted when
// fresh scores are missing) and the exact restore of the aggregate after a restart.
import { describe, expect, test } from "bun:test"
import { Effect, Fiber } from "effect"
import type { SubmitOutcome } from "../../src/domain/Weights.ts"
import { makeAggregator } from "../../src/domain/AggregationState.ts"
import { loadAggregator } from "../../actors/internal/aggregation.ts"
import { instrumentParts } from "../../src/app/Operator.ts"
import { decide, LAST_GOOD_KEY, readLastGood, runSafetyNet } from "../../src/app/WeightsSafetyNet.ts"
import type { ChainStatus } from "../../src/chain/ChainProbe.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

const status = (blocksSinceUpdate: number, activityCutoff = 5000): ChainStatus => ({
  connected: true,
  bestBlock: 10_000,
  lastUpdate: 10_000 - blocksSinceUpdate,
  activityCutoff,
  blocksSinceUpdate,
  blocksToCutoff: activityCutoff - blocksSinceUpdate,
  at: 0
})

const W = [{ uid: 1, weight: 0.25 }, { uid: 2, weight: 0.75 }]

describe("weights safety net: decide", () => {
  const base = { marginBlocks: 500, freshWindowMs: 600_000, now: 1_000_000, current: W, lastGood: W }
  test("far from the cutoff: nothing", () => {
    expect(decide({ ...base, status: status(1000), lastRoundAt: null })._tag).toBe("Ok")
    expect(decide({ ...base, status: null, lastRoundAt: null })._tag).toBe("Ok")
  })
  test("near the cutoff with fresh scores: a normal submission now", () => {
    expect(decide({ ...base, status: status(4600), lastRoundAt: base.now - 1000 })._tag).toBe("SubmitFresh")
  })
  test("near the cutoff, no fresh scores (no round lately, or nothing earned): the last good weights", () => {
    const d = decide({ ...base, status: status(4600), lastRoundAt: base.now - 3_600_000 })
    expect(d._tag).toBe("ResubmitLastGood")
    expect(d._tag === "ResubmitLastGood" ? d.weights : null).toEqual(W)
    expect(decide({ ...base, status: status(4600), lastRoundAt: base.now, current: [] })._tag).toBe("ResubmitLastGood")
  })
  test("near the cutoff and nothing ever set: stranded (logged as an error)", () => {
    expect(decide({ ...base, status: status(4990), lastRoundAt: null, lastGood: null })._tag).toBe("Stranded")
  })
})

describe("weights safety net: running", () => {
  test("every successful submission is remembered; with the Challenge API down the last good weights go out again before the cutoff", async () => {
    const store = makeStore(openDatabase(":memory:"))
    const submitted: Array<ReadonlyArray<{ uid: number; weight: number }>> = []
    const submit = (w: ReadonlyArray<{ readonly uid: number; readonly weight: number }>) =>
      Effect.sync((): SubmitOutcome => {
        submitted.push(w)
        return { kind: "set_weights", blockHash: "0xabc", uids: w.map((x) => x.uid) }
      })
    const ops = instrumentParts({
      store,
      transport: { protocol: "fiber", query: () => Effect.die("unused"), availability: () => Effect.succeed(true) },
      embedRound: () => Effect.die("unused"),
      score: () => {
        throw new Error("unused")
      },
      submitWeights: submit,
      now: Date.now
    })
    // a normal submission through the instrumented path stores the weights as the last good ones
    await Effect.runPromise(ops.submitWeights(W))
    expect(await Effect.runPromise(readLastGood(store))).toEqual(W)
    expect(((await Effect.runPromise(store.getState(LAST_GOOD_KEY))) as { weights: unknown }).weights).toEqual(W)
    expect(await ops.metrics.text()).toContain('quorum_weight_submissions_total{kind="set_weights",outcome="ok"} 1')

    // later: no rounds for an hour (Challenge API down), the aggregate has nothing, 300 blocks to the cutoff
    submitted.length = 0
    const fiber = Effect.runFork(
      runSafetyNet({
        store,
        status: Effect.succeed(status(4700)),
        lastRoundAt: Effect.succeed(Date.now() - 3_600_000),
        current: () => [],
        submit: ops.submitWeights,
        setNow: Effect.die("the fresh path must not run"),
        marginBlocks: 500,
        freshWindowMs: 600_000,
        pollMs: 50,
        retryMs: 60_000,
        now: Date.now
      })
    )
    const deadline = Date.now() + 5_000
    while (submitted.length === 0 && Date.now() < deadline) await Bun.sleep(20)
    await Bun.sleep(300) // a second poll inside retryMs must not submit again
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect(submitted).toEqual([W])
  })
})

describe("aggregate restore after a restart", () => {
  const round = (id: string, rewards: Array<[number, number]>): RoundResult => ({
    roundId: id,
    taskType: "chat",
    miners: rewards.map(([uid, reward]) => ({ uid, hotkey: `hk${uid}`, reward, axes: {}, score: reward, filtered: reward === 0 ? "error" : null })),
    consensus: rewards.filter(([, r]) => r > 0).map(([u]) => u),
    clusters: rewards.map(([, r]) => (r > 0 ? 0 : -1)),
    best: rewards[0]?.[0] ?? null
  })
  const rounds = Array.from({ length: 40 }, (_, k) =>
    round(`r${k}`, [
      [1, (k % 3) / 7 + 0.1],
      [2, k % 5 === 0 ? 0 : 0.3 + (k % 7) / 31],
      [3, k % 2 === 0 ? 0.123456789012345 : 0],
      [4 + (k % 4), 1 / (k + 3)]
    ])
  )

  for (const kind of ["ema", "tournament"] as const) {
    test(`${kind}: state and weights after a restart are exactly the ones before (stored as the scoring actor does)`, async () => {
      const options = { kind, alpha: 0.3, decay: 0.02, groupSize: 3 }
      const store = makeStore(openDatabase(":memory:"))
      const before = makeAggregator(options)
      for (const r of rounds) {
        before.update(r)
        await Effect.runPromise(store.putState(`aggregate:${kind}`, before.snapshot(), Date.now()))
      }
      const after = await Effect.runPromise(loadAggregator(store, options))
      expect(after.state()).toEqual(before.state())
      expect(after.snapshot()).toEqual(before.snapshot())
      expect(after.weights()).toEqual(before.weights())
      // and they keep evolving identically
      const next = round("r-next", [[1, 0.5], [2, 0.25], [3, 0.25]])
      before.update(next)
      after.update(next)
      expect(after.weights()).toEqual(before.weights())
      expect(after.weights().length).toBeGreaterThan(0)
    })
  }
})
