// Fernet tokens (the spec used by Python's `cryptography.fernet`), built on node:crypto primitives.
// token = base64url(0x80 ‖ ts(8, BE seconds) ‖ iv(16) ‖ AES-128-CBC-PKCS7(plaintext) ‖ HMAC-SHA256(all before))
// key   = base64url(signingKey(16) ‖ encryptionKey(16)). Facts: shared/docs/PROTOCOLS.md §3.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto"

const VERSION = 0x80
const HEADER_BYTES = 1 + 8 + 16
const MAC_BYTES = 32
/** Python's Fernet refuses tokens stamped more than 60 s in the future. */
export const MAX_CLOCK_SKEW_S = 60

export interface FernetKey {
  readonly signing: Buffer
  readonly encryption: Buffer
}

export type FernetDecodeFailure =
  | "BadKey"
  | "BadEncoding"
  | "TooShort"
  | "BadVersion"
  | "BadMac"
  | "BadPadding"
  | "Expired"
  | "FromTheFuture"

export type FernetResult =
  | { readonly ok: true; readonly plaintext: Buffer; readonly timestamp: number }
  | { readonly ok: false; readonly reason: FernetDecodeFailure }

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Strict url-safe base64 (padding optional); null when the text is not base64url. */
export const decodeBase64Url = (text: string): Buffer | null => {
  const s = text.trim()
  if (!B64URL.test(s)) return null
  const core = s.replace(/=+$/, "")
  if (core.length % 4 === 1) return null
  return Buffer.from(core, "base64url")
}

/** url-safe base64 with `=` padding, as Python's `base64.urlsafe_b64encode` writes it. */
export const encodeBase64Url = (bytes: Uint8Array): string => {
  const core = Buffer.from(bytes).toString("base64url")
  return core + "=".repeat((4 - (core.length % 4)) % 4)
}

/** A fresh random key in Python's `Fernet.generate_key()` text form (44 chars). */
export const generateKey = (): string => encodeBase64Url(randomBytes(32))

/** Parses a key; null unless it is base64url of exactly 32 bytes. */
export const parseKey = (key: string | Uint8Array): FernetKey | null => {
  const text = typeof key === "string" ? key : Buffer.from(key).toString("utf8")
  const raw = decodeBase64Url(text)
  if (raw === null || raw.length !== 32) return null
  return { signing: raw.subarray(0, 16), encryption: raw.subarray(16, 32) }
}

const asKey = (key: string | FernetKey): FernetKey => {
  if (typeof key !== "string") return key
  const k = parseKey(key)
  if (k === null) throw new Error("Fernet key must be 32 url-safe base64-encoded bytes")
  return k
}

export interface EncryptOptions {
  /** Token timestamp, seconds since epoch (default: now). */
  readonly nowSeconds?: number
  /** Fixed IV (tests only; default: 16 random bytes). */
  readonly iv?: Uint8Array
}

/** Encrypts and signs `plaintext`; returns the token as ASCII text. Throws only on a malformed key. */
export const encrypt = (key: string | FernetKey, plaintext: string | Uint8Array, options?: EncryptOptions): string => {
  const k = asKey(key)
  const iv = options?.iv !== undefined ? Buffer.from(options.iv) : randomBytes(16)
  if (iv.length !== 16) throw new Error("Fernet IV must be 16 bytes")
  const now = Math.floor(options?.nowSeconds ?? Date.now() / 1000)
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt8(VERSION, 0)
  header.writeBigUInt64BE(BigInt(now), 1)
  iv.copy(header, 9)
  const cipher = createCipheriv("aes-128-cbc", k.encryption, iv)
  const body = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : Buffer.from(plaintext)
  const ciphertext = Buffer.concat([cipher.update(body), cipher.final()])
  const signed = Buffer.concat([header, ciphertext])
  const mac = createHmac("sha256", k.signing).update(signed).digest()
  return encodeBase64Url(Buffer.concat([signed, mac]))
}

export interface DecryptOptions {
  /** Reject tokens older than this many seconds (Python's `ttl=`); no age check when absent. */
  readonly ttlSeconds?: number
  /** Current time in seconds since epoch (default: now). */
  readonly nowSeconds?: number
}

/**
 * Verifies and decrypts a token. Checks in Python's order: encoding, version, (ttl / clock skew), MAC,
 * then padding. Never throws on bad input; a malformed key yields `BadKey`.
 */
export const decrypt = (
  key: string | FernetKey,
  token: string | Uint8Array,
  options?: DecryptOptions
): FernetResult => {
  const k = typeof key === "string" ? parseKey(key) : key
  if (k === null) return { ok: false, reason: "BadKey" }
  const text = typeof token === "string" ? token : Buffer.from(token).toString("latin1")
  const data = decodeBase64Url(text)
  if (data === null) return { ok: false, reason: "BadEncoding" }
  if (data.length < HEADER_BYTES + MAC_BYTES + 16 || (data.length - HEADER_BYTES - MAC_BYTES) % 16 !== 0) {
    return { ok: false, reason: data.length < HEADER_BYTES + MAC_BYTES ? "TooShort" : "BadPadding" }
  }
  if (data.readUInt8(0) !== VERSION) return { ok: false, reason: "BadVersion" }
  const timestamp = Number(data.readBigUInt64BE(1))
  const now = options?.nowSeconds ?? Date.now() / 1000
  if (options?.ttlSeconds !== undefined) {
    if (timestamp + options.ttlSeconds < now) return { ok: false, reason: "Expired" }
    if (now + MAX_CLOCK_SKEW_S < timestamp) return { ok: false, reason: "FromTheFuture" }
  }
  const signed = data.subarray(0, data.length - MAC_BYTES)
  const mac = data.subarray(data.length - MAC_BYTES)
  const expected = createHmac("sha256", k.signing).update(signed).digest()
  if (!timingSafeEqual(mac, expected)) return { ok: false, reason: "BadMac" }
  const iv = data.subarray(9, HEADER_BYTES)
  try {
    const decipher = createDecipheriv("aes-128-cbc", k.encryption, iv)
    const plaintext = Buffer.concat([decipher.update(signed.subarray(HEADER_BYTES)), decipher.final()])
    return { ok: true, plaintext, timestamp }
  } catch {
    return { ok: false, reason: "BadPadding" }
  }
}
