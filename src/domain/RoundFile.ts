// A recorded round as a JSON file (what `bun run score` reads and what tests keep as fixtures) → RoundInput.
// Field names follow the wire (snake_case); tools and tool calls may be in OpenAI form
// ({type:"function", function:{name, parameters|arguments}}) or flattened ({name, parameters|arguments}).
import { readFileSync } from "node:fs"
import { basename } from "node:path"
import { Effect, Schema, SchemaIssue } from "effect"
import type { MinerResponse, RoundInput, ToolCall, ToolSpec } from "../scoring/types.ts"

export class RoundFileError extends Schema.TaggedError<RoundFileError>()("RoundFileError", {
  path: Schema.String,
  /** Dotted key of the offending value ("responses.2.latency"), "(file)" or "(json)". */
  key: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export const formatRoundFileError = (e: RoundFileError): string => `${e.path}: ${e.key}: ${e.message}`

const NonNegative = Schema.Number.pipe(Schema.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0)))
const Opt = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))
/** Arguments as the raw JSON string, or an already-parsed object (re-serialized). */
const Arguments = Schema.Union([Schema.String, Schema.Record(Schema.String, Schema.Unknown)])

const FlatToolCall = Schema.Struct({ id: Opt(Schema.String), name: Schema.String, arguments: Schema.optionalKey(Arguments) })
const OpenAiToolCall = Schema.Struct({
  id: Opt(Schema.String),
  type: Schema.optionalKey(Schema.String),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.optionalKey(Arguments) })
})
const FlatTool = Schema.Struct({ name: Schema.String, description: Opt(Schema.String), parameters: Schema.optionalKey(Schema.Unknown) })
const OpenAiTool = Schema.Struct({
  type: Schema.optionalKey(Schema.String),
  function: Schema.Struct({ name: Schema.String, description: Opt(Schema.String), parameters: Schema.optionalKey(Schema.Unknown) })
})

export const RoundFileResponse = Schema.Struct({
  uid: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 65535 }))),
  hotkey: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  coldkey: Opt(Schema.String),
  ip: Opt(Schema.String),
  text: Opt(Schema.String),
  /** ms, request sent → last byte. */
  latency: Opt(NonNegative),
  latency_ms: Opt(NonNegative),
  finish_reason: Opt(Schema.String),
  tool_calls: Opt(Schema.Array(Schema.Union([OpenAiToolCall, FlatToolCall]))),
  error: Opt(Schema.String),
  availability: Opt(Schema.Number.pipe(Schema.check(Schema.isFinite(), Schema.isBetween({ minimum: 0, maximum: 1 }))))
})

export const RoundFileSchema = Schema.Struct({
  id: Opt(Schema.String),
  prompt: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  task_type: Opt(Schema.String),
  reference: Opt(Schema.String),
  tools: Opt(Schema.Array(Schema.Union([OpenAiTool, FlatTool]))),
  responses: Schema.Array(RoundFileResponse)
})
export type RoundFile = typeof RoundFileSchema.Type

const pathKey = (path: ReadonlyArray<unknown> | undefined): string =>
  path === undefined || path.length === 0 ? "(root)" : path.map((p) => String(p)).join(".")

const args = (a: string | Readonly<Record<string, unknown>> | undefined): string =>
  a === undefined ? "{}" : typeof a === "string" ? a : JSON.stringify(a)

type FileToolCall = typeof OpenAiToolCall.Type | typeof FlatToolCall.Type

const toToolCall = (c: FileToolCall): ToolCall => {
  const id = c.id ?? undefined
  if ("function" in c) return { ...(id === undefined ? {} : { id }), name: c.function.name, arguments: args(c.function.arguments) }
  return { ...(id === undefined ? {} : { id }), name: c.name, arguments: args(c.arguments) }
}

const toTool = (t: NonNullable<RoundFile["tools"]>[number]): ToolSpec => {
  const f = "function" in t ? t.function : t
  return f.parameters === undefined ? { name: f.name } : { name: f.name, parameters: f.parameters }
}

/** Schema-valid file → RoundInput, or the first semantic problem (duplicate uid, two different latencies). */
const toRoundInput = (f: RoundFile, path: string, defaultId: string): RoundInput | RoundFileError => {
  const seen = new Set<number>()
  const responses: Array<MinerResponse> = []
  for (const [k, r] of f.responses.entries()) {
    if (seen.has(r.uid)) return new RoundFileError({ path, key: `responses.${k}.uid`, message: `duplicate uid ${r.uid}` })
    seen.add(r.uid)
    const l1 = r.latency ?? null
    const l2 = r.latency_ms ?? null
    if (l1 !== null && l2 !== null && l1 !== l2) {
      return new RoundFileError({ path, key: `responses.${k}.latency_ms`, message: `latency ${l1} and latency_ms ${l2} disagree` })
    }
    const error = r.error ?? undefined
    const availability = r.availability ?? undefined
    responses.push({
      uid: r.uid,
      hotkey: r.hotkey,
      coldkey: r.coldkey ?? "",
      ip: r.ip ?? "",
      text: r.text ?? "",
      latencyMs: l1 ?? l2,
      finishReason: r.finish_reason ?? null,
      toolCalls: (r.tool_calls ?? []).map(toToolCall),
      ...(error === undefined ? {} : { error }),
      ...(availability === undefined ? {} : { availability })
    })
  }
  return {
    id: f.id ?? defaultId,
    prompt: f.prompt,
    taskType: f.task_type ?? "chat",
    reference: f.reference ?? null,
    tools: (f.tools ?? []).map(toTool),
    responses
  }
}

/** Decodes an already-parsed round value; `path` names the source in errors and gives the default id. */
export const decodeRoundFile = (u: unknown, path = "<inline>"): Effect.Effect<RoundInput, RoundFileError> =>
  Schema.decodeUnknownEffect(RoundFileSchema)(u, { onExcessProperty: "error", errors: "first" }).pipe(
    Effect.mapError((e) => {
      const issue = SchemaIssue.makeFormatterStandardSchemaV1()(e.issue).issues[0]
      return new RoundFileError({ path, key: pathKey(issue?.path), message: issue?.message ?? e.message })
    }),
    Effect.flatMap((f) => {
      const r = toRoundInput(f, path, basename(path).replace(/\.json$/i, ""))
      return r instanceof RoundFileError ? Effect.fail(r) : Effect.succeed(r)
    })
  )

/** Reads and decodes a round file. */
export const loadRoundFile = (path: string): Effect.Effect<RoundInput, RoundFileError> =>
  Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (cause) => new RoundFileError({ path, key: "(file)", message: `cannot read: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) => new RoundFileError({ path, key: "(json)", message: `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
      })
    ),
    Effect.flatMap((u) => decodeRoundFile(u, path)),
    Effect.withSpan("RoundFile.load", { attributes: { path } })
  )

/** RoundInput → the file form `loadRoundFile` reads back to an equal RoundInput (eval dumps, replays). */
export const toRoundFile = (r: RoundInput): RoundFile => ({
  id: r.id,
  prompt: r.prompt,
  task_type: r.taskType,
  reference: r.reference,
  tools: r.tools.map((t) => ({ name: t.name, ...(t.parameters === undefined ? {} : { parameters: t.parameters }) })),
  responses: r.responses.map((m) => ({
    uid: m.uid,
    hotkey: m.hotkey,
    coldkey: m.coldkey,
    ip: m.ip,
    text: m.text,
    latency_ms: m.latencyMs,
    finish_reason: m.finishReason,
    tool_calls: m.toolCalls.map((c) => ({ ...(c.id === undefined ? {} : { id: c.id }), name: c.name, arguments: c.arguments })),
    error: m.error ?? null,
    availability: m.availability ?? null
  }))
})
