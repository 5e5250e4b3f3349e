// FiberTransport: the Loosh/Fiber encrypted HTTP client behind MinerTransport (protocol "fiber").
// Handshake (RSA-OAEP key exchange signed with the hotkey) once per miner, session cached with expiry,
// challenge and reply as Fernet tokens, one re-handshake + retry when the miner answers 401.
//
// Deadlines: each handshake request is bounded by `handshakeTimeoutMs`; each challenge attempt by the
// caller's `timeoutMs`. Latency is measured on the challenge attempt that produced the answer only:
// from the request being sent to its last byte received (handshakes and decryption excluded).
import { Effect } from "effect"
import { errorMessage, minerBaseUrl, type ExchangeFail, exchangeBytes, exchangeFail } from "../HttpExchange.ts"
import { parseReplyJson, requestFields } from "../InferenceSynapse.ts"
import { signatureHex } from "../Signer.ts"
import { MinerError, type MinerTransport } from "../Transport.ts"
import { type InferenceReply, type InferenceRequest } from "../../domain/Inference.ts"
import { type HotkeySigner, type MinerTarget } from "../../domain/Miner.ts"
import { AUTH_HEADER, AUTH_VERSION, keyExchangeSignature, verifyPublicKeyAnswer } from "./AuthHandshake.ts"
import { decrypt, encrypt } from "./Fernet.ts"
import {
  AVAILABILITY_PATH,
  CHALLENGE_PATH,
  handshakeTimestamp,
  HEADER_KEY_UUID,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  HEADER_VALIDATOR,
  KEY_EXCHANGE_PATH,
  keyExchangeJson,
  keyExchangeMessage,
  prepareKeyExchange,
  PUBLIC_KEY_PATH,
  pyFloatRepr
} from "./Handshake.ts"
import { type FiberSession, makeSessionCache, minerKey, type SessionCache } from "./SessionCache.ts"

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** The reference keeps keys for an hour (key_ttl_seconds = 3600) and decrypts replies with that ttl. */
export const DEFAULT_SESSION_TTL_MS = 3_600_000

export interface FiberOptions {
  readonly signer: HotkeySigner
  /** Reply size cap in bytes (default 4 MiB); larger replies fail with BodyTooLarge (413). */
  readonly maxBodyBytes?: number
  /** Bound for each of the two handshake requests (default 10 s). */
  readonly handshakeTimeoutMs?: number
  /** How long a session key is reused (default 1 h); miners may forget it sooner (then 401 → re-handshake). */
  readonly sessionTtlMs?: number
  /** Max age of a reply token in seconds (default: session ttl). */
  readonly replyTtlSeconds?: number
  /** Clock for session expiry (epoch ms; default Date.now). */
  readonly now?: () => number
  /** Refuse miners that do not speak the authenticated key exchange (AuthHandshake.ts; default false). */
  readonly requireAuthenticated?: boolean
}

export interface FiberTransport extends MinerTransport {
  readonly protocol: "fiber"
  readonly sessions: SessionCache
  /** Handshakes completed successfully by this transport (diagnostics / tests). */
  readonly handshakeCount: () => number
  /** Completed handshakes by kind: authenticated variant vs plain Loosh. */
  readonly handshakeAuth: () => { readonly authenticated: number; readonly unauthenticated: number }
}

type Fail = ExchangeFail
const fail = exchangeFail
const exchange = exchangeBytes

const jsonOf = (bytes: Buffer): unknown => {
  try {
    return JSON.parse(bytes.toString("utf8"))
  } catch {
    return undefined
  }
}

const detailOf = (bytes: Buffer): string => {
  const j = jsonOf(bytes)
  if (typeof j === "object" && j !== null) {
    if ("detail" in j && typeof j.detail === "string") return j.detail
    if ("message" in j && typeof j.message === "string") return j.message
  }
  return bytes.subarray(0, 200).toString("utf8")
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The challenge JSON a Loosh miner expects (`Challenge.model_dump(mode="json")` fields). */
export const challengePayload = (r: InferenceRequest): Record<string, unknown> => ({ id: r.challengeId, ...requestFields(r) })

/** Does this failed challenge answer ask for a new handshake? 401 always; the v1.2 reference miner
 * answers 400 "Failed to decrypt challenge payload or key expired/invalid" for an unknown key. */
const wantsHandshake = (status: number, bytes: Buffer): boolean =>
  status === 401 || (status === 400 && /key|decrypt/i.test(detailOf(bytes)))

export const makeFiberTransport = (options: FiberOptions): FiberTransport => {
  const { signer } = options
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const hsTimeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  const ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS
  const replyTtl = options.replyTtlSeconds ?? ttlMs / 1000
  const now = options.now ?? Date.now
  const sessions = makeSessionCache(now)
  let handshakes = 0
  const auth = { authenticated: 0, unauthenticated: 0 }
  /** Miners that handshook without authentication: logged once each (from the query effect). */
  const unauthLogged = new Set<string>()
  const unauthPending: Array<MinerTarget> = []

  const base = minerBaseUrl

  const handshake = async (
    target: MinerTarget
  ): Promise<{ readonly ok: true; readonly session: FiberSession } | { readonly ok: false; readonly error: Fail }> => {
    const bad = (f: Fail) => ({ ok: false as const, error: f })
    const pk = await exchange(`${base(target)}${PUBLIC_KEY_PATH}`, { method: "GET", headers: { [AUTH_HEADER]: AUTH_VERSION } }, hsTimeout, 64 * 1024, undefined)
    if (pk.kind === "fail") return bad({ ...pk, message: `handshake (public key): ${pk.message}` })
    if (pk.status !== 200) {
      return bad(fail(pk.status === 401 || pk.status === 403 ? "Unauthorized" : "ProtocolError", pk.status, `handshake: public key answered ${pk.status}: ${detailOf(pk.bytes)}`))
    }
    const pkJson = jsonOf(pk.bytes)
    if (!isRecord(pkJson) || typeof pkJson.public_key !== "string") {
      return bad(fail("ProtocolError", 422, "handshake: public key reply has no public_key"))
    }
    const verdict = verifyPublicKeyAnswer(pkJson, target.hotkey)
    if (verdict._tag === "Forged") return bad(fail("Unauthorized", 401, `handshake refused: ${verdict.message}`))
    const authenticated = verdict._tag === "Authenticated"
    if (!authenticated && options.requireAuthenticated === true) {
      return bad(fail("Unauthorized", 401, "handshake refused: the miner does not offer the authenticated key exchange (FIBER_REQUIRE_AUTH is on)"))
    }
    let prepared: ReturnType<typeof prepareKeyExchange>
    try {
      prepared = prepareKeyExchange(pkJson.public_key, signer)
    } catch (e) {
      return bad(fail("ProtocolError", 422, `handshake: unusable public key: ${errorMessage(e)}`))
    }
    const body = authenticated ? { ...prepared.body, key_signature: keyExchangeSignature(signer, prepared.body, target.hotkey) } : prepared.body
    const kx = await exchange(
      `${base(target)}${KEY_EXCHANGE_PATH}`,
      { method: "POST", headers: { "content-type": "application/json" }, body: keyExchangeJson(body) },
      hsTimeout,
      64 * 1024,
      undefined
    )
    if (kx.kind === "fail") return bad({ ...kx, message: `handshake (key exchange): ${kx.message}` })
    if (kx.status !== 200) {
      return bad(fail(kx.status === 401 || kx.status === 403 ? "Unauthorized" : "ProtocolError", kx.status, `handshake: key exchange answered ${kx.status}: ${detailOf(kx.bytes)}`))
    }
    const kxJson = jsonOf(kx.bytes)
    if (!isRecord(kxJson) || kxJson.success !== true) {
      return bad(fail("ProtocolError", 422, `handshake: key exchange not accepted: ${detailOf(kx.bytes)}`))
    }
    handshakes++
    if (authenticated) auth.authenticated++
    else {
      auth.unauthenticated++
      const k = minerKey(target)
      if (!unauthLogged.has(k)) {
        unauthLogged.add(k)
        unauthPending.push(target)
      }
    }
    return { ok: true, session: { fernetKey: prepared.fernetKey, uuid: prepared.uuid, expiresAtMs: now() + ttlMs, authenticated } }
  }

  const sendChallenge = (target: MinerTarget, session: FiberSession, plaintext: string, timeoutMs: number, signal: AbortSignal) =>
    exchange(
      `${base(target)}${CHALLENGE_PATH}`,
      {
        method: "POST",
        headers: {
          "content-type": "application/octet-stream",
          [HEADER_VALIDATOR]: signer.ss58,
          [HEADER_KEY_UUID]: session.uuid
        },
        body: encrypt(session.fernetKey, plaintext)
      },
      timeoutMs,
      maxBytes,
      signal
    )

  const run = async (
    target: MinerTarget,
    request: InferenceRequest,
    timeoutMs: number,
    signal: AbortSignal
  ): Promise<{ readonly ok: true; readonly reply: InferenceReply } | { readonly ok: false; readonly error: Fail }> => {
    const key = minerKey(target)
    const plaintext = JSON.stringify(challengePayload(request))
    let s = await sessions.getOrHandshake(key, () => handshake(target))
    if (!s.ok) return s
    let session = s.session
    let x = await sendChallenge(target, session, plaintext, timeoutMs, signal)
    if (x.kind === "body" && wantsHandshake(x.status, x.bytes)) {
      sessions.invalidate(key, session.uuid)
      s = await sessions.getOrHandshake(key, () => handshake(target))
      if (!s.ok) return s
      session = s.session
      x = await sendChallenge(target, session, plaintext, timeoutMs, signal)
    }
    if (x.kind === "fail") return { ok: false, error: x }
    if (x.status === 401) {
      sessions.invalidate(key, session.uuid)
      return { ok: false, error: fail("Unauthorized", 401, `miner refused the session after a re-handshake: ${detailOf(x.bytes)}`, x.latencyMs) }
    }
    if (x.status !== 200) {
      return { ok: false, error: fail("HttpStatus", x.status, `miner answered ${x.status}: ${detailOf(x.bytes)}`, x.latencyMs) }
    }
    const plain = decrypt(session.fernetKey, x.bytes.toString("latin1"), { ttlSeconds: replyTtl })
    if (!plain.ok) {
      return { ok: false, error: fail("ProtocolError", 422, `reply is not a valid Fernet token for the session (${plain.reason})`, x.latencyMs) }
    }
    let json: unknown
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plain.plaintext))
    } catch {
      return { ok: false, error: fail("Unparsable", 422, `decrypted reply is not JSON (${plain.plaintext.length} bytes)`, x.latencyMs) }
    }
    const parsed = parseReplyJson(json)
    if (!parsed.ok) return { ok: false, error: fail("Unparsable", 422, parsed.message, x.latencyMs) }
    const r = parsed.reply
    return {
      ok: true,
      reply: {
        responseText: r.response_text,
        toolCalls: r.tool_calls ?? [],
        finishReason: r.finish_reason ?? null,
        usage: r.usage ?? null,
        latencyMs: x.latencyMs,
        status: x.status,
        contentType: x.contentType
      }
    }
  }

  const toMinerError = (target: MinerTarget, f: Fail) =>
    new MinerError({
      uid: target.uid,
      hotkey: target.hotkey,
      reason: f.reason,
      status: f.status,
      message: f.message,
      latencyMs: f.latencyMs
    })

  const query = (target: MinerTarget, request: InferenceRequest, timeoutMs: number) =>
    Effect.promise((signal) => run(target, request, timeoutMs, signal)).pipe(
      Effect.tap(() =>
        Effect.forEach(unauthPending.splice(0), (t) =>
          Effect.logWarning("Fiber miner handshake is unauthenticated (plain Loosh key exchange: its RSA key is not bound to its hotkey)", { uid: t.uid, hotkey: t.hotkey }), { discard: true })
      ),
      Effect.flatMap((r): Effect.Effect<InferenceReply, MinerError> =>
        r.ok ? Effect.succeed(r.reply) : Effect.fail(toMinerError(target, r.error))
      ),
      Effect.withSpan("Fiber.query", { attributes: { uid: target.uid } })
    )

  const availability = (target: MinerTarget, timeoutMs: number) =>
    Effect.promise((signal) => {
      const ts = handshakeTimestamp()
      const nonce = crypto.randomUUID()
      const headers: Record<string, string> = {
        "validator-hotkey": signer.ss58,
        [HEADER_VALIDATOR]: signer.ss58,
        [HEADER_TIMESTAMP]: pyFloatRepr(ts),
        [HEADER_NONCE]: nonce,
        [HEADER_SIGNATURE]: signatureHex(signer, keyExchangeMessage(ts, nonce, signer.ss58))
      }
      return exchange(`${base(target)}${AVAILABILITY_PATH}`, { method: "GET", headers }, timeoutMs, 64 * 1024, signal)
    }).pipe(
      Effect.flatMap((x): Effect.Effect<boolean, MinerError> => {
        if (x.kind === "fail") return Effect.fail(toMinerError(target, x))
        if (x.status !== 200) {
          return Effect.fail(
            toMinerError(target, fail(x.status === 401 ? "Unauthorized" : "HttpStatus", x.status, `availability answered ${x.status}: ${detailOf(x.bytes)}`, x.latencyMs))
          )
        }
        const j = jsonOf(x.bytes)
        if (!isRecord(j)) return Effect.fail(toMinerError(target, fail("Unparsable", 422, "availability reply is not a JSON object", x.latencyMs)))
        return Effect.succeed(j.available === true)
      }),
      Effect.withSpan("Fiber.availability", { attributes: { uid: target.uid } })
    )

  return { protocol: "fiber", query, availability, sessions, handshakeCount: () => handshakes, handshakeAuth: () => ({ ...auth }) }
}
