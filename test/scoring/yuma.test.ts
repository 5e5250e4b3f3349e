import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { stakeQuantile, vtrustOf, yumaConsensus } from "../../src/scoring/yuma.ts"

const v = (uid: number, stake: number, w: Record<number, number>) => ({ uid, stake, weights: new Map(Object.entries(w).map(([k, x]) => [Number(k), x])) })

describe("Yuma consensus and vtrust", () => {
  test("validators that agree have trust 1; the consensus is their common weight", () => {
    const c = yumaConsensus([v(0, 100, { 10: 0.5, 11: 0.5 }), v(1, 50, { 10: 1, 11: 1 })])
    expect(c.consensus.get(10)).toBeCloseTo(0.5, 12)
    expect(c.trust.get(0)).toBeCloseTo(1, 12)
    expect(c.trust.get(1)).toBeCloseTo(1, 12)
    expect(c.minerTrust.get(10)).toBeCloseTo(1, 12)
  })

  test("a minority validator putting everything on one miner is clipped to the majority's weight", () => {
    // majority (stake 300): 10 → 0.8, 11 → 0.2; minority (stake 100): 11 → 1
    const rows = [v(0, 200, { 10: 8, 11: 2 }), v(1, 100, { 10: 0.8, 11: 0.2 }), v(2, 100, { 11: 1 })]
    const c = yumaConsensus(rows)
    expect(c.consensus.get(10)).toBeCloseTo(0.8, 12)
    expect(c.consensus.get(11)).toBeCloseTo(0.2, 12)
    expect(vtrustOf(rows, 0)).toBeCloseTo(1, 12)
    // the minority keeps only min(1, 0.2) of its weight
    expect(vtrustOf(rows, 2)).toBeCloseTo(0.2, 12)
    // miner 11 got 100·1 + 300·0.2 = 160 of weight·stake, of which 100·0.2 + 60 = 80 survives
    expect(c.minerTrust.get(11)).toBeCloseTo(0.5, 12)
  })

  test("stake-weighted median: the weight that at least half the stake gives or exceeds", () => {
    expect(stakeQuantile([{ w: 0.1, stake: 1 }, { w: 0.9, stake: 3 }], 0.5)).toBe(0.9)
    expect(stakeQuantile([{ w: 0.1, stake: 3 }, { w: 0.9, stake: 1 }], 0.5)).toBe(0.1)
    expect(stakeQuantile([{ w: 0.1, stake: 1 }, { w: 0.9, stake: 1 }], 0.5)).toBe(0.9)
    expect(stakeQuantile([], 0.5)).toBe(0)
  })

  test("no weights on chain: no estimate", () => {
    expect(vtrustOf([v(0, 100, { 1: 1 })], 5)).toBeNull()
    expect(vtrustOf([v(5, 100, {})], 5)).toBeNull()
  })

  test("property: trust ∈ [0,1], and a validator copying the consensus-holder's row has trust 1", () => {
    const seed = process.env["FC_SEED"] === undefined ? undefined : Number(process.env["FC_SEED"])
    fc.assert(
      fc.property(
        fc.array(fc.record({ stake: fc.double({ min: 1, max: 1e6, noNaN: true }), w: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 8 }),
        (vals) => {
          const rows = vals.map((x, i) => v(i, x.stake, Object.fromEntries(x.w.map((w, j) => [100 + j, w]))))
          const c = yumaConsensus(rows)
          for (const t of c.trust.values()) expect(t >= 0 && t <= 1 + 1e-9).toBe(true)
          // the consensus never exceeds the largest weight given to a miner
          for (const [j, cw] of c.consensus) expect(cw <= Math.max(...rows.map((r) => {
            const sum = [...r.weights.values()].reduce((a, b) => a + b, 0)
            return sum > 0 ? (r.weights.get(j) ?? 0) / sum : 0
          })) + 1e-12).toBe(true)
        }
      ),
      { numRuns: 200, ...(seed === undefined ? {} : { seed }) }
    )
  })
})
