// A simulated bittensor axon: a real Bun.serve HTTP server on 127.0.0.1 that checks requests the way
// a bittensor ≤ 10.x axon does (headers → 400, nonce/signature → 401, blacklist → 403, unknown
// synapse → 404, body-hash integrity → 400) and then performs a SimAction (delay, raw bytes,
// slow trickled body, hang, or dropped connection).
import type { KeyringPair } from "@polkadot/keyring/types"
import { Exit, Schema } from "effect"
import {
  EMPTY_BODY_HASH,
  inferenceBodyHash,
  InferenceSynapseRequest,
  REQUIRED_INPUT_FIELDS,
  signatureMessage,
  SYNAPSE_NAME
} from "../InferenceSynapse.ts"
import { wallClockNs } from "../Nonce.ts"
import { verifyHotkeySignature } from "../Signer.ts"
import type { SimAction, SimHandler, SimRequest } from "./SimAction.ts"

/** bittensor's ALLOWED_DELTA: a first nonce must be newer than now − 4 s − timeout. */
export const ALLOWED_DELTA_NS = 4_000_000_000n
/** Below this dendrite version the SDK uses older nonce rules, which this axon does not accept. */
export const MIN_DENDRITE_VERSION = 7_002_000

export interface AxonOptions {
  /** The miner's hotkey (its ss58 is the axon hotkey the validator signs for). */
  readonly keypair: KeyringPair
  readonly handler: SimHandler
  /** Called once a challenge's response is ready (body built, or its stream started), with the time since the
   *  request arrived: load tests tell the miner's own lateness from the validator's overhead with it. */
  readonly onReplied?: (req: SimRequest, action: SimAction, elapsedMs: number) => void
  readonly host?: string
  /** 0 (default) = an ephemeral port. */
  readonly port?: number
  /** When set, validator hotkeys outside it are blacklisted (403). */
  readonly allowedValidators?: ReadonlySet<string>
}

export interface AxonStats {
  /** Requests that reached the handler. */
  handled: number
  /** Rejections by HTTP status. */
  readonly rejected: Record<number, number>
}

export interface AxonHandle {
  readonly port: number
  readonly hotkey: string
  readonly stats: AxonStats
  readonly stop: () => Promise<void>
}

const jsonHeaders = { "content-type": "application/json" }

const statusResponse = (status: number, message: string, extra: Record<string, string> = {}) =>
  new Response(JSON.stringify({ message }), {
    status,
    headers: {
      ...jsonHeaders,
      bt_header_axon_status_code: String(status),
      bt_header_axon_status_message: message,
      ...extra
    }
  })

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve()
    // setTimeout overflows above 2^31-1 ms (it would fire at once): no timer means "until aborted"
    const t = Number.isFinite(ms) && ms < 2 ** 31 - 1 ? setTimeout(done, ms) : undefined
    function done() {
      if (t !== undefined) clearTimeout(t)
      signal.removeEventListener("abort", done)
      resolve()
    }
    signal.addEventListener("abort", done, { once: true })
  })

/** Closes the connection without an HTTP answer (the client sees a reset). */
const dropResponse = () =>
  new Response(
    new ReadableStream({
      start(c) {
        // erroring before the first byte makes Bun reset the connection; no reason = no stderr noise
        c.error()
      }
    })
  )

/** Sends a first small chunk at once, then trickles the rest evenly over `totalMs`. */
const trickle = (bytes: Uint8Array, totalMs: number, signal: AbortSignal): ReadableStream<Uint8Array> => {
  const pieces = 10
  const first = Math.min(16, bytes.length)
  const rest = bytes.length - first
  const step = Math.ceil(rest / pieces)
  let offset = first
  let timer: ReturnType<typeof setTimeout> | undefined
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, first))
    },
    pull(c) {
      if (offset >= bytes.length) return c.close()
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer)
          resolve()
        }
        if (signal.aborted) {
          c.close()
          return resolve()
        }
        timer = setTimeout(() => {
          signal.removeEventListener("abort", finish)
          c.enqueue(bytes.subarray(offset, offset + step))
          offset += step
          resolve()
        }, totalMs / pieces)
        signal.addEventListener("abort", finish, { once: true })
      })
    },
    cancel() {
      clearTimeout(timer)
    }
  })
}

const decodeRequest = Schema.decodeUnknownExit(InferenceSynapseRequest)

export const startAxon = async (options: AxonOptions): Promise<AxonHandle> => {
  const hotkey = options.keypair.address
  const nonces = new Map<string, bigint>()
  const stats: AxonStats = { handled: 0, rejected: {} }
  const stopping = new AbortController()
  const reject = (status: number, message: string) => {
    stats.rejected[status] = (stats.rejected[status] ?? 0) + 1
    return statusResponse(status, message)
  }

  /** bittensor default_verify: nonce rules, then the signature; the nonce is recorded on success. */
  const verify = (h: Headers, bodyHash: string, record: boolean): string | undefined => {
    const dHotkey = h.get("bt_header_dendrite_hotkey")
    const nonceS = h.get("bt_header_dendrite_nonce")
    const uuid = h.get("bt_header_dendrite_uuid")
    const signature = h.get("bt_header_dendrite_signature")
    const version = Number(h.get("bt_header_dendrite_version") ?? "0")
    if (dHotkey === null || nonceS === null || uuid === null || signature === null) return "missing dendrite headers"
    if (!/^\d{1,30}$/.test(nonceS)) return "malformed nonce"
    if (!(version >= MIN_DENDRITE_VERSION)) return `dendrite version ${version} < ${MIN_DENDRITE_VERSION}`
    const nonce = BigInt(nonceS)
    const timeoutS = Number(h.get("timeout") ?? "12")
    const windowNs = ALLOWED_DELTA_NS + BigInt(Math.round((Number.isFinite(timeoutS) ? timeoutS : 12) * 1e9))
    const key = `${dHotkey}:${uuid}`
    const last = nonces.get(key)
    if (last === undefined && nonce <= wallClockNs() - windowNs) return "Nonce is too old"
    if (last !== undefined && nonce <= last) return "Nonce is too old, a newer one was last processed"
    const message = signatureMessage({ nonce: nonceS, dendriteHotkey: dHotkey, axonHotkey: hotkey, uuid, bodyHash })
    if (!verifyHotkeySignature(message, signature, dHotkey)) return "Signature mismatch"
    if (record) nonces.set(key, nonce)
    return undefined
  }

  const perform = async (action: SimAction, synapse: Record<string, unknown>, signal: AbortSignal) => {
    const t0 = performance.now()
    const okBody = (reply: object) => {
      const process_time = (performance.now() - t0) / 1000
      const axon = { status_code: 200, status_message: "Success", process_time, hotkey }
      return { text: JSON.stringify({ ...synapse, ...reply, axon }), process_time }
    }
    const okHeaders = (process_time: number) => ({
      ...jsonHeaders,
      bt_header_axon_status_code: "200",
      bt_header_axon_status_message: "Success",
      bt_header_axon_process_time: String(process_time)
    })
    switch (action.kind) {
      case "reply": {
        await sleep(action.delayMs, signal)
        const { text, process_time } = okBody(action.reply)
        return new Response(text, { status: 200, headers: okHeaders(process_time) })
      }
      case "raw":
        await sleep(action.delayMs, signal)
        return new Response(action.body, { status: action.status, headers: jsonHeaders })
      case "slow-body": {
        const { text, process_time } = okBody(action.reply)
        return new Response(trickle(new TextEncoder().encode(text), action.totalMs, signal), {
          status: 200,
          headers: okHeaders(process_time)
        })
      }
      case "hang":
        await sleep(Number.POSITIVE_INFINITY, signal)
        return dropResponse()
      case "drop":
        return dropResponse()
    }
  }

  const server = Bun.serve({
    hostname: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    fetch: async (req) => {
      const arrived = performance.now()
      const url = new URL(req.url)
      const signal = AbortSignal.any([req.signal, stopping.signal])
      if (url.pathname === "/availability" && req.method === "GET") {
        // signed probes are verified (without consuming the nonce); unsigned ones are answered too
        if (req.headers.get("bt_header_dendrite_signature") !== null) {
          const why = verify(req.headers, EMPTY_BODY_HASH, false)
          if (why !== undefined) return reject(401, why)
        }
        return Response.json({ available: true })
      }
      const name = url.pathname.slice(1)
      if (req.method !== "POST" || name !== SYNAPSE_NAME) return reject(404, `Synapse name '${name}' not found`)
      // preprocess: the required input objects and the body hash header must be present
      for (const field of Object.keys(REQUIRED_INPUT_FIELDS)) {
        if (req.headers.get(`bt_header_input_obj_${field}`) === null) return reject(400, `missing input obj ${field}`)
      }
      const headerHash = req.headers.get("computed_body_hash")
      if (headerHash === null) return reject(400, "missing computed_body_hash")
      // verify (signature covers the header body hash)
      const why = verify(req.headers, headerHash, true)
      if (why !== undefined) return reject(401, why)
      const dHotkey = req.headers.get("bt_header_dendrite_hotkey") ?? ""
      if (options.allowedValidators !== undefined && !options.allowedValidators.has(dHotkey)) {
        return reject(403, "Forbidden. Key is blacklisted")
      }
      // body integrity
      let json: unknown
      try {
        json = await req.json()
      } catch {
        return reject(400, "body is not JSON")
      }
      const decoded = decodeRequest(json)
      if (Exit.isFailure(decoded)) return reject(400, "body is not an InferenceSynapse")
      const body = decoded.value
      // hashed from the JSON as received (key order and number forms as sent), like the SDK's model_dump
      if (inferenceBodyHash({ ...(json as Record<string, unknown>), prompt: body.prompt }) !== headerHash) return reject(400, "Hash mismatch between header body hash and body hash")
      const simReq: SimRequest = {
        validatorHotkey: dHotkey,
        request: {
          prompt: body.prompt,
          messages: body.messages ?? [],
          model: body.model ?? null,
          max_tokens: body.max_tokens ?? null,
          temperature: body.temperature ?? null,
          top_p: body.top_p ?? null,
          tools: body.tools ?? [],
          tool_choice: body.tool_choice ?? null
        }
      }
      stats.handled++
      let action: SimAction
      try {
        action = await options.handler(simReq)
      } catch (e) {
        return statusResponse(500, `miner error: ${e instanceof Error ? e.message : String(e)}`)
      }
      const response = await perform(action, json as Record<string, unknown>, signal)
      options.onReplied?.(simReq, action, performance.now() - arrived)
      return response
    },
    error: () => statusResponse(500, "Internal Server Error")
  })
  const port = server.port
  if (port === undefined) throw new Error("axon did not bind a port")
  return {
    port,
    hotkey,
    stats,
    stop: async () => {
      stopping.abort()
      await server.stop(true)
    }
  }
}
