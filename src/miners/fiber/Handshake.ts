// The Fiber (Loosh miner v1.2) key exchange: wire schemas, the signed message, and both sides'
// pure steps. Facts: shared/docs/PROTOCOLS.md §3, checked against the Loosh validator/miner sources:
//  - GET  /fiber/public-key   → {public_key: PEM (RSA-2048, SubjectPublicKeyInfo)}
//  - POST /fiber/key-exchange   {encrypted_symmetric_key: hex(RSA-OAEP-SHA256(fernetKeyText)),
//                                symmetric_key_uuid: uuid4, timestamp: float, nonce: uuid4,
//                                signature: "0x"+sr25519("{timestamp}.{nonce}.{ss58}"), validator_hotkey_ss58}
//                             → {success: true, message}
//  What is RSA-encrypted is the Fernet key *text* (44 base64url chars), as Python's
//  `Fernet.generate_key()` returns it and `Fernet(decrypted_bytes)` expects it.
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, privateDecrypt, publicEncrypt, randomUUID } from "node:crypto"
import { Schema } from "effect"
import { signatureHex, verifyHotkeySignature } from "../Signer.ts"
import type { HotkeySigner } from "../../domain/Miner.ts"
import { generateKey, parseKey } from "./Fernet.ts"

export const PUBLIC_KEY_PATH = "/fiber/public-key"
export const KEY_EXCHANGE_PATH = "/fiber/key-exchange"
export const CHALLENGE_PATH = "/fiber/challenge"
export const AVAILABILITY_PATH = "/availability"
export const HEADER_VALIDATOR = "x-fiber-validator-hotkey-ss58"
export const HEADER_KEY_UUID = "x-fiber-symmetric-key-uuid"
export const HEADER_MINER = "x-fiber-miner-hotkey-ss58"
/** Extra (optional) signed-probe headers for GET /availability; the reference ignores them. */
export const HEADER_TIMESTAMP = "x-fiber-timestamp"
export const HEADER_NONCE = "x-fiber-nonce"
export const HEADER_SIGNATURE = "x-fiber-signature"

// ---------------------------------------------------------------------------------------------
// Python float formatting (the timestamp quirk)

/**
 * Python's `repr(float)` / `str(float)` / `f"{x}"`: shortest round-trip digits, always a `.0` on
 * integral values, scientific notation when the decimal exponent is < -4 or ≥ 16 (`1e-05`, `1e+16`).
 * The miner re-renders the JSON timestamp with Python, so the validator must sign exactly this text.
 */
export const pyFloatRepr = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const sign = x < 0 ? "-" : ""
  const [mant = "0", expText = "0"] = Math.abs(x).toExponential().split("e")
  const exp = Number(expText)
  const digits = mant.replace(".", "")
  if (exp < -4 || exp >= 16) {
    const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`
    const e = Math.abs(exp).toString().padStart(2, "0")
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`
  const intLen = exp + 1
  if (digits.length <= intLen) return `${sign}${digits}${"0".repeat(intLen - digits.length)}.0`
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`
}

/** `time.time()`-like seconds with sub-ms precision, never integral (an integral float would be
 * signed as "…0" by JS but re-rendered as "….0" by Python: see PROTOCOLS.md §3). */
export const handshakeTimestamp = (nowMs: number = performance.timeOrigin + performance.now()): number => {
  const t = nowMs / 1000
  return Number.isInteger(t) ? t + 0.000_001 : t
}

/** The message the validator signs: `"{timestamp}.{nonce}.{ss58}"` with Python float rendering. */
export const keyExchangeMessage = (timestamp: number, nonce: string, ss58: string): string =>
  `${pyFloatRepr(timestamp)}.${nonce}.${ss58}`

// ---------------------------------------------------------------------------------------------
// Wire schemas

export const PublicKeyResponse = Schema.Struct({ public_key: Schema.String })
export type PublicKeyResponse = typeof PublicKeyResponse.Type

export const KeyExchangeRequest = Schema.Struct({
  encrypted_symmetric_key: Schema.String,
  symmetric_key_uuid: Schema.String,
  timestamp: Schema.Number,
  nonce: Schema.String,
  signature: Schema.String,
  validator_hotkey_ss58: Schema.String
})
export type KeyExchangeRequest = typeof KeyExchangeRequest.Type

export const KeyExchangeResponse = Schema.Struct({ success: Schema.Boolean, message: Schema.optional(Schema.String) })
export type KeyExchangeResponse = typeof KeyExchangeResponse.Type

/** Body of a 401 from /fiber/challenge that asks for a new handshake. */
export const RequiresHandshake = Schema.Struct({
  requires_handshake: Schema.Boolean,
  public_key: Schema.optional(Schema.String)
})

// ---------------------------------------------------------------------------------------------
// Validator side

export interface PreparedExchange {
  /** Fernet key text (44 chars) now shared with the miner. */
  readonly fernetKey: string
  readonly uuid: string
  readonly body: KeyExchangeRequest
}

/** Builds the signed key-exchange body for a miner's PEM public key. Throws on an unusable PEM. */
export const prepareKeyExchange = (
  publicKeyPem: string,
  signer: HotkeySigner,
  nowMs?: number
): PreparedExchange => {
  const publicKey = createPublicKey(publicKeyPem)
  if (publicKey.asymmetricKeyType !== "rsa") throw new Error(`miner key is ${publicKey.asymmetricKeyType}, not RSA`)
  const fernetKey = generateKey()
  const encrypted = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    Buffer.from(fernetKey, "ascii")
  )
  const timestamp = handshakeTimestamp(nowMs)
  const nonce = randomUUID()
  const uuid = randomUUID()
  return {
    fernetKey,
    uuid,
    body: {
      encrypted_symmetric_key: encrypted.toString("hex"),
      symmetric_key_uuid: uuid,
      timestamp,
      nonce,
      signature: signatureHex(signer, keyExchangeMessage(timestamp, nonce, signer.ss58)),
      validator_hotkey_ss58: signer.ss58
    }
  }
}

/** JSON text of a key-exchange body with the timestamp written exactly as it was signed. */
export const keyExchangeJson = (body: KeyExchangeRequest): string =>
  JSON.stringify({ ...body, timestamp: "__TS__" }).replace('"__TS__"', pyFloatRepr(body.timestamp))

// ---------------------------------------------------------------------------------------------
// Miner side

export interface MinerRsaKey {
  readonly privateKey: KeyObject
  readonly publicKeyPem: string
}

/** A fresh RSA-2048 key (what a Loosh miner makes at start), or one loaded from a PKCS#8 PEM. */
export const makeMinerRsaKey = (privateKeyPem?: string): MinerRsaKey => {
  const privateKey = privateKeyPem !== undefined
    ? createPrivateKey(privateKeyPem)
    : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString()
  return { privateKey, publicKeyPem }
}

export type KeyExchangeVerdict =
  | { readonly ok: true; readonly fernetKey: string; readonly validator: string; readonly uuid: string }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly message: string }

export interface VerifyOptions {
  readonly rsa: MinerRsaKey
  readonly nowMs: number
  /** Accepted |now − timestamp| in seconds. */
  readonly maxSkewSeconds: number
  /** Returns true when the nonce was unseen (and records it). */
  readonly claimNonce: (nonce: string) => boolean
  readonly allowedValidators?: ReadonlyArray<string> | undefined
}

/** Checks a key-exchange body as a careful miner does: signature, freshness, replay, then RSA. */
export const verifyKeyExchange = (body: KeyExchangeRequest, o: VerifyOptions): KeyExchangeVerdict => {
  const message = keyExchangeMessage(body.timestamp, body.nonce, body.validator_hotkey_ss58)
  if (!verifyHotkeySignature(message, body.signature, body.validator_hotkey_ss58)) {
    return { ok: false, status: 401, message: "signature does not verify for validator_hotkey_ss58" }
  }
  if (o.allowedValidators !== undefined && !o.allowedValidators.includes(body.validator_hotkey_ss58)) {
    return { ok: false, status: 403, message: "validator not allowed" }
  }
  if (Math.abs(o.nowMs / 1000 - body.timestamp) > o.maxSkewSeconds) {
    return { ok: false, status: 401, message: "stale or future timestamp" }
  }
  if (!o.claimNonce(body.nonce)) return { ok: false, status: 401, message: "nonce already used" }
  if (!/^[0-9a-fA-F]+$/.test(body.encrypted_symmetric_key) || body.encrypted_symmetric_key.length % 2 !== 0) {
    return { ok: false, status: 400, message: "encrypted_symmetric_key is not hex" }
  }
  let keyText: string
  try {
    keyText = privateDecrypt(
      { key: o.rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      Buffer.from(body.encrypted_symmetric_key, "hex")
    ).toString("ascii")
  } catch {
    return { ok: false, status: 400, message: "cannot decrypt the symmetric key" }
  }
  if (parseKey(keyText) === null) return { ok: false, status: 400, message: "symmetric key is not a Fernet key" }
  return { ok: true, fernetKey: keyText, validator: body.validator_hotkey_ss58, uuid: body.symmetric_key_uuid }
}
