// The `InferenceSynapse` wire body (bittensor axon shape, Loosh-compatible field names), its body hash,
// the signed dendrite headers, and reply decoding. Facts: shared/docs/PROTOCOLS.md §2.
import { createHash } from "node:crypto"
import { pyStr, pyStrFloat } from "./pyStr.ts"
import { Effect, Exit, Schema } from "effect"
import { MinerError } from "./Transport.ts"
import { ChatMessage, type InferenceReply, type InferenceRequest, ToolCallWire, Usage } from "../domain/Inference.ts"
import { type MinerTarget } from "../domain/Miner.ts"

export const SYNAPSE_NAME = "InferenceSynapse"
/**
 * Fields hashed into computed_body_hash, in class order: every request field that changes the answer
 * (the SDK rule: sha3 of Python `str(model_dump()[field])` per field, src/miners/pyStr.ts).
 */
export const REQUIRED_HASH_FIELDS = ["prompt", "messages", "model", "max_tokens", "temperature", "top_p", "tools", "tool_choice"] as const
/** Fields typed `float | None` in the synapse: pydantic makes an integral JSON number a float (1 → "1.0"). */
const FLOAT_FIELDS: ReadonlySet<string> = new Set(["temperature", "top_p"])
/** Required synapse fields announced as `bt_header_input_obj_<field>` = base64(JSON of an empty value). */
export const REQUIRED_INPUT_FIELDS: Readonly<Record<string, string>> = { prompt: "IiI=" }
/** bittensor 10.0.0 as major·10⁶ + minor·10³ + patch (axons need ≥ 7002000 for the ns-nonce rules). */
export const DENDRITE_VERSION = 10_000_000
export const EMPTY_BODY_HASH = "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"

export const sha3Hex = (s: string): string => createHash("sha3-256").update(s, "utf8").digest("hex")

/** sha3_256_hex(concat(sha3_256_hex(str(field)) for field in required_hash_fields)). */
export const bodyHash = (fields: ReadonlyArray<string>): string => sha3Hex(fields.map(sha3Hex).join(""))

/** The hash fields as the body carries them (the wire JSON, or the request they are built from). */
export type HashFields = { readonly prompt: string } & { readonly [K in Exclude<(typeof REQUIRED_HASH_FIELDS)[number], "prompt">]?: unknown }

/** computed_body_hash of an InferenceSynapse: str() of every required hash field, as the SDK computes it. */
export const inferenceBodyHash = (body: HashFields): string =>
  bodyHash(
    REQUIRED_HASH_FIELDS.map((f) => {
      const v = (body as Readonly<Record<string, unknown>>)[f]
      return FLOAT_FIELDS.has(f) ? pyStrFloat(typeof v === "number" ? v : null) : pyStr(v)
    })
  )

/** The message the dendrite signs and the axon verifies. */
export const signatureMessage = (p: {
  readonly nonce: bigint | string
  readonly dendriteHotkey: string
  readonly axonHotkey: string
  readonly uuid: string
  readonly bodyHash: string
}): string => `${p.nonce}.${p.dendriteHotkey}.${p.axonHotkey}.${p.uuid}.${p.bodyHash}`

/** Python's `str(float)` for the timeout header: 12 → "12.0". */
export const pyFloat = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(x))

// ---------------------------------------------------------------------------------------------
// Wire schemas

/** An optional field that may also be null (pydantic's `X | None = None`). */
export const Nullish = <S extends Schema.Top>(s: S) => Schema.optional(Schema.NullOr(s))

/** The inference request fields after the prompt, as both wire forms (synapse, Fiber challenge) carry them. */
export const RequestWireFields = {
  messages: Nullish(Schema.Array(ChatMessage)),
  model: Nullish(Schema.String),
  max_tokens: Nullish(Schema.Number),
  temperature: Nullish(Schema.Number),
  top_p: Nullish(Schema.Number),
  tools: Nullish(Schema.Array(Schema.Unknown)),
  tool_choice: Nullish(Schema.Unknown)
}

export const TerminalInfo = Schema.Struct({
  status_code: Nullish(Schema.Number),
  status_message: Nullish(Schema.String),
  process_time: Nullish(Schema.Number),
  ip: Nullish(Schema.String),
  port: Nullish(Schema.Number),
  version: Nullish(Schema.Union([Schema.Number, Schema.String])),
  nonce: Nullish(Schema.Union([Schema.Number, Schema.String])),
  uuid: Nullish(Schema.String),
  hotkey: Nullish(Schema.String),
  signature: Nullish(Schema.String)
})
export type TerminalInfo = typeof TerminalInfo.Type

/** What the axon side decodes from a request body (envelope fields are optional, as pydantic has defaults). */
export const InferenceSynapseRequest = Schema.Struct({
  name: Nullish(Schema.String),
  timeout: Nullish(Schema.Number),
  total_size: Nullish(Schema.Number),
  header_size: Nullish(Schema.Number),
  dendrite: Nullish(TerminalInfo),
  axon: Nullish(TerminalInfo),
  computed_body_hash: Nullish(Schema.String),
  prompt: Schema.String,
  ...RequestWireFields
})
export type InferenceSynapseRequest = typeof InferenceSynapseRequest.Type

/** The reply fields the validator keeps from the synapse JSON a miner answers with. */
export const InferenceSynapseReply = Schema.Struct({
  response_text: Schema.String,
  tool_calls: Nullish(Schema.Array(ToolCallWire)),
  finish_reason: Nullish(Schema.String),
  usage: Nullish(Usage)
})
export type InferenceSynapseReply = typeof InferenceSynapseReply.Type

// ---------------------------------------------------------------------------------------------
// Request building

export interface DendriteIdentity {
  readonly ip: string
  readonly version: number
  readonly nonce: bigint
  readonly uuid: string
  readonly hotkey: string
  readonly signature: string
}

/** The synapse fields carried for the request (no envelope). */
export const requestFields = (r: InferenceRequest) => ({
  prompt: r.prompt,
  messages: r.messages,
  model: r.model,
  max_tokens: r.max_tokens,
  temperature: r.temperature,
  top_p: r.top_p,
  tools: r.tools,
  tool_choice: r.tool_choice
})

/** Headers + JSON body for `POST /InferenceSynapse`. */
export const buildSynapseHttp = (
  request: InferenceRequest,
  target: MinerTarget,
  timeoutS: number,
  dendrite: DendriteIdentity,
  computedBodyHash: string
): { readonly headers: Record<string, string>; readonly body: string } => {
  const terminal = (extra: Record<string, unknown>) => ({
    status_code: null,
    status_message: null,
    process_time: null,
    ...extra
  })
  const envelope = {
    name: SYNAPSE_NAME,
    timeout: timeoutS,
    total_size: 0,
    header_size: 0,
    dendrite: terminal({
      ip: dendrite.ip,
      port: null,
      version: String(dendrite.version),
      nonce: String(dendrite.nonce),
      uuid: dendrite.uuid,
      hotkey: dendrite.hotkey,
      signature: dendrite.signature
    }),
    axon: terminal({
      ip: target.ip,
      port: target.port,
      version: null,
      nonce: null,
      uuid: null,
      hotkey: target.hotkey,
      signature: null
    }),
    computed_body_hash: computedBodyHash,
    ...requestFields(request)
  }
  const body = JSON.stringify(envelope)
  const headers: Record<string, string> = {
    "content-type": "application/json",
    name: SYNAPSE_NAME,
    timeout: pyFloat(timeoutS),
    bt_header_axon_ip: target.ip,
    bt_header_axon_port: String(target.port),
    bt_header_axon_hotkey: target.hotkey,
    bt_header_dendrite_ip: dendrite.ip,
    bt_header_dendrite_version: String(dendrite.version),
    bt_header_dendrite_nonce: String(dendrite.nonce),
    bt_header_dendrite_uuid: dendrite.uuid,
    bt_header_dendrite_hotkey: dendrite.hotkey,
    bt_header_dendrite_signature: dendrite.signature,
    computed_body_hash: computedBodyHash,
    header_size: "0",
    total_size: String(Buffer.byteLength(body))
  }
  for (const [field, empty] of Object.entries(REQUIRED_INPUT_FIELDS)) headers[`bt_header_input_obj_${field}`] = empty
  return { headers, body }
}

// ---------------------------------------------------------------------------------------------
// Reply decoding

const decodeReplyExit = Schema.decodeUnknownExit(InferenceSynapseReply)

/** Validated reply fields, or a message saying why the JSON is not an InferenceSynapse reply. */
export const parseReplyJson = (
  json: unknown
): { readonly ok: true; readonly reply: InferenceSynapseReply } | { readonly ok: false; readonly message: string } => {
  const exit = decodeReplyExit(json)
  return Exit.isSuccess(exit)
    ? { ok: true, reply: exit.value }
    : { ok: false, message: `reply does not match InferenceSynapse: ${String(exit.cause)}`.slice(0, 500) }
}

/** Raw body text → InferenceReply, or a MinerError (Unparsable, 422) for this miner. */
export const decodeReplyBody = (
  target: MinerTarget,
  text: string,
  latencyMs: number,
  status: number
): Effect.Effect<InferenceReply, MinerError> => {
  const unparsable = (message: string) =>
    new MinerError({ uid: target.uid, hotkey: target.hotkey, reason: "Unparsable", status: 422, message, latencyMs })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Effect.fail(unparsable(`invalid JSON (${text.length} chars)`))
  }
  const parsed = parseReplyJson(json)
  if (!parsed.ok) return Effect.fail(unparsable(parsed.message))
  const r = parsed.reply
  return Effect.succeed({
    responseText: r.response_text,
    toolCalls: r.tool_calls ?? [],
    finishReason: r.finish_reason ?? null,
    usage: r.usage ?? null,
    latencyMs,
    status
  })
}
