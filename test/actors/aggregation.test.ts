import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { makeAggregator } from "../../src/domain/AggregationState.ts"
import { UNANSWERED_RESTART, UNANSWERED_SHUTDOWN } from "../../src/domain/Unanswered.ts"
import type { MinerScore, RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"

const result = (id: string, rewards: ReadonlyArray<readonly [number, number]>): RoundResult => {
  const miners: Array<MinerScore> = rewards.map(([uid, reward]) => ({
    uid,
    hotkey: `hk${uid}`,
    reward,
    axes: {},
    score: reward,
    filtered: reward > 0 ? null : "out_of_consensus"
  }))
  return { roundId: id, taskType: "chat", miners, consensus: miners.filter((m) => m.reward > 0).map((m) => m.uid), clusters: [], best: null }
}

const ema = { kind: "ema", alpha: 0.5, decay: 0.1, groupSize: 4 } as const
const tournament = { kind: "tournament", alpha: 0.5, decay: 0, groupSize: 4 } as const

describe("app aggregator", () => {
  test("EMA: weights follow rewards, absent miners decay, weights sum to 1", () => {
    const agg = makeAggregator(ema)
    agg.update(result("r1", [[1, 0.75], [2, 0.25], [3, 0]]))
    let w = new Map(agg.weights().map((x) => [x.uid, x.weight]))
    expect(w.get(1)! / w.get(2)!).toBeCloseTo(3, 9)
    expect(w.has(3)).toBe(false)
    agg.update(result("r2", [[2, 1]]))
    w = new Map(agg.weights().map((x) => [x.uid, x.weight]))
    // uid 1 decayed (0.375·0.9), uid 2 moved toward 1 (0.125·0.5 + 0.5)
    expect(w.get(1)! / w.get(2)!).toBeCloseTo((0.375 * 0.9) / (0.5 * 0.125 + 0.5), 9)
    expect([...w.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  test("a miner left unanswered by the validator's restart or shutdown is not judged on the round; a timeout is", () => {
    const unanswered = (uid: number, note: string): MinerScore => ({ uid, hotkey: `hk${uid}`, reward: 0, axes: {}, score: 0, filtered: "error", note })
    const round = (id: string, note: string): RoundResult => {
      const r = result(id, [[1, 1]])
      return { ...r, miners: [...r.miners, unanswered(2, note)] }
    }
    const agg = makeAggregator(ema)
    const absent = makeAggregator(ema)
    for (const a of [agg, absent]) a.update(result("r1", [[1, 0.5], [2, 0.5]]))
    agg.update(round("r2", UNANSWERED_RESTART))
    absent.update(result("r2", [[1, 1]]))
    agg.update(round("r3", UNANSWERED_SHUTDOWN))
    absent.update(result("r3", [[1, 1]]))
    // the same as not being asked: uid 2 only decays, and its performance record counts no round
    expect(agg.weights()).toEqual(absent.weights())
    expect(agg.performance().miners["2"]?.count).toBe(1)
    const timedOut = makeAggregator(ema)
    timedOut.update(result("r1", [[1, 0.5], [2, 0.5]]))
    timedOut.update(round("r2", "Timeout"))
    expect(timedOut.state().miners["2"]?.score).toBeCloseTo(0.25 * 0.5, 12)
  })

  test("state survives a restart through the store; a corrupt or foreign snapshot starts fresh", async () => {
    const db = openDatabase(":memory:")
    const store = makeStore(db)
    const agg = makeAggregator(ema)
    agg.update(result("r1", [[4, 0.6], [5, 0.4]]))
    await Effect.runPromise(store.putState("aggregate:ema", agg.snapshot(), 1))
    const restored = makeAggregator(ema, await Effect.runPromise(store.getState("aggregate:ema")))
    expect(restored.weights()).toEqual(agg.weights())
    expect(makeAggregator(ema, { kind: "ema", miners: { "1": { hotkey: 3, score: "x" } } }).weights()).toEqual([])
    expect(makeAggregator(ema, "garbage").weights()).toEqual([])
    expect(makeAggregator(tournament, agg.snapshot()).state().kind).toBe("tournament")
    db.close()
  })

  test("sync: a deregistered uid is dropped, a replaced hotkey starts over", () => {
    const agg = makeAggregator(ema)
    agg.update(result("r1", [[1, 0.5], [2, 0.5]]))
    agg.sync(new Map([[1, "hk1"], [2, "someone-else"]]))
    expect(agg.weights().map((w) => w.uid)).toEqual([1])
    agg.sync(new Map([[2, "someone-else"]]))
    expect(agg.weights()).toEqual([])
  })

  test("tournament: groups of adjacent ranks are asked in turn, every available miner gets asked", () => {
    const agg = makeAggregator(tournament)
    const uids = Array.from({ length: 10 }, (_, i) => i)
    agg.sync(new Map(uids.map((u) => [u, `hk${u}`])))
    const asked = new Set<number>()
    for (let i = 0; i < 6; i++) {
      const g = agg.pickGroup(uids, 4)!
      expect(g.length).toBeGreaterThan(0)
      expect(g.length).toBeLessThanOrEqual(4)
      for (const u of g) asked.add(u)
      // higher uid wins inside the group this time
      agg.update(result(`t${i}`, g.map((u) => [u, (u + 1) / 100] as const)))
    }
    expect([...asked].sort((a, b) => a - b)).toEqual(uids)
    const w = agg.weights()
    expect(w.reduce((a, x) => a + x.weight, 0)).toBeCloseTo(1, 12)
    // only available miners are put in a group
    const g = agg.pickGroup([1, 3], 4)!
    for (const u of g) expect([1, 3]).toContain(u)
    // EMA (or any kind) groups by current weight: the best-weighted miners form the first group
    const e = makeAggregator(ema)
    e.sync(new Map(uids.map((u) => [u, `hk${u}`] as const)))
    e.update(result("e1", uids.map((u) => [u, (u + 1) / 100] as const)))
    expect(e.pickGroup(uids, 4)).toEqual([...uids].sort((a, b) => b - a).slice(0, 4))
  })

  test("tournament: a ranked miner that never earned (offline, junk, copies) gets no weight; restore keeps that", () => {
    const agg = makeAggregator(tournament)
    agg.sync(new Map([0, 1, 2, 3].map((u) => [u, `hk${u}`])))
    for (let i = 0; i < 4; i++) agg.update(result(`z${i}`, [[0, 0.6], [1, 0.4], [2, 0], [3, 0]]))
    const w = new Map(agg.weights().map((x) => [x.uid, x.weight]))
    expect([...w.keys()].sort()).toEqual([0, 1])
    expect(w.get(0)! + w.get(1)!).toBeCloseTo(1, 12)
    expect(w.get(0)!).toBeGreaterThan(w.get(1)!)
    const restored = makeAggregator(tournament, JSON.parse(JSON.stringify(agg.snapshot())))
    expect(restored.weights()).toEqual(agg.weights())
  })
})

describe("seed 003 aggregations in the app aggregator", () => {
  const policy = { cap: 500, recentShare: 0.7, stakeBlend: { enabled: false, share: 0.2 } }
  const registered = new Map([[1, "hk1"], [2, "hk2"], [3, "hk3"]])

  test("cumulative caps each miner at 500 points: two elite rounds and ten average ones weigh the same", () => {
    const agg = makeAggregator({ ...ema, kind: "cumulative", policy })
    agg.sync(registered)
    agg.update(result("a", [[1, 1], [2, 0.4]]))
    agg.update(result("b", [[1, 1], [2, 0.4]]))
    const first = agg.weights() // 1000 capped at 500 vs 400
    expect(first[0]!.weight).toBeCloseTo(5 / 9, 12)
    expect(first[1]!.weight).toBeCloseTo(4 / 9, 12)
    for (let i = 0; i < 8; i++) agg.update(result(`c${i}`, [[2, 0.4]]))
    const w = agg.weights()
    expect(w[0]!.weight).toBeCloseTo(0.5, 12)
    expect(w[1]!.weight).toBeCloseTo(0.5, 12)
  })

  test("blend follows recent rounds; its records survive a restart (snapshot through JSON)", () => {
    const agg = makeAggregator({ ...ema, kind: "blend", policy, tierWindow: 2 })
    agg.sync(registered)
    for (let i = 0; i < 4; i++) agg.update(result(`a${i}`, [[1, 1], [2, 0.2]]))
    agg.update(result("b0", [[1, 0.2], [2, 1]]))
    agg.update(result("b1", [[1, 0.2], [2, 1]]))
    const w = new Map(agg.weights().map((x) => [x.uid, x.weight]))
    expect(w.get(2)!).toBeGreaterThan(w.get(1)!) // recent (window 2) leads 0.7
    const restored = makeAggregator({ ...ema, kind: "blend", policy, tierWindow: 2 }, JSON.parse(JSON.stringify(agg.snapshot())))
    expect(restored.weights()).toEqual(agg.weights())
    expect(restored.performance()).toEqual(agg.performance())
    // another kind does not take this snapshot
    expect(makeAggregator({ ...ema, kind: "cumulative", policy }, agg.snapshot()).weights()).toEqual([])
  })

  test("the stake blend pays a staked miner that never earned (that is what it does; off by default)", () => {
    const on = makeAggregator({ ...ema, policy: { ...policy, stakeBlend: { enabled: true, share: 0.2 } } })
    const off = makeAggregator(ema)
    for (const agg of [on, off]) {
      agg.sync(registered, new Map([[1, 10], [2, 10_000], [3, 0]]))
      agg.update(result("a", [[1, 1], [2, 0]]))
    }
    expect(off.weights().map((w) => w.uid)).toEqual([1])
    const w = new Map(on.weights().map((x) => [x.uid, x.weight]))
    expect(w.get(2)!).toBeCloseTo(0.2 / (0.8 + 0.2 * 0.001 + 0.2), 9)
    expect(w.get(3)).toBeUndefined()
  })
})
