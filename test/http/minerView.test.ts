// /miners rows: seed 003's load (queries in flight), tier and performance record per miner, the copy record by hotkey.
import { describe, expect, test } from "bun:test"
import { minerRows } from "../../src/http/minerView.ts"
import { CopyRecord, DEFAULT_COPY_RECORD } from "../../src/scoring/copyRecord.ts"
import { emptyPerformance, performanceUpdate } from "../../src/scoring/performance.ts"
import type { RoundResult } from "../../src/scoring/types.ts"

const result = (id: string, scores: ReadonlyArray<readonly [number, number]>): RoundResult => ({
  roundId: id,
  taskType: "chat",
  miners: scores.map(([uid, score]) => ({ uid, hotkey: `hk${uid}`, reward: score, axes: {}, score, filtered: null })),
  consensus: [],
  clusters: [],
  best: null
})

describe("minerRows", () => {
  test("in-flight load, tier and performance per miner; a replaced hotkey shows none", () => {
    let perf = emptyPerformance()
    for (const r of [result("a", [[1, 0.95], [2, 0.4]]), result("b", [[1, 0.93], [2, 0.2]])]) perf = performanceUpdate(perf, r, { window: 20 })
    const rows = minerRows({
      sessions: [{ uid: 1, availability: 1, inFlight: 2 }, { uid: 2, availability: 0.5 }, { uid: 3, availability: 1, inFlight: 0 }],
      identities: [{ uid: 1, hotkey: "hk1", coldkey: "c", ip: "1.1.1.1" }, { uid: 2, hotkey: "hk2", coldkey: "c", ip: "1.1.1.2" }, { uid: 3, hotkey: "other", coldkey: "c", ip: "x" }],
      weights: [{ uid: 1, weight: 0.7 }, { uid: 2, weight: 0.3 }],
      aggregate: new Map(),
      stakes: new Map(),
      trust: new Map(),
      totals: [],
      filterReasons: new Map(),
      performance: perf
    })
    expect(rows.map((r) => [r.uid, r.in_flight, r.tier])).toEqual([[1, 2, "elite"], [2, 0, "basic"], [3, 0, null]])
    expect(rows[0]!.performance).toEqual({ tasks: 2, total: 940, average: 470, recent_average: 470, recent_rounds: 2, by_task: { chat: { tasks: 2, average: 470 } } })
  })

  test("each miner's copy record by its hotkey: standing and counts; none for an unknown hotkey", () => {
    const record = new CopyRecord(DEFAULT_COPY_RECORD.window, 16)
    for (let k = 0; k < 5; k++) record.record(new Map([["hk1", "paid" as const], ["hk2", k % 2 === 0 ? ("copy" as const) : ("paid" as const)]]))
    const rows = minerRows({
      sessions: [{ uid: 1, availability: 1 }, { uid: 2, availability: 1 }, { uid: 3, availability: 1 }],
      identities: [{ uid: 1, hotkey: "hk1", coldkey: "c", ip: "a" }, { uid: 2, hotkey: "hk2", coldkey: "c", ip: "b" }, { uid: 3, hotkey: "hk3", coldkey: "c", ip: "c" }],
      weights: [],
      aggregate: new Map(),
      stakes: new Map(),
      trust: new Map(),
      totals: [],
      filterReasons: new Map(),
      records: new Map(record.summaries(DEFAULT_COPY_RECORD))
    })
    expect(rows.map((r) => r.record)).toEqual([
      { standing: "clean", rounds: 5, copies: 0, astray: 0, paid: 5 },
      { standing: "copier", rounds: 5, copies: 3, astray: 0, paid: 2 },
      null
    ])
  })
})
