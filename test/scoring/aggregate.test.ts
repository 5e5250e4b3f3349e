import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import {
  emaUpdate,
  emptyEma,
  emptyTournament,
  rankInGroup,
  syncRegistered,
  tournamentGroups,
  tournamentRanking,
  tournamentUpdate,
  weights,
  type EmaState,
  type TournamentState
} from "../../src/scoring/aggregate.ts"

const sumOf = (m: ReadonlyMap<number, number>) => [...m.values()].reduce((a, b) => a + b, 0)
const rewardsArb = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }))), { maxLength: 20, selector: (t) => t[0] })
const roundsArb = fc.array(rewardsArb, { minLength: 1, maxLength: 15 })
const opts = { alpha: 0.3, decay: 0.1 }

const shuffle = <A>(xs: ReadonlyArray<A>, seed: number): Array<A> => {
  const a = [...xs]
  let s = seed >>> 0
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (i + 1)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

describe("EMA with decay", () => {
  test("update formula, decay of absent miners, reset of replaced hotkeys, removal of deregistered", () => {
    const hk = new Map([[1, "a"], [2, "b"], [3, "c"]])
    let s = emaUpdate(emptyEma(), new Map([[1, 1], [2, 0.5]]), { ...opts, hotkeys: hk })
    expect(s.miners["1"]).toEqual({ hotkey: "a", score: 0.3 })
    expect(s.miners["2"]!.score).toBeCloseTo(0.15, 12)
    s = emaUpdate(s, new Map([[2, 1]]), { ...opts, hotkeys: hk })
    expect(s.miners["1"]!.score).toBeCloseTo(0.3 * 0.9, 12) // absent: decays by (1 − decay)
    expect(s.miners["2"]!.score).toBeCloseTo(0.3 + 0.7 * 0.15, 12)
    // uid 1 re-registered to a new hotkey: starts over; uid 2 deregistered: gone
    s = emaUpdate(s, new Map([[1, 0]]), { ...opts, hotkeys: new Map([[1, "z"], [3, "c"]]) })
    expect(s.miners["1"]).toEqual({ hotkey: "z", score: 0 })
    expect(s.miners["2"]).toBeUndefined()
    expect(weights(s).size).toBe(0)
    // round-trips through JSON
    expect(JSON.parse(JSON.stringify(s)) as EmaState).toEqual(s)
  })

  test("properties: weights sum to 1 or are empty, in [0,1], order of inputs irrelevant", () => {
    assertProperty(
      fc.property(roundsArb, fc.integer(), (rounds, seed) => {
        let a = emptyEma()
        let b = emptyEma()
        for (const r of rounds) {
          a = emaUpdate(a, new Map(r), opts)
          b = emaUpdate(b, new Map(shuffle(r, seed)), opts)
        }
        expect(JSON.stringify(b)).toBe(JSON.stringify(a))
        const w = weights(a)
        if (w.size > 0) expect(sumOf(w)).toBeCloseTo(1, 9)
        for (const v of w.values()) {
          expect(v).toBeGreaterThan(0)
          expect(v).toBeLessThanOrEqual(1 + 1e-12)
        }
      })
    )
  })

  test("property: an absent miner's score strictly decays toward 0", () => {
    assertProperty(
      fc.property(rewardsArb, fc.integer({ min: 1, max: 30 }), (r, k) => {
        let s = emaUpdate(emptyEma(), new Map([[99, 1], ...r.filter(([u]) => u !== 99)]), opts)
        let prev = s.miners["99"]!.score!
        for (let i = 0; i < k; i++) {
          s = emaUpdate(s, new Map(r.filter(([u]) => u !== 99)), opts)
          const cur = s.miners["99"]?.score ?? 0
          expect(cur).toBeLessThan(prev)
          prev = cur
        }
        expect(prev).toBeLessThanOrEqual(0.3 * 0.9 ** k + 1e-15)
      })
    )
  })

  test("property: a miner that always earns the most ends with the top weight", () => {
    assertProperty(
      fc.property(roundsArb, (rounds) => {
        let s = emptyEma()
        for (const r of rounds) s = emaUpdate(s, new Map([...r.map(([u, x]) => [u, x * 0.9] as const), [7, 1]]), opts)
        const w = weights(s)
        const top = [...w.entries()].sort((a, b) => b[1] - a[1])[0]!
        expect(top[0]).toBe(7)
      })
    )
  })
})

describe("group tournament (seed 004)", () => {
  const registered = (n: number) => new Map(Array.from({ length: n }, (_, i) => [i, `hk${i}`] as const))

  test("groups: overlapping adjacent ranks with stride ⌊G/2⌋, tail covered", () => {
    const st = syncRegistered(emptyTournament(), registered(12))
    const g = tournamentGroups(st, 4)
    expect(g.map((x) => x.start)).toEqual([0, 2, 4, 6, 8])
    expect(g[1]!.uids).toEqual([2, 3, 4, 5])
    // fewer miners than the group size: one group
    expect(tournamentGroups(syncRegistered(emptyTournament(), registered(3)), 25).map((x) => x.uids)).toEqual([[0, 1, 2]])
    // 30 miners, G = 25: the seed only makes the group at 0; the tail group ending at rank 29 is added
    expect(tournamentGroups(syncRegistered(emptyTournament(), registered(30)), 25).map((x) => x.start)).toEqual([0, 5])
    // every miner is in at least one and at most two groups
    assertProperty(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 40 }), (n, gsz) => {
        const gs = tournamentGroups(syncRegistered(emptyTournament(), registered(n)), gsz)
        const count = new Map<number, number>()
        for (const x of gs) for (const u of x.uids) count.set(u, (count.get(u) ?? 0) + 1)
        expect(count.size).toBe(n)
        for (const c of count.values()) expect(c).toBeLessThanOrEqual(gsz >= 2 ? 3 : 1)
      })
    )
  })

  test("in-group ranks: highest reward first, zero or missing rewards share the last place", () => {
    const r = rankInGroup([4, 5, 6, 7], new Map([[4, 0.2], [5, 0.9], [6, 0]]))
    expect([...r.entries()].sort((a, b) => a[0] - b[0])).toEqual([[4, 1], [5, 0], [6, 3], [7, 3]])
  })

  test("update: earned positions map onto the group's global positions, EMA per the seed", () => {
    let st = syncRegistered(emptyTournament(), registered(4))
    // first round: everyone unranked; ranked count 0 → init alpha·pos + (1−alpha)·0
    st = tournamentUpdate(st, [0, 1, 2, 3], new Map([[0, 0.1], [1, 0.2], [2, 0.3], [3, 0.4]]), { alpha: 0.5 })
    expect(tournamentRanking(st)).toEqual([3, 2, 1, 0])
    expect(st.miners["3"]!.score).toBe(0)
    expect(st.miners["0"]!.score).toBe(1.5)
    const w = weights(st)
    expect(w.get(3)).toBeCloseTo(8 / 15, 12)
    expect(w.get(0)).toBeCloseTo(1 / 15, 12)
    expect(JSON.parse(JSON.stringify(st)) as TournamentState).toEqual(st)
    // a hotkey change makes the uid unranked again
    const st2 = syncRegistered(st, new Map([[0, "hk0"], [1, "hk1"], [2, "hk2"], [3, "new"]]))
    expect(st2.miners["3"]!.score).toBeNull()
    expect(weights(st2).has(3)).toBe(false)
    expect(sumOf(weights(st2))).toBeCloseTo(1, 12)
  })

  test("properties: weights sum to 1 or empty, (1/2)^rank ratios, group order irrelevant", () => {
    assertProperty(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 30, maxLength: 30 })), { maxLength: 20 }),
        fc.integer(),
        (n, g, rounds, seed) => {
          let a = syncRegistered(emptyTournament(), registered(n))
          let b = a
          for (const [pick, rs] of rounds) {
            const groups = tournamentGroups(a, g)
            const grp = groups[pick % groups.length]!.uids
            const rewards = new Map(grp.map((u) => [u, rs[u]!] as const))
            a = tournamentUpdate(a, grp, rewards, { alpha: 0.3 })
            b = tournamentUpdate(b, shuffle(grp, seed), new Map(shuffle([...rewards], seed + 1)), { alpha: 0.3 })
          }
          expect(JSON.stringify(b)).toBe(JSON.stringify(a))
          const w = weights(a)
          if (w.size > 0) expect(sumOf(w)).toBeCloseTo(1, 9)
          const ordered = tournamentRanking(a).filter((u) => w.has(u))
          for (let i = 1; i < ordered.length; i++) expect(w.get(ordered[i]!)! / w.get(ordered[i - 1]!)!).toBeCloseTo(0.5, 9)
        }
      ),
      { numRuns: 80 }
    )
  })

  test("property: a miner that always wins its group climbs to the top", () => {
    assertProperty(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 4, max: 10 }), fc.integer(), (n, g, seed) => {
        const star = n - 1 // starts at the bottom of the ranking
        let st = syncRegistered(emptyTournament(), registered(n))
        let s = seed >>> 0
        const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32)
        for (let round = 0; round < 1500; round++) {
          const groups = tournamentGroups(st, g)
          const grp = groups[Math.floor(rnd() * groups.length)]!.uids
          const rewards = new Map(grp.map((u) => [u, u === star ? 1 : 0.05 + 0.9 * rnd()] as const))
          st = tournamentUpdate(st, grp, rewards, { alpha: 0.3 })
        }
        expect(tournamentRanking(st)[0]).toBe(star)
        const w = weights(st)
        expect(Math.max(...w.values())).toBe(w.get(star)!)
      }),
      { numRuns: 25 }
    )
  }, 60_000) // 25 × 1500 rounds: ~2 s alone, over 5 s on a loaded 2-core machine
})
