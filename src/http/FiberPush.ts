// The Challenge API's push of challenges (the reference's production entry point, validator/endpoints/fiber.py),
// on its own listener so an operator can expose only this:
//   GET  /fiber/public-key    → {public_key}  (RSA-2048 PEM, made at start)
//   POST /fiber/key-exchange    {encrypted_symmetric_key: base64(RSA-OAEP-SHA256(Fernet key text)), key_uuid,
//                                timestamp: float seconds, signature, hotkey_ss58} → {success, message}
//   POST /fiber/challenge       headers symmetric-key-uuid, hotkey-ss58-address; body = Fernet token of the
//                                challenge JSON → 201 {success, message, challenge_id}; 409 duplicate id;
//                                401 unknown or expired key (keys live one hour from their timestamp)
// Unlike the reference, a key exchange is accepted only from the configured Challenge API hotkeys, with an
// sr25519 signature over "{timestamp}.{key_uuid}.{hotkey_ss58}" (timestamp rendered as Python renders the float),
// a timestamp within the replay window and a key_uuid never seen before. A challenge is persisted before the 201.
import { constants, privateDecrypt } from "node:crypto"
import { Effect, Exit, Schema } from "effect"
import type { Scope } from "effect"
import type { Challenge } from "../domain/Challenge.ts"
import { ChallengePayload, challengeOf } from "../challenges/ChallengeApi.ts"
import { decrypt, parseKey } from "../miners/fiber/Fernet.ts"
import { makeMinerRsaKey, pyFloatRepr } from "../miners/fiber/Handshake.ts"
import { verifyHotkeySignature } from "../miners/Signer.ts"
import { HttpServerError } from "./HttpServerError.ts"

export const PushKeyExchange = Schema.Struct({
  encrypted_symmetric_key: Schema.String.pipe(Schema.check(Schema.isMaxLength(4096))),
  key_uuid: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64))),
  timestamp: Schema.Finite,
  signature: Schema.String.pipe(Schema.check(Schema.isMaxLength(200))),
  hotkey_ss58: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(64)))
})
export type PushKeyExchange = typeof PushKeyExchange.Type

/** The message the Challenge API signs for a key exchange. */
export const pushKeyExchangeMessage = (timestamp: number, keyUuid: string, hotkey: string) => `${pyFloatRepr(timestamp)}.${keyUuid}.${hotkey}`

/** Outcome of handing a pushed challenge to the validator. */
export type Accepted = { readonly _tag: "Accepted" } | { readonly _tag: "Duplicate" } | { readonly _tag: "Paused" } | { readonly _tag: "Failed"; readonly message: string }

export interface FiberPushOptions {
  readonly host: string
  readonly port: number
  /** Challenge API hotkeys allowed to exchange keys (CHALLENGE_API_HOTKEYS). */
  readonly allowedHotkeys: ReadonlyArray<string>
  /** Persists the challenge, then starts its round. */
  readonly accept: (challenge: Challenge) => Effect.Effect<Accepted>
  readonly now?: () => number
  /** Accepted |now − timestamp| (seconds, default 60). */
  readonly replayWindowSeconds?: number
  /** Key lifetime from its timestamp (seconds, default 3600, as the reference). */
  readonly keyTtlSeconds?: number
}

const MAX_BODY = 1 << 20
const decodeExchange = Schema.decodeUnknownExit(Schema.fromJsonString(PushKeyExchange))
const decodeChallenge = Schema.decodeUnknownExit(Schema.fromJsonString(ChallengePayload))

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

export const makeFiberPushHandler = (o: FiberPushOptions) => {
  const rsa = makeMinerRsaKey()
  const now = o.now ?? Date.now
  const windowS = o.replayWindowSeconds ?? 60
  const ttlS = o.keyTtlSeconds ?? 3600
  const allowed = new Set(o.allowedHotkeys)
  const sessions = new Map<string, { readonly key: string; readonly expiresAt: number }>()
  const seenUuids = new Map<string, number>()
  const stats = { exchanges: 0, rejected: 0, challenges: 0, duplicates: 0 }

  const sweep = (t: number) => {
    for (const [k, s] of sessions) if (s.expiresAt <= t) sessions.delete(k)
    for (const [u, at] of seenUuids) if (t - at > 2 * windowS * 1000 + ttlS * 1000) seenUuids.delete(u)
  }

  const readBody = async (req: Request): Promise<string | null> => {
    const len = Number(req.headers.get("content-length") ?? "0")
    if (len > MAX_BODY) return null
    const text = await req.text()
    return text.length > MAX_BODY ? null : text
  }

  const keyExchange = async (req: Request): Promise<Response> => {
    const text = await readBody(req)
    if (text === null) return json(413, { detail: "body too large" })
    const decoded = decodeExchange(text)
    const reject = (status: number, detail: string) => {
      stats.rejected++
      return json(status, { detail })
    }
    if (Exit.isFailure(decoded)) return reject(422, "body must be {encrypted_symmetric_key, key_uuid, timestamp, signature, hotkey_ss58}")
    const b = decoded.value
    if (!allowed.has(b.hotkey_ss58)) return reject(403, "hotkey is not a configured Challenge API hotkey")
    if (!verifyHotkeySignature(pushKeyExchangeMessage(b.timestamp, b.key_uuid, b.hotkey_ss58), b.signature, b.hotkey_ss58))
      return reject(401, "signature does not verify over {timestamp}.{key_uuid}.{hotkey_ss58}")
    const t = now()
    if (Math.abs(t / 1000 - b.timestamp) > windowS) return reject(401, `timestamp outside the ${windowS} s replay window`)
    sweep(t)
    if (seenUuids.has(b.key_uuid)) return reject(401, "key_uuid already used (replay)")
    let keyText: string
    try {
      keyText = privateDecrypt(
        { key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        Buffer.from(b.encrypted_symmetric_key, "base64")
      ).toString("ascii")
    } catch {
      return reject(400, "cannot decrypt encrypted_symmetric_key (base64 of RSA-OAEP-SHA256 with our public key)")
    }
    if (parseKey(keyText) === null) return reject(400, "the decrypted key is not a Fernet key")
    seenUuids.set(b.key_uuid, t)
    sessions.set(`${b.hotkey_ss58}|${b.key_uuid}`, { key: keyText, expiresAt: b.timestamp * 1000 + ttlS * 1000 })
    stats.exchanges++
    return json(200, { success: true, message: "Symmetric key exchanged successfully" })
  }

  const challenge = async (req: Request): Promise<Response> => {
    const uuid = req.headers.get("symmetric-key-uuid")
    const hotkey = req.headers.get("hotkey-ss58-address")
    if (uuid === null || hotkey === null) return json(422, { detail: "headers symmetric-key-uuid and hotkey-ss58-address are required" })
    const k = `${hotkey}|${uuid}`
    const session = sessions.get(k)
    if (session === undefined) return json(401, { detail: "unknown symmetric key: exchange a key first" })
    if (session.expiresAt <= now()) {
      sessions.delete(k)
      return json(401, { detail: "symmetric key expired: exchange a new key" })
    }
    const token = await readBody(req)
    if (token === null) return json(413, { detail: "body too large" })
    const plain = decrypt(session.key, token.trim(), { ttlSeconds: ttlS })
    if (!plain.ok) return json(401, { detail: `cannot decrypt the payload (${plain.reason}); key may be expired or invalid` })
    const decoded = decodeChallenge(plain.plaintext.toString("utf8"))
    if (Exit.isFailure(decoded)) return json(400, { detail: "invalid challenge JSON" })
    const built = await Effect.runPromise(Effect.exit(challengeOf(decoded.value, "api")))
    if (Exit.isFailure(built)) return json(400, { detail: `invalid challenge: ${decoded.value.id} has neither a prompt nor a user message` })
    const outcome = await Effect.runPromise(o.accept(built.value))
    switch (outcome._tag) {
      case "Duplicate":
        stats.duplicates++
        return json(409, { detail: `Challenge ${built.value.id} already exists` })
      case "Paused":
        return json(503, { detail: "validator is paused (POST /set_running); try again later" })
      case "Failed":
        return json(500, { detail: `challenge not stored: ${outcome.message}` })
      case "Accepted":
        stats.challenges++
        return json(201, { success: true, message: "Challenge received successfully", challenge_id: built.value.id })
    }
  }

  const fetch = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname
    if (req.method === "GET" && path === "/fiber/public-key") return json(200, { public_key: rsa.publicKeyPem })
    if (req.method === "POST" && path === "/fiber/key-exchange") return keyExchange(req)
    if (req.method === "POST" && path === "/fiber/challenge") return challenge(req)
    return json(404, { detail: "Not Found" })
  }
  return { fetch, stats: () => ({ ...stats, sessions: sessions.size }) }
}

/** Serves the push endpoints for the lifetime of the scope. */
export const serveFiberPush = (o: FiberPushOptions): Effect.Effect<{ readonly port: number; readonly url: string }, HttpServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const handler = makeFiberPushHandler(o)
        return Bun.serve({ hostname: o.host, port: o.port, fetch: handler.fetch, error: (e) => json(500, { detail: e.message }) })
      },
      catch: (e) => new HttpServerError({ host: o.host, port: o.port, message: `cannot listen on ${o.host}:${o.port}: ${String(e)} (set FIBER_PORT to a free port)` })
    }),
    (server) => Effect.promise(() => server.stop(true))
  ).pipe(Effect.map((server) => ({ port: server.port ?? o.port, url: `http://${o.host}:${server.port ?? o.port}` })))
