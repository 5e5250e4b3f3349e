import { describe, expect, test } from "bun:test"
import { makeHeapTrim } from "../../workers/heapTrim.ts"

const fakeClock = () => {
  const state = { t: 1_000, collected: 0 }
  return { state, deps: { now: () => state.t, collect: () => void state.collected++ } }
}

describe("heapTrim", () => {
  test("collects after the first task past the interval, then waits a whole interval again", () => {
    const { state, deps } = fakeClock()
    const trim = makeHeapTrim(30, deps)
    expect(trim.afterTask()).toBe(false)
    state.t += 29_999
    expect(trim.afterTask()).toBe(false)
    state.t += 1
    expect(trim.afterTask()).toBe(true)
    expect(state.collected).toBe(1)
    state.t += 10_000
    expect(trim.afterTask()).toBe(false) // 10 s after the last collection
    state.t += 25_000
    expect(trim.afterTask()).toBe(true)
    expect(trim.collections()).toBe(2)
    expect(state.collected).toBe(2)
  })

  test("0 s (or absent) never collects", () => {
    for (const seconds of [0, undefined]) {
      const { state, deps } = fakeClock()
      const trim = makeHeapTrim(seconds, deps)
      state.t += 1e9
      expect(trim.afterTask()).toBe(false)
      expect(trim.collections()).toBe(0)
      expect(state.collected).toBe(0)
    }
  })

  test("the real collector runs (Bun.gc) and the thread goes on", () => {
    const trim = makeHeapTrim(0.001)
    Bun.sleepSync(2)
    expect(trim.afterTask()).toBe(true)
    expect(trim.collections()).toBe(1)
  })
})
