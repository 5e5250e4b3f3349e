// An independent Challenge API client for the push endpoints, built only from the wire rules (issue 12 /
// PROTOCOLS.md): its own Fernet (spec: 0x80 ‖ ts u64 BE ‖ IV ‖ AES-128-CBC(PKCS7) ‖ HMAC-SHA256, base64url),
// RSA-OAEP-SHA256 of the Fernet key text, base64 on the wire, sr25519 over "{timestamp}.{key_uuid}.{hotkey}".
// Nothing here imports the validator's code.
import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes, randomUUID } from "node:crypto"
import type { KeyringPair } from "@polkadot/keyring/types"
import { u8aToHex } from "@polkadot/util"

/** base64url with padding, as Python's urlsafe_b64encode writes it. */
const b64url = (b: Buffer) => b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_")

export const fernetKeyText = (): string => b64url(randomBytes(32))

const b64urlDecode = (s: string) => Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64")

export const fernetEncrypt = (keyText: string, plaintext: string, nowMs = Date.now()): string => {
  const key = b64urlDecode(keyText)
  const sign = key.subarray(0, 16)
  const enc = key.subarray(16, 32)
  const iv = randomBytes(16)
  const cipher = createCipheriv("aes-128-cbc", enc, iv)
  const ct = Buffer.concat([cipher.update(Buffer.from(plaintext, "utf8")), cipher.final()])
  const ts = Buffer.alloc(8)
  ts.writeBigUInt64BE(BigInt(Math.floor(nowMs / 1000)))
  const body = Buffer.concat([Buffer.from([0x80]), ts, iv, ct])
  const mac = createHmac("sha256", sign).update(body).digest()
  return b64url(Buffer.concat([body, mac]))
}

/** Python's str(float) for a time.time()-like value with a fractional part (what the API sends). */
const pyTime = (ms: number) => {
  const s = (ms / 1000).toString()
  return s.includes(".") ? s : `${s}.5`
}

export interface PushSession {
  readonly keyText: string
  readonly keyUuid: string
  readonly hotkey: string
}

export const keyExchangeBody = (pair: KeyringPair, publicKeyPem: string, opts: { nowMs?: number; keyUuid?: string; badSignature?: boolean } = {}) => {
  const keyText = fernetKeyText()
  const keyUuid = opts.keyUuid ?? randomUUID()
  const ts = pyTime(opts.nowMs ?? Date.now())
  const encrypted = publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from(keyText, "ascii"))
  const message = `${ts}.${keyUuid}.${pair.address}`
  const sig = u8aToHex(pair.sign(new TextEncoder().encode(opts.badSignature === true ? message + "x" : message)))
  // the timestamp goes on the wire as a JSON number written exactly as it was signed
  const json = `{"encrypted_symmetric_key":${JSON.stringify(encrypted.toString("base64"))},"key_uuid":${JSON.stringify(keyUuid)},"timestamp":${ts},"signature":${JSON.stringify(sig)},"hotkey_ss58":${JSON.stringify(pair.address)}}`
  return { json, session: { keyText, keyUuid, hotkey: pair.address } satisfies PushSession }
}

export const pushClient = (baseUrl: string, pair: KeyringPair) => ({
  publicKey: async () => ((await (await fetch(`${baseUrl}/fiber/public-key`)).json()) as { public_key: string }).public_key,
  exchange: async (opts: { nowMs?: number; keyUuid?: string; badSignature?: boolean; pem?: string } = {}) => {
    const pem = opts.pem ?? ((await (await fetch(`${baseUrl}/fiber/public-key`)).json()) as { public_key: string }).public_key
    const { json, session } = keyExchangeBody(pair, pem, opts)
    const res = await fetch(`${baseUrl}/fiber/key-exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: json })
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, session, json }
  },
  push: async (session: PushSession, challenge: unknown) => {
    const res = await fetch(`${baseUrl}/fiber/challenge`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "symmetric-key-uuid": session.keyUuid, "hotkey-ss58-address": session.hotkey },
      body: fernetEncrypt(session.keyText, JSON.stringify(challenge))
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
})
