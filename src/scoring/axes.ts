// Quality axes: each is a pure function of the round context → one value in [0,1] per response, or null when
// the axis does not apply to the round (its weight is then renormalized away). Pure: no Effect, no I/O.
// The context is built by round.ts (responses already in canonical uid order).
import type { Calibration, ScoringConfig, TaskProfile } from "./config.ts"
import type { RoundInput } from "./types.ts"

/** What a response is judged as: a text answer, a tool-call answer, or nothing usable. */
export type AnswerKind = "text" | "tool" | "none"

/** Entities among the answers still eligible for agreement (valid), for the consensus axis. */
export interface EntityInfo {
  /** Entity id per response (miners sharing an IP or coldkey share one); −1 for responses not valid. */
  readonly entity: Int32Array
  /** Entity weight per response: 1 / (members of its entity among the valid answers); 0 when not valid. */
  readonly weight: Float64Array
}

export interface AxisContext {
  /** The round, responses in canonical (uid) order. */
  readonly input: RoundInput
  readonly n: number
  readonly config: ScoringConfig
  readonly calibration: Calibration
  readonly profile: TaskProfile
  readonly kinds: ReadonlyArray<AnswerKind>
  /** cos(prompt, answer) per response (0 for empty answers). */
  readonly promptCos: Float64Array
  /** cos(reference, answer) per response, or null when the round has no reference. */
  readonly referenceCos: Float64Array | null
  /** n × n agreement: embedding cosine between text answers, tool-call agreement between tool answers, 0 across. */
  readonly agreement: Float32Array
  /** Tool calls valid against the challenge's tools (true when there are none). */
  readonly toolValid: ReadonlyArray<boolean>
  /** Text-quality heuristic per response. */
  readonly quality: Float64Array
  /** Answers still eligible (passed every filter). */
  readonly valid: ReadonlyArray<boolean>
  readonly entities: EntityInfo
  /** Content coverage (support.ts) per response; null when no answer had a pyramid to cover (nothing agreed on). */
  readonly coverage: Float64Array | null
  /** Median latency of the eligible answers, or null when none has a latency. */
  readonly medianLatencyMs: number | null
  /** Highest share of the answer's shingles in another hotkey's earlier answer to this prompt, or null without memory. */
  readonly memoryShare: Float64Array | null
}

export type Axis = (ctx: AxisContext) => Float64Array | null

export const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0)

/** Linear ramp: 0 at or below `lo`, 1 at or above `hi`. */
export const ramp = (x: number, lo: number, hi: number): number => (hi <= lo ? (x >= hi ? 1 : 0) : clamp01((x - lo) / (hi - lo)))

const perResponse = (ctx: AxisContext, f: (i: number) => number): Float64Array => {
  const out = new Float64Array(ctx.n)
  for (let i = 0; i < ctx.n; i++) out[i] = clamp01(f(i))
  return out
}

// ---------------------------------------------------------------------------------------------------------
// Speed: seed 003 tiers (multiples of the task's optimal time) blended with min(1, median/latency) over the
// valid answers. Both parts are non-increasing in the miner's own latency, so faster is never worse.

export const tierScore = (latencyMs: number, optimalMs: number, config: ScoringConfig): number => {
  const ratio = latencyMs / Math.max(1, optimalMs)
  for (const t of config.speed.tiers) if (ratio <= t.upTo) return t.score
  return config.speed.beyond
}

export const speedScore = (latencyMs: number | null, median: number | null, optimalMs: number, config: ScoringConfig): number => {
  if (latencyMs === null || !Number.isFinite(latencyMs)) return 0
  const t = Math.max(1, latencyMs)
  const rel = median === null ? 1 : Math.min(1, Math.max(1, median) / t)
  const w = config.speed.relativeWeight
  return clamp01((1 - w) * tierScore(t, optimalMs, config) + w * rel)
}

// ---------------------------------------------------------------------------------------------------------
// The axes.

/** Agreement with the other entities' eligible answers: entity-weighted mean agreement (a miner's own sybils
 * do not vouch for it), rescaled from the off-topic cosine to 0.9. Null with fewer than two entities. */
export const consensusAxis: Axis = (ctx) => {
  const { entity, weight } = ctx.entities
  if (new Set([...entity].filter((e) => e >= 0)).size < 2) return null
  const lo = ctx.calibration.offTopicCosine
  return perResponse(ctx, (i) => {
    if (!ctx.valid[i]) return 0
    let num = 0
    let den = 0
    for (let j = 0; j < ctx.n; j++) {
      if (j === i || entity[j]! < 0 || entity[j] === entity[i]) continue
      num += weight[j]! * ctx.agreement[i * ctx.n + j]!
      den += weight[j]!
    }
    return den === 0 ? 0 : ramp(num / den, lo, 0.9)
  })
}

/** Content coverage: the share of what the other answers agree on that this answer holds (support.ts). */
export const coverageAxis: Axis = (ctx) => (ctx.coverage === null ? null : perResponse(ctx, (i) => (ctx.kinds[i] === "tool" ? 1 : ctx.coverage![i]!)))

/** cos(prompt, answer) rescaled from relevanceFloor to relevanceFull; a valid call of an offered tool is on topic. */
export const relevanceAxis: Axis = (ctx) => {
  const { relevanceFloor, relevanceFull } = ctx.calibration
  return perResponse(ctx, (i) =>
    ctx.kinds[i] === "tool" && ctx.toolValid[i] === true ? 1 : ramp(ctx.promptCos[i]!, relevanceFloor, relevanceFull)
  )
}

/** A finished answer: finish_reason value (stop/tool_calls 1, length partial), 0 for no answer or bad tool calls. */
export const completionAxis: Axis = (ctx) => {
  const { finishReasons, unknown } = ctx.config.completion
  return perResponse(ctx, (i) => {
    const r = ctx.input.responses[i]!
    if (r.error !== undefined || ctx.kinds[i] === "none" || ctx.toolValid[i] !== true) return 0
    const f = r.finishReason
    if (f === null || !Object.hasOwn(finishReasons, f)) return unknown
    if (f === "tool_calls" && r.toolCalls.length === 0) return unknown
    return finishReasons[f]!
  })
}

export const speedAxis: Axis = (ctx) =>
  perResponse(ctx, (i) => {
    const r = ctx.input.responses[i]!
    if (r.error !== undefined || ctx.kinds[i] === "none") return 0
    return speedScore(r.latencyMs, ctx.medianLatencyMs, ctx.profile.optimalMs, ctx.config)
  })

export const availabilityAxis: Axis = (ctx) =>
  perResponse(ctx, (i) => {
    const a = ctx.input.responses[i]!.availability
    return a === undefined || !Number.isFinite(a) ? 1 : a
  })

/** 1 unless the answer repeats another hotkey's earlier answer to the same prompt (0 at the copy share). */
export const noveltyAxis: Axis = (ctx) => {
  const m = ctx.memoryShare
  if (m === null) return null
  const { copyShare } = ctx.config.lexical
  return perResponse(ctx, (i) => 1 - ramp(m[i]!, copyShare / 2, copyShare))
}

/** cos(reference, answer) rescaled; skipped (null) when the round has no reference answer. */
export const accuracyAxis: Axis = (ctx) => {
  const r = ctx.referenceCos
  if (r === null) return null
  const { accuracyFloor, accuracyFull } = ctx.calibration
  return perResponse(ctx, (i) => ramp(r[i]!, accuracyFloor, accuracyFull))
}

export const qualityAxis: Axis = (ctx) => perResponse(ctx, (i) => (ctx.kinds[i] === "none" ? 0 : ctx.quality[i]!))
