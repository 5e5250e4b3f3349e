// A real HTTP Fiber miner (Bun.serve) for tests, the local demo and load tests: serves its RSA public
// key, accepts signed key exchanges (bad signature → 401, replayed nonce or stale timestamp → 401),
// decrypts challenges with the session key (unknown/expired session or bad token → 401 asking for a
// handshake), asks the SimHandler what to do and executes the SimAction (replies Fernet-encrypted).
import type { KeyringPair } from "@polkadot/keyring/types"
import { Exit, Schema } from "effect"
import { verifyHotkeySignature } from "../Signer.ts"
import type { SimAction, SimHandler, SimReply, SimRequest } from "./SimAction.ts"
import { Nullish, RequestWireFields } from "../InferenceSynapse.ts"
import { AUTH_HEADER, AUTH_VERSION, keyExchangeAuthProblem, publicKeyAnswer } from "../fiber/AuthHandshake.ts"
import { decrypt, encrypt } from "../fiber/Fernet.ts"
import {
  AVAILABILITY_PATH,
  CHALLENGE_PATH,
  HEADER_KEY_UUID,
  HEADER_MINER,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  HEADER_VALIDATOR,
  KEY_EXCHANGE_PATH,
  KeyExchangeRequest,
  makeMinerRsaKey,
  PUBLIC_KEY_PATH,
  verifyKeyExchange
} from "../fiber/Handshake.ts"

export interface FiberMinerOptions {
  /** The miner's sr25519 hotkey pair. */
  readonly keypair: KeyringPair
  readonly host?: string
  /** 0 = ephemeral. */
  readonly port: number
  readonly handler: SimHandler
  /** Called once a challenge's response is ready (body built, or its stream started), with the time since the
   *  request arrived: load tests tell the miner's own lateness from the validator's overhead with it. */
  readonly onReplied?: (req: SimRequest, action: SimAction, elapsedMs: number) => void
  /** When set, key exchanges from other validator hotkeys are refused (403). */
  readonly allowedValidators?: ReadonlyArray<string>
  /** PKCS#8 PEM to reuse one RSA key across many simulated miners (default: a fresh RSA-2048 key). */
  readonly rsaPrivateKeyPem?: string
  /** How long the miner keeps a session key (default 1 h, like the reference). */
  readonly sessionTtlMs?: number
  /** Accepted |now − handshake timestamp| (default 60 s). */
  readonly maxSkewSeconds?: number
  /** Extra delay on the key-exchange endpoint only (tests: latency must exclude handshakes). */
  readonly handshakeDelayMs?: number
  /** `raw` actions with status 200 send their body Fernet-encrypted (a miner that encrypts bad JSON). */
  readonly encryptRaw?: boolean
  /** Speaks the authenticated key exchange when offered (AuthHandshake.ts; default true; false = plain Loosh). */
  readonly authenticated?: boolean
  /** Refuses key exchanges without the validator's key_signature (default false). */
  readonly requireAuthenticatedExchange?: boolean
}

export interface FiberMinerStats {
  readonly handshakes: number
  /** Handshakes whose encrypted key was signed by the validator (the authenticated variant). */
  readonly handshakesAuthenticated: number
  readonly handshakesRejected: number
  readonly challenges: number
  readonly challengesRejected: number
  /** Requests currently held open by `hang` actions. */
  readonly hanging: number
}

export interface FiberMiner {
  readonly port: number
  readonly hotkey: string
  readonly stop: () => Promise<void>
  readonly stats: () => FiberMinerStats
  /** Forgets every session key (as after a miner restart that kept its RSA key). */
  readonly forgetSessions: () => void
}


/** The challenge JSON as a Loosh miner accepts it (everything but `id` optional). */
export const ChallengeWire = Schema.Struct({
  id: Nullish(Schema.String),
  prompt: Nullish(Schema.String),
  ...RequestWireFields
})
const decodeChallenge = Schema.decodeUnknownExit(ChallengeWire)
const decodeKeyExchange = Schema.decodeUnknownExit(KeyExchangeRequest)

const json = (status: number, body: unknown, headers?: Record<string, string>) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

const sleep = (ms: number) => (ms > 0 ? Bun.sleep(ms) : Promise.resolve())

/** A body stream that errors: Bun resets the connection without an answer. */
const dropResponse = () =>
  new Response(new ReadableStream({ pull: (c) => c.error(new Error("simulated miner dropped the connection")) }))

export const replyJson = (r: SimReply, responseTimeMs: number): string =>
  JSON.stringify({
    response_text: r.response_text,
    response_time_ms: Math.round(responseTimeMs),
    tool_calls: r.tool_calls,
    finish_reason: r.finish_reason,
    usage: r.usage,
    metadata: {}
  })

interface ServerSession {
  readonly fernetKey: string
  readonly expiresAtMs: number
}

export const startFiberMiner = async (o: FiberMinerOptions): Promise<FiberMiner> => {
  const rsa = makeMinerRsaKey(o.rsaPrivateKeyPem)
  const ttlMs = o.sessionTtlMs ?? 3_600_000
  const maxSkew = o.maxSkewSeconds ?? 60
  const hotkey = o.keypair.address
  const sessions = new Map<string, ServerSession>()
  const nonces = new Map<string, number>()
  const hanging = new Set<() => void>()
  const stats = { handshakes: 0, handshakesAuthenticated: 0, handshakesRejected: 0, challenges: 0, challengesRejected: 0 }
  const sessionKey = (validator: string, uuid: string) => `${validator}|${uuid}`
  const requiresHandshake = (detail: string) => {
    stats.challengesRejected++
    return json(401, { detail, requires_handshake: true, public_key: rsa.publicKeyPem })
  }

  const claimNonce = (nonce: string) => {
    const now = Date.now()
    if (nonces.size > 10_000) for (const [n, t] of nonces) if (now - t > 2 * maxSkew * 1000) nonces.delete(n)
    if (nonces.has(nonce)) return false
    nonces.set(nonce, now)
    return true
  }

  const keyExchange = async (req: Request): Promise<Response> => {
    if (o.handshakeDelayMs !== undefined) await sleep(o.handshakeDelayMs)
    let body: unknown
    try {
      body = await req.json()
    } catch {
      stats.handshakesRejected++
      return json(422, { detail: "body is not JSON" })
    }
    const decoded = decodeKeyExchange(body)
    if (!Exit.isSuccess(decoded)) {
      stats.handshakesRejected++
      return json(422, { detail: "invalid key exchange body" })
    }
    const authProblem = keyExchangeAuthProblem(body as Record<string, unknown>, hotkey, o.requireAuthenticatedExchange === true)
    if (authProblem !== undefined) {
      stats.handshakesRejected++
      return json(401, { detail: authProblem })
    }
    const verdict = verifyKeyExchange(decoded.value, {
      rsa,
      nowMs: Date.now(),
      maxSkewSeconds: maxSkew,
      claimNonce,
      allowedValidators: o.allowedValidators
    })
    if (!verdict.ok) {
      stats.handshakesRejected++
      return json(verdict.status, { detail: verdict.message })
    }
    sessions.set(sessionKey(verdict.validator, verdict.uuid), {
      fernetKey: verdict.fernetKey,
      expiresAtMs: Date.now() + ttlMs
    })
    stats.handshakes++
    if (typeof (body as Record<string, unknown>)["key_signature"] === "string") stats.handshakesAuthenticated++
    return json(200, { success: true, message: "Symmetric key exchanged" })
  }

  const execute = async (
    action: SimAction,
    fernetKey: string,
    uuid: string,
    t0: number,
    signal: AbortSignal
  ): Promise<Response> => {
    const headers = {
      "content-type": "application/octet-stream",
      [HEADER_KEY_UUID]: uuid,
      [HEADER_MINER]: hotkey
    }
    switch (action.kind) {
      case "reply": {
        await sleep(action.delayMs)
        return new Response(encrypt(fernetKey, replyJson(action.reply, performance.now() - t0)), { status: 200, headers })
      }
      case "raw": {
        await sleep(action.delayMs)
        const body = o.encryptRaw === true && action.status === 200 ? encrypt(fernetKey, action.body) : action.body
        return new Response(body, { status: action.status, headers })
      }
      case "slow-body": {
        const token = Buffer.from(encrypt(fernetKey, replyJson(action.reply, action.totalMs)), "ascii")
        const pieces = 10
        const step = Math.ceil(token.length / pieces)
        let i = 0
        const stream = new ReadableStream<Uint8Array>({
          pull: async (c) => {
            if (i > 0) await sleep(action.totalMs / pieces)
            const chunk = token.subarray(i * step, (i + 1) * step)
            i++
            if (chunk.length > 0) c.enqueue(chunk)
            if (i * step >= token.length) c.close()
          }
        })
        return new Response(stream, { status: 200, headers })
      }
      case "hang":
        return new Promise<Response>((resolve) => {
          const release = () => {
            hanging.delete(release)
            resolve(dropResponse())
          }
          hanging.add(release)
          signal.addEventListener("abort", release, { once: true }) // client gave up
        })
      case "drop":
        return dropResponse()
    }
  }

  const challenge = async (req: Request): Promise<Response> => {
    const t0 = performance.now()
    const validator = req.headers.get(HEADER_VALIDATOR)
    const uuid = req.headers.get(HEADER_KEY_UUID)
    if (validator === null || uuid === null) {
      stats.challengesRejected++
      return json(422, { detail: `missing ${HEADER_VALIDATOR} / ${HEADER_KEY_UUID}` })
    }
    const k = sessionKey(validator, uuid)
    const session = sessions.get(k)
    if (session === undefined) return requiresHandshake("no symmetric key for that validator and uuid")
    if (session.expiresAtMs <= Date.now()) {
      sessions.delete(k)
      return requiresHandshake("symmetric key expired")
    }
    const token = await req.text()
    const plain = decrypt(session.fernetKey, token, { ttlSeconds: ttlMs / 1000 })
    if (!plain.ok) return requiresHandshake(`cannot decrypt challenge (${plain.reason})`)
    let body: unknown
    try {
      body = JSON.parse(plain.plaintext.toString("utf8"))
    } catch {
      stats.challengesRejected++
      return json(422, { detail: "challenge is not JSON" })
    }
    const decoded = decodeChallenge(body)
    if (!Exit.isSuccess(decoded)) {
      stats.challengesRejected++
      return json(422, { detail: "invalid challenge" })
    }
    const c = decoded.value
    const messages = c.messages ?? []
    const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? ""
    const simReq: SimRequest = {
      validatorHotkey: validator,
      request: {
        ...(c.id !== undefined && c.id !== null ? { challengeId: c.id } : {}),
        prompt: c.prompt ?? lastUser,
        messages,
        model: c.model ?? null,
        max_tokens: c.max_tokens ?? null,
        temperature: c.temperature ?? null,
        top_p: c.top_p ?? null,
        tools: c.tools ?? [],
        tool_choice: c.tool_choice ?? null
      }
    }
    stats.challenges++
    let action: SimAction
    try {
      action = await o.handler(simReq)
    } catch (e) {
      return json(500, { detail: `handler failed: ${e instanceof Error ? e.message : String(e)}` })
    }
    const response = await execute(action, session.fernetKey, uuid, t0, req.signal)
    o.onReplied?.(simReq, action, performance.now() - t0)
    return response
  }

  const availability = (req: Request): Response => {
    const ss58 = req.headers.get(HEADER_VALIDATOR)
    const ts = req.headers.get(HEADER_TIMESTAMP)
    const nonce = req.headers.get(HEADER_NONCE)
    const sig = req.headers.get(HEADER_SIGNATURE)
    // unsigned probes are answered (reference behaviour); a present but wrong signature is refused
    if (ss58 !== null && ts !== null && nonce !== null && sig !== null) {
      if (!verifyHotkeySignature(`${ts}.${nonce}.${ss58}`, sig, ss58)) return json(401, { detail: "bad signature" })
    }
    return json(200, { available: true })
  }

  const server = Bun.serve({
    hostname: o.host ?? "127.0.0.1",
    port: o.port,
    idleTimeout: 0, // hang / slow-body must not be cut by the server
    fetch: async (req) => {
      const path = new URL(req.url).pathname
      if (req.method === "GET" && path === PUBLIC_KEY_PATH) {
        const offered = req.headers.get(AUTH_HEADER) === AUTH_VERSION
        return json(200, publicKeyAnswer(rsa.publicKeyPem, o.keypair, offered && o.authenticated !== false))
      }
      if (req.method === "POST" && path === KEY_EXCHANGE_PATH) return keyExchange(req)
      if (req.method === "POST" && path === CHALLENGE_PATH) return challenge(req)
      if (req.method === "GET" && path === AVAILABILITY_PATH) return availability(req)
      return json(404, { detail: "Not Found" })
    },
    error: (e) => json(500, { detail: e.message })
  })
  const port = server.port
  if (port === undefined) throw new Error("Fiber miner did not bind a port")

  return {
    port,
    hotkey,
    stop: async () => {
      for (const release of [...hanging]) release()
      await server.stop(true)
    },
    stats: () => ({ ...stats, hanging: hanging.size }),
    forgetSessions: () => sessions.clear()
  }
}
