// Quality axes: each is a pure function of the round context → one value in [0,1] per response, or null when
// the axis does not apply to the round (its weight is then renormalized away). Pure: no Effect, no I/O.
// The context is built by round.ts (responses already in canonical uid order).
import type { ScoringConfig, TaskProfile } from "./config.ts"
import type { RoundInput, ToolCall, ToolSpec } from "./types.ts"

/** What a response is judged as: a text answer, a tool-call answer, or nothing usable. */
export type AnswerKind = "text" | "tool" | "none"

/** The dominant cluster and the entity structure among the valid answers. */
export interface ConsensusInfo {
  /** Indices of the dominant cluster's members. */
  readonly members: ReadonlyArray<number>
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
  /** Valid answers: passed every filter before consensus (error, empty, tools, relevance, quality, copy). */
  readonly valid: ReadonlyArray<boolean>
  /** The dominant cluster, or null when there is no consensus (fewer than 2 valid answers, or no cluster
   * reaches minConsensusEntities distinct entities). */
  readonly consensus: ConsensusInfo | null
  /** Median latency of the answers still eligible after consensus, or null when none has a latency. */
  readonly medianLatencyMs: number | null
  /** Highest cosine to another hotkey's earlier answer to this prompt (−1 when none), or null without memory. */
  readonly memoryCos: Float64Array | null
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
// Text quality heuristic (the reference's coherence/density/specificity, reduced to checks that catch junk):
// symbol soup, word-salad loops, repeated trigrams, base64-like blobs. Normal prose and code score 1.

const WORD = /[\p{L}\p{N}]+/gu

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0x3000

/** Non-whitespace characters of `text`. */
export const visibleChars = (text: string): number => {
  let k = 0
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) k++
  return k
}

export const textQuality = (text: string): number => {
  const words = text.match(WORD) ?? []
  if (words.length === 0) return 0
  let alnum = 0 // words are maximal letter/digit runs, so their lengths add up to the letter/digit count
  for (const w of words) alnum += w.length
  const meanLen = alnum / words.length
  const symbols = ramp(alnum / Math.max(1, visibleChars(text)), 0.3, 0.6)
  let diversity = 1
  let repetition = 1
  if (words.length >= 20) {
    const lower = words.map((w) => w.toLowerCase())
    diversity = ramp(new Set(lower).size / lower.length, 0, 0.25)
    const tri = new Set<string>()
    for (let k = 0; k + 2 < lower.length; k++) tri.add(`${lower[k]}\u0000${lower[k + 1]}\u0000${lower[k + 2]}`)
    const repeated = 1 - tri.size / (lower.length - 2)
    repetition = 1 - ramp(repeated, 0.3, 0.7)
  }
  const wordLength = 1 - ramp(meanLen, 15, 25)
  return symbols * diversity * repetition * wordLength
}

// ---------------------------------------------------------------------------------------------------------
// Tool calls: a known tool name, arguments that parse as a JSON object and satisfy the tool's JSON Schema
// (required keys, basic types, enum, nested properties/items, additionalProperties: false).

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const jsonType = (v: Json): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v

const typeMatches = (declared: string, actual: string): boolean =>
  declared === actual || (declared === "number" && actual === "integer")

/** First schema violation of `value` at `path`, or null. Unknown schema keywords are ignored. */
export const checkJsonSchema = (schema: unknown, value: Json, path = "$"): string | null => {
  if (!isRecord(schema)) return null
  const actual = jsonType(value)
  const t = schema["type"]
  if (typeof t === "string" && !typeMatches(t, actual)) return `${path}: expected ${t}, got ${actual}`
  if (Array.isArray(t) && !t.some((x) => typeof x === "string" && typeMatches(x, actual))) {
    return `${path}: expected ${t.join("|")}, got ${actual}`
  }
  const en = schema["enum"]
  if (Array.isArray(en) && !en.some((x) => JSON.stringify(x) === JSON.stringify(value))) {
    return `${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(en)}`
  }
  if (actual === "object" && isRecord(value)) {
    const req = schema["required"]
    if (Array.isArray(req)) {
      for (const k of req) if (typeof k === "string" && !Object.hasOwn(value, k)) return `${path}: missing required "${k}"`
    }
    const props = isRecord(schema["properties"]) ? schema["properties"] : {}
    for (const [k, v] of Object.entries(value as Readonly<Record<string, Json>>)) {
      if (Object.hasOwn(props, k)) {
        const e = checkJsonSchema(props[k], v, `${path}.${k}`)
        if (e !== null) return e
      } else if (schema["additionalProperties"] === false) return `${path}: unexpected key "${k}"`
    }
  }
  if (actual === "array" && Array.isArray(value) && isRecord(schema["items"])) {
    for (let k = 0; k < value.length; k++) {
      const e = checkJsonSchema(schema["items"], (value as ReadonlyArray<Json>)[k]!, `${path}[${k}]`)
      if (e !== null) return e
    }
  }
  return null
}

const parseArgs = (raw: string): Json | undefined => {
  try {
    return JSON.parse(raw === "" ? "{}" : raw) as Json
  } catch {
    return undefined
  }
}

/** Why the tool calls are invalid, or null when every call names an offered tool with valid arguments. */
export const validateToolCalls = (calls: ReadonlyArray<ToolCall>, tools: ReadonlyArray<ToolSpec>): string | null => {
  for (const c of calls) {
    const tool = tools.find((t) => t.name === c.name)
    if (tool === undefined) return tools.length === 0 ? `tool call "${c.name}" but the challenge offered no tools` : `unknown tool "${c.name}"`
    const args = parseArgs(c.arguments)
    if (args === undefined) return `${c.name}: arguments are not valid JSON`
    if (!isRecord(args)) return `${c.name}: arguments are not a JSON object`
    const e = checkJsonSchema(tool.parameters, args)
    if (e !== null) return `${c.name}: ${e}`
  }
  return null
}

/** Flattened `name.key=value` facts of a tool-call list (for agreement between tool answers). */
const toolFacts = (calls: ReadonlyArray<ToolCall>): { names: Set<string>; facts: Set<string> } => {
  const names = new Set<string>()
  const facts = new Set<string>()
  const walk = (prefix: string, v: Json) => {
    if (isRecord(v)) for (const [k, x] of Object.entries(v as Readonly<Record<string, Json>>)) walk(`${prefix}.${k}`, x)
    else facts.add(`${prefix}=${typeof v === "string" ? v.trim().toLowerCase() : JSON.stringify(v)}`)
  }
  for (const c of calls) {
    names.add(c.name)
    const args = parseArgs(c.arguments)
    if (args !== undefined) walk(c.name, args)
  }
  return { names, facts }
}

const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 1
  let inter = 0
  for (const x of a) if (b.has(x)) inter++
  return inter / (a.size + b.size - inter)
}

/** Agreement of two tool-call answers in [0,1]: half for the same tools, half for the same argument values. */
export const toolAgreement = (a: ReadonlyArray<ToolCall>, b: ReadonlyArray<ToolCall>): number => {
  const fa = toolFacts(a)
  const fb = toolFacts(b)
  return 0.5 * jaccard(fa.names, fb.names) + 0.5 * jaccard(fa.facts, fb.facts)
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

/** Agreement with the dominant cluster: entity-weighted mean agreement with its members of OTHER entities
 * (a miner's own sybils do not vouch for it), rescaled from the cluster cut (1 − consensusDistance) to 1. */
export const consensusAxis: Axis = (ctx) => {
  const c = ctx.consensus
  if (c === null) return null
  const lo = 1 - ctx.config.thresholds.consensusDistance
  const inCluster = new Set(c.members)
  return perResponse(ctx, (i) => {
    let num = 0
    let den = 0
    for (const j of c.members) {
      if (j === i || (c.entity[i]! >= 0 && c.entity[j] === c.entity[i])) continue
      num += c.weight[j]! * ctx.agreement[i * ctx.n + j]!
      den += c.weight[j]!
    }
    if (den === 0) return inCluster.has(i) ? 1 : 0
    return ramp(num / den, lo, 1)
  })
}

/** cos(prompt, answer) rescaled from relevanceFloor to relevanceFull; a valid call of an offered tool is on topic. */
export const relevanceAxis: Axis = (ctx) => {
  const { relevanceFloor, relevanceFull } = ctx.config.thresholds
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

/** 1 unless the answer is close to another hotkey's earlier answer to the same prompt (0 at copyCosine). */
export const noveltyAxis: Axis = (ctx) => {
  const m = ctx.memoryCos
  if (m === null) return null
  const { noveltySoftCosine, copyCosine } = ctx.config.thresholds
  return perResponse(ctx, (i) => 1 - ramp(m[i]!, noveltySoftCosine, copyCosine))
}

/** cos(reference, answer) rescaled; skipped (null) when the round has no reference answer. */
export const accuracyAxis: Axis = (ctx) => {
  const r = ctx.referenceCos
  if (r === null) return null
  const { accuracyFloor, accuracyFull } = ctx.config.thresholds
  return perResponse(ctx, (i) => ramp(r[i]!, accuracyFloor, accuracyFull))
}

export const qualityAxis: Axis = (ctx) => perResponse(ctx, (i) => (ctx.kinds[i] === "none" ? 0 : ctx.quality[i]!))
