// Tool calls: a known tool name, arguments that parse as a JSON object and satisfy the tool's JSON Schema
// (required keys, basic types, enum, nested properties/items, additionalProperties: false), and agreement
// between two tool-call answers. Filters and agreement, not axes. Pure.
import type { ToolCall, ToolSpec } from "./types.ts"

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

