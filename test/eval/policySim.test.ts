// The policy simulation (bun run policies): a small bounded run through the real scorer and aggregators with
// the real model (a deterministic bag-of-words embedding only when the model cannot be resolved), and the
// metrics on hand-made weight histories.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, ManagedRuntime } from "effect"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { hash32 } from "../../src/domain/random.ts"
import { cv, gains, honestShare, median, pairMetrics, recommend, roundsToHalfMedian, strategyCost, stakeView } from "../../src/eval/policyMetrics.ts"
import { shareSvg } from "../../src/eval/policyPlot.ts"
import {
  ALL_PAIRS,
  DEFAULT_SIM,
  type EmbedTexts,
  makePopulation,
  pairName,
  type PairRun,
  type PopulationOptions,
  runPair,
  type SimMiner,
  type TextVectors
} from "../../src/eval/policySim.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import { hasUseLite, USE_LITE_DIR } from "../support/shared.ts"

const corpus = loadCorpus()

/** Only when the real model is not resolvable: hashed bag of words, L2-normalized (deterministic). */
const FAKE_DIM = 64
const fakeEmbed: EmbedTexts = async (texts) => {
  const out = new Float32Array(texts.length * FAKE_DIM)
  texts.forEach((t, k) => {
    for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) out[k * FAKE_DIM + (hash32(w) % FAKE_DIM)]! += 1
    const row = out.subarray(k * FAKE_DIM, (k + 1) * FAKE_DIM)
    const n = Math.hypot(...row)
    if (n > 0) row.forEach((v, j) => (row[j] = v / n))
  })
  return out
}

const memoryVectors = (dim: number): TextVectors => {
  const m = new Map<string, Float32Array>()
  return { dim, get: (t) => m.get(t), put: (t, v) => void m.set(t, Float32Array.from(v)) }
}

// 8 miners, 6 asked per round: every round has at least 4 honest voices. (With only 2–3 honest answers in a
// round the scorer can pay a junk decoy, which the full run shows under the groups policy; see the README.)
const TINY: PopulationOptions = {
  honest: 5,
  smallHonest: true,
  slow: 0,
  junk: 2,
  copycat: 0,
  flaky: 0,
  sybil: 0,
  newcomerAt: null,
  stake: { honest: 100, small: 1, whale: 5000, newcomer: 10 }
}
const SIM = { ...DEFAULT_SIM, rounds: 12, maxPerRound: 6 }

describe("policy simulation: every selection × aggregation pair on a tiny population", () => {
  const miners = makePopulation(TINY)
  let runtime: ManagedRuntime.ManagedRuntime<Embedder, unknown> | null = null
  let vectors: TextVectors
  let embed: EmbedTexts
  const runs = new Map<string, PairRun>()
  beforeAll(async () => {
    if (hasUseLite) {
      const rt = ManagedRuntime.make(Embedder.layer({ modelPath: USE_LITE_DIR, poolSize: 1 }))
      runtime = rt
      const dim = await rt.runPromise(Embedder.use((e) => Effect.succeed(e.model.dim)))
      vectors = memoryVectors(dim)
      embed = (texts) => rt.runPromise(Embedder.use((e) => e.embed(texts))).then((r) => r.data)
    } else {
      console.warn(`[policySim] the real model is not resolvable at ${USE_LITE_DIR}: a bag-of-words embedding stands in`)
      vectors = memoryVectors(FAKE_DIM)
      embed = fakeEmbed
    }
    for (const pair of ALL_PAIRS) runs.set(pairName(pair), await runPair(pair, miners, corpus, DEFAULT_SCORING_CONFIG, SIM, vectors, embed))
  }, 60_000)
  afterAll(() => runtime?.dispose())

  test("junk earns nothing under every pair without the stake blend; honest miners hold all the weight", () => {
    const junk = miners.filter((m) => m.strategy === "junk").map((m) => m.uid)
    for (const pair of ALL_PAIRS.filter((p) => !p.stakeBlend)) {
      const r = runs.get(pairName(pair))!
      expect(r.weights.length).toBe(SIM.rounds)
      for (const w of r.weights) for (const u of junk) expect(w[u]).toBe(0)
      expect(honestShare(r.weights, miners, SIM.rounds)).toBeCloseTo(1, 9)
      // every round asked at most maxPerRound registered miners
      for (const a of r.asked) expect(a.length).toBeLessThanOrEqual(SIM.maxPerRound)
    }
  })

  test("the stake blend pays the staked junk miner for its stake and lowers the low-stake honest miner", () => {
    for (const [plain, staked] of [["availability×ema", "availability×ema+stake"], ["performance×blend", "performance×blend+stake"]] as const) {
      const without = stakeView(runs.get(plain)!.weights, miners, SIM.rounds)
      const withStake = stakeView(runs.get(staked)!.weights, miners, SIM.rounds)
      expect(without.whale).toBe(0)
      // share 0.2 · min(1, 5000/5000) against performances scaled to ≤ 1: a clear part of the weight, no work
      expect(withStake.whale).toBeGreaterThan(0.02)
      expect(withStake.whale).toBeGreaterThan(withStake.junk - withStake.whale)
      expect(withStake.smallHonest / withStake.medianHonest).toBeLessThan(without.smallHonest / without.medianHonest + 1e-9)
    }
  })

  test("same seed, same run: the comparison is fair and reproducible", async () => {
    const pair = ALL_PAIRS.find((p) => pairName(p) === "performance×cumulative")!
    const again = await runPair(pair, miners, corpus, DEFAULT_SCORING_CONFIG, SIM, vectors, embed)
    expect(again.asked).toEqual(runs.get("performance×cumulative")!.asked)
    expect(again.weights).toEqual(runs.get("performance×cumulative")!.weights)
  })

  test("metrics and the plot come out of a run", () => {
    const r = runs.get("availability×ema")!
    const m = pairMetrics("availability×ema", r, miners, 4, SIM.rounds)
    expect(m.honestShare100).toBeCloseTo(1, 9)
    expect(m.gains.find((g) => g.strategy === "junk")!.gain).toBe(0)
    const svg = shareSvg([{ selection: "availability", aggregation: "ema", values: r.weights.map((_, k) => honestShare(r.weights, miners, k + 1)) }], "t", null)
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg).toContain("polyline")
  })
})

describe("policy metrics on hand-made weight histories", () => {
  // uids 0–2 identical honest, 3 junk, 4 the newcomer (joins in round 2, 0-based)
  const miners: Array<SimMiner> = [
    ...[0, 1, 2].map((uid): SimMiner => ({ uid, hotkey: `h${uid}`, coldkey: `c${uid}`, ip: "", strategy: "honest", role: "identical", joinRound: 0, stake: 1 })),
    { uid: 3, hotkey: "j", coldkey: "cj", ip: "", strategy: "junk", role: "other", joinRound: 0, stake: 1 },
    { uid: 4, hotkey: "n", coldkey: "cn", ip: "", strategy: "honest", role: "newcomer", joinRound: 2, stake: 1 }
  ]
  const weights = [
    [0.3, 0.3, 0.3, 0.1, 0],
    [0.2, 0.3, 0.4, 0.1, 0],
    [0.3, 0.3, 0.3, 0.1, 0],
    [0.25, 0.3, 0.25, 0.1, 0.1], // median 0.25: 0.1 < 0.125
    [0.2, 0.2, 0.3, 0.1, 0.2] // median 0.2: 0.2 ≥ 0.1 → round 3 since joining
  ]

  test("CV: population standard deviation over the mean; null without weight", () => {
    expect(cv([0.2, 0.3, 0.4])).toBeCloseTo(Math.sqrt(((0.1 ** 2) * 2) / 3) / 0.3, 12)
    expect(cv([1, 1, 1])).toBe(0)
    expect(cv([0, 0])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
  })

  test("honest share, rounds to half the median honest weight (or never)", () => {
    expect(honestShare(weights, miners, 2)).toBeCloseTo(0.9, 12)
    expect(roundsToHalfMedian(weights, miners)).toBe(3)
    expect(roundsToHalfMedian(weights.slice(0, 4), miners)).toBeNull()
    // it counts only from its registration: weight before joining does not count
    expect(roundsToHalfMedian([[0.1, 0.1, 0.1, 0, 0.1], ...weights.slice(1, 4)], miners)).toBeNull()
  })

  test("gain per unit of cost: emission / cost against the identical honest miners'", () => {
    // each round: the three honest miners and the junk miner asked
    const asked = weights.map(() => [0, 1, 2, 3])
    // honest: emission 0.9+0.9+0.9+0.8+0.7 = 4.2 over 15 answers; junk: 0.5 over 5 × 0.01
    const g = gains({ weights, asked }, miners, 5)
    expect(g[0]!.strategy).toBe("junk")
    expect(g[0]!.gain).toBeCloseTo(0.5 / 0.05 / (4.2 / 15), 9)
    expect(strategyCost(asked, miners, "honest", 5)).toBe(15)
    // weight without ever being asked: infinite gain (what the stake blend can pay)
    expect(gains({ weights, asked: weights.map(() => [0, 1, 2]) }, miners, 5)[0]!.gain).toBe(Infinity)
  })

  test("sybil cost: one answer per round its entity is asked, a little per further hotkey", () => {
    const sy: Array<SimMiner> = [0, 1, 2].map((uid) => ({ uid, hotkey: `s${uid}`, coldkey: "cs", ip: "", strategy: "sybil", role: "other", joinRound: 0, stake: 1 }))
    expect(strategyCost([[0, 1, 2], [1], []], sy, "sybil", 3)).toBeCloseTo(1 + 0.1 + 1, 12)
  })

  test("the recommendation follows the documented rule", () => {
    const base = { cv20: 0.1, honestShare20: 0.5, gains: [], shares: {} }
    const ok = { ...base, pair: "a", honestShare100: 0.7, cv100: 0.2, onboarding: 10, best: { strategy: "junk" as const, gain: 1.5 } }
    const unfair = { ...ok, pair: "b", honestShare100: 0.9, cv100: 0.8, best: { strategy: "junk" as const, gain: 0.5 } }
    const lower = { ...ok, pair: "c", honestShare100: 0.6 }
    const rec = recommend([unfair, lower, ok])
    expect(rec.pair).toBe("a")
    expect(rec.passed).toBe(true)
    expect(rec.passing).toEqual(["c", "a"])
    // the gain is reported, not ranked on
    expect(rec.gainWarning).toEqual({ strategy: "junk", gain: 1.5 })
    const none = recommend([unfair, { ...ok, pair: "d", onboarding: null, cv100: 0.9 }])
    expect(none.pair).toBe("b")
    expect(none.passed).toBe(false)
    expect(none.gainWarning).toBeNull()
  })
})
