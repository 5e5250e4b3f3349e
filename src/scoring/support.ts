// Content support, pyramid style: a content unit that many independent answers contain is part of a good
// answer; an answer is credited for the units it shares with the others, weighted by how many others hold
// them. Coverage rewards answering completely and correctly rather than typically, a partial answer covers
// less than a complete one, and text that no one else wrote (random words, another prompt's answer, a
// constant text) earns no support. Entities (miners sharing an IP or coldkey) count once, and never
// support their own units. Units the prompt already holds weigh less (restating the question is not
// content). Units past a length budget count less and less, so verbosity does not pay, while adding text
// never lowers coverage (a prefix never covers more than its whole). The filters read a first pass over all
// text answers; the coverage axis is a second pass over the eligible answers only (filtered text neither adds
// units nor raises the share a unit needs), which, with a reliability power, weighs each entity's voice by how
// much of the first pass's pyramid it covered (truth discovery: entities that agree with the rest on content
// are more credible voices than ones that do not). Pure: no I/O.
import { median as medianOf } from "./stats.ts"

export interface SupportConfig {
  /** A unit belongs to an answer's pyramid when at least this share of the other entities hold it. */
  readonly pyramidShare: number
  /** … and at least this many other entities (or all of them, when fewer). */
  readonly pyramidMinEntities: number
  /** Weight of units that the prompt already contains. */
  readonly promptUnitWeight: number
  /** Units beyond this multiple of the median answer's unit count are discounted … */
  readonly lengthBudget: number
  /** … by (budget / position)^lengthDecay. */
  readonly lengthDecay: number
  /** The reference answer (when the round has one) counts as this many entities. */
  readonly referenceWeight: number
  /** Weight an entity's voice by (its coverage / the mean entity's)^power in a second pass; absent or 0: one pass. */
  readonly reliabilityPower?: number
}

export interface SupportInput {
  /** Content units (unit → first position) per answer, aligned with `entity`; answers not taking part are skipped. */
  readonly units: ReadonlyArray<ReadonlyMap<string, number>>
  /** Entity id per answer, −1 for answers that take no part (filtered). */
  readonly entity: Int32Array
  readonly promptUnits: ReadonlySet<string>
  readonly referenceUnits: ReadonlyMap<string, number> | null
}

export interface SupportResult {
  /** Share of the pyramid's weight an answer covers, in [0,1]; 0 for answers taking no part. */
  readonly coverage: Float64Array
  /** Share of an answer's own words (single-word units not the prompt's) that another entity (or the reference)
   *  holds; 1 when it has none. Words, not word pairs: a terse answer's words are others' though no one else put
   *  them side by side ("Romance, Magical Realism"). */
  readonly supported: Float64Array
  /** How many such words an answer has. */
  readonly novelUnits: Int32Array
  /** Share of its word pairs (pair units) that another entity holds, and how many pairs it has. */
  readonly pairSupport: Float64Array
  readonly pairs: Int32Array
  /** Whether the answer had a pyramid at all (other entities agreeing on something). */
  readonly informative: ReadonlyArray<boolean>
}

/**
 * Coverage and support share of every answer with `entity[i] ≥ 0`, against the other entities' answers
 * (each entity counts once: it holds a unit when any of its answers does) and the reference.
 */
export const contentSupport = (input: SupportInput, config: SupportConfig): SupportResult => supportPass(input, config, null)

/**
 * The coverage axis: coverage of every answer with `entity[i] ≥ 0` (the caller passes the eligible ones) against
 * the other such entities and the reference. With a reliability power and enough entities, each voice is weighted
 * by `first`, a first pass's coverage (contentSupport over all text answers, aligned with `input.units`).
 */
export const axisCoverage = (input: SupportInput, first: Float64Array, config: SupportConfig): Float64Array => {
  const power = config.reliabilityPower ?? 0
  const entities = new Set(input.entity.filter((e) => e >= 0)).size
  const voice = power <= 0 || entities < MIN_RELIABILITY_ENTITIES ? null : reliability(input.entity, first, power)
  return supportPass(input, config, voice).coverage
}

/** Fewer entities than this: one pass. Credibility measured against a handful of others is noise, and in a tiny
 *  round one voice reweighted can decide what is common. */
const MIN_RELIABILITY_ENTITIES = 8

/** In the weighted pass a unit is common only when at least this many other entities hold it (or all, when fewer). */
const MIN_WEIGHTED_HOLDERS = 2

/** Smallest voice an entity keeps: one that covered nothing still counts a little, so no round loses all voices. */
const MIN_VOICE = 0.05

/** Per entity: (its members' mean coverage / the mean over entities)^power, at least MIN_VOICE. */
const reliability = (entity: Int32Array, coverage: Float64Array, power: number): Map<number, number> => {
  const sums = new Map<number, { sum: number; count: number }>()
  for (let i = 0; i < entity.length; i++) {
    const e = entity[i]!
    if (e < 0) continue
    const s = sums.get(e) ?? { sum: 0, count: 0 }
    s.sum += coverage[i]!
    s.count++
    sums.set(e, s)
  }
  const means = new Map([...sums].map(([e, s]) => [e, s.sum / s.count]))
  const overall = [...means.values()].reduce((a, b) => a + b, 0) / Math.max(1, means.size)
  return new Map([...means].map(([e, m]) => [e, overall > 0 ? Math.max(MIN_VOICE, Math.pow(m / overall, power)) : 1]))
}

/** One pass. Without `voice` a unit joins the pyramid by the count of other entities holding it. With `voice`
 *  (what each entity's holding adds to a unit's weight) it joins by its voiced share, and still needs
 *  MIN_WEIGHTED_HOLDERS holders, so no single voice, however credible, makes a unit common. */
const supportPass = (input: SupportInput, config: SupportConfig, voice: ReadonlyMap<number, number> | null): SupportResult => {
  const voiceOf = (e: number): number => voice?.get(e) ?? 1
  const n = input.units.length
  const members = new Map<number, Array<number>>()
  for (let i = 0; i < n; i++) {
    const e = input.entity[i]!
    if (e < 0) continue
    const m = members.get(e)
    if (m === undefined) members.set(e, [i])
    else m.push(i)
  }
  // support of each unit per entity (share of its members holding it) and in total
  const total = new Map<string, number>()
  const weighted = new Map<string, number>()
  const byEntity = new Map<number, Map<string, number>>()
  for (const [e, ms] of members) {
    const own = new Map<string, number>()
    // an entity holds a unit when any of its members does, and counts once
    for (const i of ms) for (const u of input.units[i]!.keys()) own.set(u, 1)
    for (const [u, c] of own) {
      total.set(u, (total.get(u) ?? 0) + c)
      weighted.set(u, (weighted.get(u) ?? 0) + voiceOf(e))
    }
    byEntity.set(e, own)
  }
  const refW = input.referenceUnits === null ? 0 : config.referenceWeight
  if (input.referenceUnits !== null) {
    for (const u of input.referenceUnits.keys()) {
      total.set(u, (total.get(u) ?? 0) + refW)
      weighted.set(u, (weighted.get(u) ?? 0) + refW)
    }
  }

  const counts = [...members.values()].flatMap((ms) => ms.map((i) => input.units[i]!.size)).sort((a, b) => a - b)
  const median = medianOf(counts) ?? 0
  const budget = Math.max(1, config.lengthBudget * median)

  const coverage = new Float64Array(n)
  const supported = new Float64Array(n)
  const novelUnits = new Int32Array(n)
  const informative: Array<boolean> = new Array(n).fill(false)
  const pairSupport = new Float64Array(n)
  const pairs = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const e = input.entity[i]!
    if (e < 0) continue
    const own = byEntity.get(e)!
    const others = members.size - 1 + refW
    if (others <= 0) continue
    const need = Math.max(Math.min(config.pyramidMinEntities, others), config.pyramidShare * others) - 1e-9
    let vsum = refW
    for (const e2 of members.keys()) if (e2 !== e) vsum += voiceOf(e2)
    const needVoiced = Math.max(Math.min(config.pyramidMinEntities, vsum), config.pyramidShare * vsum) - 1e-9
    let pyramid = 0
    let covered = 0
    const units = input.units[i]!
    for (const [u, s] of total) {
      const support = s - (own.get(u) ?? 0)
      const voiced = weighted.get(u)! - (own.has(u) ? voiceOf(e) : 0)
      if (voice === null ? support < need : voiced < needVoiced || support < Math.min(MIN_WEIGHTED_HOLDERS, others) - 1e-9) continue
      const w = voiced * (input.promptUnits.has(u) ? config.promptUnitWeight : 1)
      pyramid += w
      const pos = units.get(u)
      if (pos !== undefined) covered += pos < budget ? w : w * Math.pow(budget / (pos + 1), config.lengthDecay)
    }
    let novel = 0
    let held = 0
    let heldPairs = 0
    let pairCount = 0
    for (const u of units.keys()) {
      const isHeld = (total.get(u) ?? 0) - (own.get(u) ?? 0) > 1e-9
      if (u.includes(" ")) {
        pairCount++
        if (isHeld) heldPairs++
        continue
      }
      if (input.promptUnits.has(u)) continue
      novel++
      if (isHeld) held++
    }
    supported[i] = novel === 0 ? 1 : held / novel
    novelUnits[i] = novel
    pairs[i] = pairCount
    pairSupport[i] = pairCount === 0 ? 1 : heldPairs / pairCount
    if (pyramid > 0) {
      informative[i] = true
      coverage[i] = Math.min(1, covered / pyramid)
    }
  }
  return { coverage, supported, novelUnits, pairSupport, pairs, informative }
}
