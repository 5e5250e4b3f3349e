// What the evaluation reports, from the scored rounds: honest false zeros, what each adversary kind earns,
// how reward ranks the models against their LC win rate, the concise/verbose variants. Pure.
import type { AdversaryKind } from "./adversaries.ts"
import { variantOf } from "./dataset.ts"
import type { EvalRound } from "./rounds.ts"
import { zeroKind, type ZeroKind } from "./zeroKinds.ts"

/** Ranks 1..n, ties get the average of the ranks they span. */
export const averageRanks = (xs: ReadonlyArray<number>): Array<number> => {
  const idx = xs.map((_, k) => k).sort((a, b) => xs[a]! - xs[b]!)
  const ranks = new Array<number>(xs.length).fill(0)
  for (let i = 0; i < idx.length; ) {
    let j = i
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) ranks[idx[k]!] = rank
    i = j + 1
  }
  return ranks
}

export const pearson = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  const n = a.length
  if (n !== b.length || n < 2) return Number.NaN
  const ma = a.reduce((s, x) => s + x, 0) / n
  const mb = b.reduce((s, x) => s + x, 0) / n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let k = 0; k < n; k++) {
    sab += (a[k]! - ma) * (b[k]! - mb)
    saa += (a[k]! - ma) ** 2
    sbb += (b[k]! - mb) ** 2
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb)
}

/** Spearman's rank correlation (Pearson of average ranks; NaN when either side is constant). */
export const spearman = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => pearson(averageRanks(a), averageRanks(b))

/** One miner's outcome in one round. */
export interface Outcome {
  readonly uid: number
  readonly reward: number
  readonly filtered: string | null
}

export interface ZeroExample {
  readonly round: string
  readonly model: string
  readonly text: string
}

const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length)
const round4 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x)
const EXAMPLE_CHARS = 400
/** How many paid rounds per adversary kind the report names. */
const EXAMPLES_PAID = 5

export interface Report {
  readonly rounds: number
  readonly honest: {
    readonly answers: number
    readonly zeros: number
    readonly falseZeroRate: number
    readonly perModel: Record<string, { rounds: number; zeros: number; rate: number; meanReward: number; lc: number | null }>
    readonly perReason: Record<string, { count: number; share: number; examples: Array<ZeroExample> }>
    /** The zeros by what they are, judged apart from the scorer (zeroKinds.ts), and the unexplained ones' rate. */
    readonly perKind: Record<ZeroKind, number>
    readonly unexplainedRate: number
  }
  /** Per kind; `paidIn` names the first rounds where it earned (what to look at with `bun run score`). */
  readonly adversaries: Record<string, { rounds: number; paidShare: number; meanRelative: number; maxRelative: number; meanReward: number; paidIn: Array<string> }>
  /** All adversaries' reward / all reward. */
  readonly adversaryRewardShare: number
  readonly spearman: { readonly rho: number; readonly models: number }
  readonly variants: Array<{ model: string; family: string; style: string; against: "standard" | "honest_mean"; ratio: number; rounds: number; meanReward: number }>
}

/** Accumulates scored rounds; `report()` summarizes them. */
export class EvalMetrics {
  private rounds = 0
  private readonly honestRewards = new Map<string, Array<number>>()
  private readonly zeros = new Map<string, number>()
  private readonly reasons = new Map<string, { count: number; examples: Array<ZeroExample> }>()
  private readonly kinds: Record<ZeroKind, number> = { empty: 0, repetitive: 0, refusal: 0, unexplained: 0 }
  private readonly adversary = new Map<AdversaryKind, Array<{ round: string; reward: number; relative: number | null }>>()
  /** Per round: variant and honest rewards by model, and the round's honest mean. */
  private readonly perRound: Array<{ rewards: Map<string, number>; honestMean: number }> = []
  private totalReward = 0
  private adversaryReward = 0

  constructor(private readonly lc: ReadonlyMap<string, number>) {}

  add(round: EvalRound, outcomes: ReadonlyArray<Outcome>): void {
    const byUid = new Map(outcomes.map((o) => [o.uid, o]))
    const outcome = (uid: number): Outcome => byUid.get(uid) ?? { uid, reward: 0, filtered: "missing" }
    const honest = round.miners.filter((m) => m.kind === "honest")
    const honestMean = mean(honest.map((m) => outcome(m.uid).reward))
    const rewards = new Map<string, number>()
    this.rounds++
    round.miners.forEach((m, k) => {
      const o = outcome(m.uid)
      this.totalReward += o.reward
      if (m.kind === "adversary") {
        this.adversaryReward += o.reward
        const list = this.adversary.get(m.adversary!) ?? []
        list.push({ round: round.input.id, reward: o.reward, relative: honestMean > 0 ? o.reward / honestMean : null })
        this.adversary.set(m.adversary!, list)
        return
      }
      rewards.set(m.name, o.reward)
      if (m.kind !== "honest") return
      const list = this.honestRewards.get(m.name) ?? []
      list.push(o.reward)
      this.honestRewards.set(m.name, list)
      if (o.reward > 0) return
      this.zeros.set(m.name, (this.zeros.get(m.name) ?? 0) + 1)
      this.kinds[zeroKind(round.input.responses[k]!.text)]++
      const reason = o.filtered ?? "zero_unfiltered"
      const r = this.reasons.get(reason) ?? { count: 0, examples: [] }
      r.count++
      if (r.examples.length < 3) r.examples.push({ round: round.input.id, model: m.name, text: round.input.responses[k]!.text.slice(0, EXAMPLE_CHARS) })
      this.reasons.set(reason, r)
    })
    this.perRound.push({ rewards, honestMean })
  }

  report(): Report {
    const answers = [...this.honestRewards.values()].reduce((s, l) => s + l.length, 0)
    const zeros = [...this.zeros.values()].reduce((s, z) => s + z, 0)
    const perModel: Report["honest"]["perModel"] = {}
    for (const [model, list] of [...this.honestRewards].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const z = this.zeros.get(model) ?? 0
      perModel[model] = { rounds: list.length, zeros: z, rate: round4(z / list.length), meanReward: round4(mean(list)), lc: this.lc.get(model) ?? null }
    }
    const perReason: Report["honest"]["perReason"] = {}
    for (const [reason, r] of [...this.reasons].sort((a, b) => b[1].count - a[1].count)) {
      perReason[reason] = { count: r.count, share: round4(answers === 0 ? 0 : r.count / answers), examples: r.examples }
    }
    const adversaries: Report["adversaries"] = {}
    for (const [kind, list] of this.adversary) {
      const rel = list.flatMap((x) => (x.relative === null ? [] : [x.relative]))
      adversaries[kind] = {
        rounds: list.length,
        paidShare: round4(list.filter((x) => x.reward > 0).length / list.length),
        meanRelative: round4(mean(rel)),
        maxRelative: round4(rel.length === 0 ? 0 : Math.max(...rel)),
        meanReward: round4(mean(list.map((x) => x.reward))),
        paidIn: list.filter((x) => x.reward > 0).slice(0, EXAMPLES_PAID).map((x) => x.round)
      }
    }
    const ranked = Object.entries(perModel).filter(([, v]) => v.lc !== null)
    const rho = spearman(
      ranked.map(([, v]) => v.meanReward),
      ranked.map(([, v]) => v.lc!)
    )
    return {
      rounds: this.rounds,
      honest: {
        answers,
        zeros,
        falseZeroRate: round4(answers === 0 ? 0 : zeros / answers),
        perModel,
        perReason,
        perKind: { ...this.kinds },
        unexplainedRate: round4(answers === 0 ? 0 : this.kinds.unexplained / answers)
      },
      adversaries,
      adversaryRewardShare: round4(this.totalReward === 0 ? 0 : this.adversaryReward / this.totalReward),
      spearman: { rho: round4(rho), models: ranked.length },
      variants: this.variantRatios()
    }
  }

  /** Each variant's mean reward over the standard model's on the rounds with both, else over the honest mean. */
  private variantRatios(): Report["variants"] {
    const names = new Set(this.perRound.flatMap((r) => [...r.rewards.keys()]).filter((m) => variantOf(m) !== null))
    return [...names].sort().map((model) => {
      const v = variantOf(model)!
      const hasStandard = this.honestRewards.has(v.family)
      const rounds = this.perRound.filter((r) => r.rewards.has(model) && (!hasStandard || r.rewards.has(v.family)))
      const mine = mean(rounds.map((r) => r.rewards.get(model)!))
      const base = hasStandard ? mean(rounds.map((r) => r.rewards.get(v.family)!)) : mean(rounds.map((r) => r.honestMean))
      return {
        model,
        family: v.family,
        style: v.style,
        against: hasStandard ? ("standard" as const) : ("honest_mean" as const),
        ratio: round4(base === 0 ? Number.NaN : mine / base),
        rounds: rounds.length,
        meanReward: round4(mine)
      }
    })
  }
}
