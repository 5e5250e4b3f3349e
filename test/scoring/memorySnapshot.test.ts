// The novelty memory's snapshot (src/scoring/memorySnapshot.ts): a memory restored from a snapshot scores the
// following rounds exactly as the memory it was taken from, and a snapshot that does not fit is refused with a
// reason instead of being half-read.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { makeNoveltyMemory } from "../../src/scoring/round.ts"
import { type MemorySnapshot, memoryCompat, restoreMemory, snapshotMemory } from "../../src/scoring/memorySnapshot.ts"
import type { ScoringConfig } from "../../src/scoring/config.ts"
import { build, config, recipeArb, score } from "./propertyScene.ts"

/** What a snapshot looks like after the store's JSON and blob (plain arrays, a fresh Uint32Array). */
const throughStorage = (s: MemorySnapshot): MemorySnapshot => {
  const { prints, ...meta } = s
  return { ...(JSON.parse(JSON.stringify(meta)) as Omit<MemorySnapshot, "prints">), prints: new Uint32Array(prints) }
}

const restored = (s: MemorySnapshot, cfg: ScoringConfig = config) => {
  const memory = makeNoveltyMemory(cfg)
  const outcome = restoreMemory(memory, s, cfg)
  return { memory, outcome }
}

describe("memory snapshot", () => {
  test("a memory restored from a snapshot scores the next rounds exactly as the one it was taken from", () => {
    assertProperty(
      fc.property(fc.array(recipeArb, { minLength: 2, maxLength: 7 }), fc.nat(), (recipes, at) => {
        const split = 1 + (at % (recipes.length - 1))
        const rounds = recipes.map((rc, k) => ({ ...build(rc).round, id: `r${k}` }))
        const live = makeNoveltyMemory(config)
        const first = rounds.slice(0, split).map((r) => score(r, live))
        const { memory, outcome } = restored(throughStorage(snapshotMemory(live, config)))
        expect(outcome.ok).toBe(true)
        expect(memory.size).toBe(live.size)
        expect(first.length).toBe(split)
        for (const r of rounds.slice(split)) expect(score(r, memory)).toEqual(score(r, live))
        expect(snapshotMemory(memory, config)).toEqual(snapshotMemory(live, config))
      }),
      { numRuns: 25 }
    )
  })

  test("fingerprints shared by an answer's prompt and hotkey entries are stored once", () => {
    const live = makeNoveltyMemory(config)
    score({ ...build({ seed: 7, honest: 5, junk: 1, errors: 0, empty: 0, sybils: 0, copies: 1 }).round, id: "r0" }, live)
    const s = snapshotMemory(live, config)
    const byPrompt = s.prompts.reduce((n, [, rows]) => n + rows.length, 0)
    expect(byPrompt).toBeGreaterThan(0)
    expect(s.printLengths.length).toBeLessThan(byPrompt + s.hotkeys.reduce((n, [, rows]) => n + rows.length, 0))
    expect(s.record.length).toBe(7)
  })

  test("refused with a reason: another format, other memory settings, broken fingerprints, unknown outcomes", () => {
    const live = makeNoveltyMemory(config)
    score({ ...build({ seed: 3, honest: 4, junk: 1, errors: 1, empty: 0, sybils: 0, copies: 1 }).round, id: "r0" }, live)
    const s = snapshotMemory(live, config)
    const other: ScoringConfig = { ...config, novelty: { ...config.novelty, perHotkey: config.novelty.perHotkey + 1 } }
    expect(memoryCompat(other)).not.toBe(memoryCompat(config))
    const cases: Array<[MemorySnapshot, ScoringConfig, RegExp]> = [
      [{ ...s, format: 99 }, config, /format 99/],
      [s, other, /memory settings changed/],
      [{ ...s, prints: s.prints.slice(1) }, config, /add up to/],
      [{ ...s, printLengths: [...s.printLengths, -1] }, config, /not a count/],
      [{ ...s, prompts: [["k", [["hk", 1, "r", "h", s.printLengths.length]]]] }, config, /points past/],
      [{ ...s, record: [["hk", "pz"]] }, config, /unknown outcome/]
    ]
    for (const [bad, cfg, why] of cases) {
      const { memory, outcome } = restored(bad, cfg)
      expect(outcome.ok).toBe(false)
      if (!outcome.ok) expect(outcome.reason).toMatch(why)
      expect(memory.size).toBe(0)
      expect(memory.copyRecord.size).toBe(0)
    }
  })

  test("a snapshot larger than the memory's bounds is cut to them, oldest first", () => {
    const live = makeNoveltyMemory(config)
    for (let k = 0; k < 3; k++) score({ ...build({ seed: 11 + k, honest: 6, junk: 0, errors: 0, empty: 0, sybils: 0, copies: 0 }).round, id: `r${k}` }, live)
    const small: ScoringConfig = { ...config, novelty: { ...config.novelty, capacity: 5 } }
    const s = { ...snapshotMemory(live, config), compat: memoryCompat(small) }
    const { memory, outcome } = restored(s, small)
    expect(outcome.ok).toBe(true)
    expect(memory.size).toBe(5)
    const kept = [...memory.contents().prompts.values()].flat().map((e) => e.roundId)
    expect(kept.every((id) => id === "r2")).toBe(true)
  })
})
