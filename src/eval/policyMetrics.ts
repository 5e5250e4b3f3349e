// The side-by-side metrics of the policy simulation (src/eval/policySim.ts), pure: from a pair's weight
// history and who was asked each round. Also the one cost table and the rule that recommends a default.
import { median } from "./adversaries.ts"
import type { PairRun, SimMiner, Strategy } from "./policySim.ts"

/**
 * What one answer costs each strategy, in units of one honest LLM answer (the only cost table):
 * honest 1 (an LLM completion); slow 1 (the same work, late); junk 0.01 (canned text, no model);
 * copycat 0.05 (a relay of another miner's answer); flaky 0.7 (works on about 70 % of its requests);
 * sybil: one answer per round its entity is asked, paraphrased for every further hotkey asked at
 * SYBIL_EXTRA_HOTKEY each (1 + 0.05 · (hotkeys asked − 1)).
 */
export const COST_PER_ANSWER: Readonly<Record<Exclude<Strategy, "sybil">, number>> = { honest: 1, slow: 1, junk: 0.01, copycat: 0.05, flaky: 0.7 }
export const SYBIL_FIRST_HOTKEY = 1
export const SYBIL_EXTRA_HOTKEY = 0.05

/** The default-recommendation rule's limits (see `recommend`; maxGain only flags). */
export const LIMITS = { maxGain: 1, maxCv: 0.3, maxOnboardingRounds: 40 } as const

export const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)

export { median }

/** Coefficient of variation (population standard deviation / mean); null when the mean is 0. */
export const cv = (xs: ReadonlyArray<number>): number | null => {
  const m = mean(xs)
  if (xs.length === 0 || m <= 0) return null
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2))) / m
}

const sumOf = (w: ReadonlyArray<number>, uids: ReadonlyArray<number>): number => uids.reduce((a, u) => a + (w[u] ?? 0), 0)

/** Share of the weight after round `after` (1-based) held by the honest-strategy miners. */
export const honestShare = (weights: ReadonlyArray<ReadonlyArray<number>>, miners: ReadonlyArray<SimMiner>, after: number): number => {
  const w = weights[Math.min(after, weights.length) - 1]
  if (w === undefined) return 0
  const total = w.reduce((a, b) => a + b, 0)
  return total <= 0 ? 0 : sumOf(w, miners.filter((m) => m.strategy === "honest").map((m) => m.uid)) / total
}

/** CV of the weights of the identical honest miners after round `after` (1-based). */
export const honestCv = (weights: ReadonlyArray<ReadonlyArray<number>>, miners: ReadonlyArray<SimMiner>, after: number): number | null => {
  const w = weights[Math.min(after, weights.length) - 1]
  return w === undefined ? null : cv(miners.filter((m) => m.role === "identical").map((m) => w[m.uid] ?? 0))
}

/**
 * Rounds from its registration until the newcomer's weight first reaches half the median weight of the
 * identical honest miners (its first round counts 1); null: never within the run (or no newcomer).
 */
export const roundsToHalfMedian = (weights: ReadonlyArray<ReadonlyArray<number>>, miners: ReadonlyArray<SimMiner>): number | null => {
  const newcomer = miners.find((m) => m.role === "newcomer")
  if (newcomer === undefined) return null
  const ids = miners.filter((m) => m.role === "identical").map((m) => m.uid)
  for (let r = newcomer.joinRound; r < weights.length; r++) {
    const w = weights[r]!
    const med = median(ids.map((u) => w[u] ?? 0))
    if (med > 0 && (w[newcomer.uid] ?? 0) >= 0.5 * med) return r - newcomer.joinRound + 1
  }
  return null
}

/** What a strategy spent in rounds 1..after: its answers at COST_PER_ANSWER (the sybil: per round its entity is asked). */
export const strategyCost = (asked: ReadonlyArray<ReadonlyArray<number>>, miners: ReadonlyArray<SimMiner>, s: Strategy, after: number): number => {
  let cost = 0
  for (const round of asked.slice(0, after)) {
    const n = round.filter((u) => miners[u]?.strategy === s && (s !== "honest" || miners[u]!.role === "identical")).length
    if (s === "sybil") cost += n === 0 ? 0 : SYBIL_FIRST_HOTKEY + SYBIL_EXTRA_HOTKEY * (n - 1)
    else cost += n * COST_PER_ANSWER[s]
  }
  return cost
}

export interface Gain {
  readonly strategy: Strategy
  /** (emission / cost of the strategy) / (emission / cost of the identical honest miners); Infinity: emission without cost. */
  readonly gain: number
}

/**
 * Each non-honest strategy's emission per unit of cost over rounds 1..after, relative to the identical honest
 * miners': emission = the weight all its hotkeys hold, summed over the rounds (what weights pay out over
 * time; less noisy than one round's snapshot), cost = what they spent answering (COST_PER_ANSWER). Best first.
 */
export const gains = (run: Pick<PairRun, "weights" | "asked">, miners: ReadonlyArray<SimMiner>, after: number): Array<Gain> => {
  const rounds = run.weights.slice(0, after)
  const perCost = (s: Strategy): number => {
    const uids = miners.filter((m) => m.strategy === s && (s !== "honest" || m.role === "identical")).map((m) => m.uid)
    const emission = rounds.reduce((acc, w) => acc + sumOf(w, uids), 0)
    const cost = strategyCost(run.asked, miners, s, after)
    return cost > 0 ? emission / cost : emission > 0 ? Infinity : 0
  }
  const honest = perCost("honest")
  const present = new Set(miners.map((m) => m.strategy))
  return (["slow", "junk", "copycat", "flaky", "sybil"] as const)
    .filter((s) => present.has(s))
    .map((s) => {
      const v = perCost(s)
      return { strategy: s, gain: v === 0 ? 0 : honest > 0 ? v / honest : Infinity }
    })
    .sort((a, b) => b.gain - a.gain)
}

export interface PairMetrics {
  readonly pair: string
  readonly honestShare20: number
  readonly honestShare100: number
  readonly cv20: number | null
  readonly cv100: number | null
  /** Rounds until the newcomer reaches half the median honest weight; null: never. */
  readonly onboarding: number | null
  readonly best: Gain
  readonly gains: ReadonlyArray<Gain>
  /** Share of the weight after the last measured round, per strategy (the honest share includes small + newcomer). */
  readonly shares: Readonly<Record<string, number>>
}

export const pairMetrics = (name: string, run: Pick<PairRun, "weights" | "asked">, miners: ReadonlyArray<SimMiner>, early = 20, late = 100): PairMetrics => {
  const g = gains(run, miners, late)
  const w = run.weights[Math.min(late, run.weights.length) - 1] ?? []
  const total = w.reduce((a, b) => a + b, 0)
  const shares: Record<string, number> = {}
  for (const m of miners) shares[m.strategy] = (shares[m.strategy] ?? 0) + (total > 0 ? (w[m.uid] ?? 0) / total : 0)
  return {
    pair: name,
    honestShare20: honestShare(run.weights, miners, early),
    honestShare100: honestShare(run.weights, miners, late),
    cv20: honestCv(run.weights, miners, early),
    cv100: honestCv(run.weights, miners, late),
    onboarding: roundsToHalfMedian(run.weights, miners),
    best: g[0] ?? { strategy: "honest", gain: 0 },
    gains: g,
    shares
  }
}

/** Seed-averaged metrics of one pair: shares, CVs and gains averaged; onboarding the median over seeds (never counts as ∞). */
export interface CombinedMetrics extends PairMetrics {
  readonly seeds: number
  /** The honest share after 100 rounds, lowest and highest over the seeds. */
  readonly honestShare100Range: readonly [number, number]
  readonly perSeed: ReadonlyArray<PairMetrics>
}

const meanOrNull = (xs: ReadonlyArray<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : mean(v)
}

export const combineSeeds = (name: string, perSeed: ReadonlyArray<PairMetrics>): CombinedMetrics => {
  const strategies = [...new Set(perSeed.flatMap((m) => m.gains.map((g) => g.strategy)))]
  const g = strategies
    .map((strategy) => ({ strategy, gain: mean(perSeed.map((m) => m.gains.find((x) => x.strategy === strategy)?.gain ?? 0)) }))
    .sort((a, b) => b.gain - a.gain)
  const onboard = median(perSeed.map((m) => m.onboarding ?? Infinity))
  const share = perSeed.map((m) => m.honestShare100)
  const shares: Record<string, number> = {}
  for (const m of perSeed) for (const [k, v] of Object.entries(m.shares)) shares[k] = (shares[k] ?? 0) + v / perSeed.length
  return {
    pair: name,
    honestShare20: mean(perSeed.map((m) => m.honestShare20)),
    honestShare100: mean(share),
    cv20: meanOrNull(perSeed.map((m) => m.cv20)),
    cv100: meanOrNull(perSeed.map((m) => m.cv100)),
    onboarding: Number.isFinite(onboard) ? onboard : null,
    best: g[0] ?? { strategy: "honest", gain: 0 },
    gains: g,
    shares,
    seeds: perSeed.length,
    honestShare100Range: [Math.min(...share), Math.max(...share)],
    perSeed
  }
}

export interface Recommendation {
  readonly pair: string
  /** The pair meets both limits (false: no pair does; the fewest missed). */
  readonly passed: boolean
  readonly rule: string
  /** Pairs that meet both limits. */
  readonly passing: ReadonlyArray<string>
  /** The recommended pair's best non-honest strategy when it earns more per unit of cost than honest (else null). */
  readonly gainWarning: Gain | null
}

/** The limits a pair misses: "cv" (identical honest miners paid unequally), "onboarding" (a new honest miner is slow to earn). */
export const missedLimits = (m: PairMetrics): Array<string> => [
  ...(m.cv100 !== null && m.cv100 <= LIMITS.maxCv ? [] : ["cv"]),
  ...(m.onboarding !== null && m.onboarding <= LIMITS.maxOnboardingRounds ? [] : ["onboarding"])
]
const violations = (m: PairMetrics): number => missedLimits(m).length

/**
 * The rule: among the pairs where the identical honest miners' CV after 100 rounds is ≤ 0.3 and a new honest
 * miner reaches half the median honest weight within 40 rounds, the highest honest share after 100 rounds
 * (ties: lower CV). When no pair meets both limits: the fewest limits missed, then the highest honest share.
 * The best strategy's gain per unit of cost is reported beside it (a warning when > 1), not ranked on: with
 * junk costing 0.01 an answer, a handful of paid junk answers (a scorer matter, not a policy one) dominates it.
 */
export const recommend = (all: ReadonlyArray<PairMetrics>): Recommendation => {
  const rule = `max honest share @100 subject to CV@100 ≤ ${LIMITS.maxCv} and onboarding ≤ ${LIMITS.maxOnboardingRounds} rounds`
  const passing = all.filter((m) => violations(m) === 0)
  const ranked = [...all].sort(
    (a, b) => violations(a) - violations(b) || b.honestShare100 - a.honestShare100 || (a.cv100 ?? Infinity) - (b.cv100 ?? Infinity)
  )
  const best = ranked[0]
  return {
    pair: best?.pair ?? "none",
    passed: best !== undefined && violations(best) === 0,
    rule,
    passing: passing.map((m) => m.pair),
    gainWarning: best !== undefined && best.best.gain > LIMITS.maxGain ? best.best : null
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`
const num = (x: number | null, d = 3) => (x === null ? "n/a" : x.toFixed(d))
const gainText = (g: Gain) => `${g.strategy} ${Number.isFinite(g.gain) ? g.gain.toFixed(2) : "∞"}`

/** The printed table (also pasted into the README). */
export const metricsTable = (all: ReadonlyArray<PairMetrics | CombinedMetrics>): string => {
  const head = ["pair", "honest@20", "honest@100", "CV@20", "CV@100", "new→½med", "best gain/cost", "limits missed"]
  const rows = all.map((m) => [
    m.pair,
    pct(m.honestShare20),
    "honestShare100Range" in m && m.seeds > 1
      ? `${pct(m.honestShare100)} (${(m.honestShare100Range[0] * 100).toFixed(0)}–${(m.honestShare100Range[1] * 100).toFixed(0)})`
      : pct(m.honestShare100),
    num(m.cv20),
    num(m.cv100),
    m.onboarding === null ? "never" : String(m.onboarding),
    gainText(m.best),
    missedLimits(m).join(",") || "none"
  ])
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join(" | ")} |`
  return [line(head), `|${widths.map((w, k) => (k === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...rows.map(line)].join("\n")
}

export interface StakeView {
  /** Shares of the weight after the round: the low-stake honest miner, the median identical honest miner, the staked junk miner. */
  readonly smallHonest: number
  readonly medianHonest: number
  readonly whale: number
  /** Every junk miner's share together. */
  readonly junk: number
}

/** What the stake blend does, read off a run: the shares of the low-stake honest miner and of the staked junk miner. */
export const stakeView = (weights: ReadonlyArray<ReadonlyArray<number>>, miners: ReadonlyArray<SimMiner>, after: number): StakeView => {
  const w = weights[Math.min(after, weights.length) - 1] ?? []
  const total = w.reduce((a, b) => a + b, 0)
  const share = (uids: ReadonlyArray<number>) => (total > 0 ? sumOf(w, uids) / total : 0)
  const of = (pred: (m: SimMiner) => boolean) => miners.filter(pred).map((m) => m.uid)
  return {
    smallHonest: share(of((m) => m.role === "small")),
    medianHonest: median(of((m) => m.role === "identical").map((u) => share([u]))),
    whale: share(of((m) => m.role === "whale")),
    junk: share(of((m) => m.strategy === "junk"))
  }
}
