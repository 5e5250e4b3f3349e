// The authenticated Fiber key exchange (issue 10 item 4). Loosh's handshake lets a man-in-the-middle swap
// the miner's RSA key: the key comes over plain HTTP bound to nothing, and the validator's signature covers
// only "{timestamp}.{nonce}.{ss58}", not the encrypted key. The variant, negotiated and backward compatible:
//  1. GET /fiber/public-key with `x-fiber-auth: v1` (an offer; plain Loosh miners ignore it). A miner that
//     speaks it adds `miner_hotkey_ss58` and `public_key_signature` = 0x + sr25519(miner hotkey) over
//     "quorum-fiber-auth-v1.public-key.{sha256_hex(pem)}.{miner ss58}"; the validator checks the hotkey is
//     the metagraph's and the signature verifies (a failure is refused: a substituted key).
//  2. POST /fiber/key-exchange adds `key_signature` = 0x + sr25519(validator hotkey) over
//     "quorum-fiber-auth-v1.key-exchange.{timestamp}.{nonce}.{validator}.{miner}.{symmetric_key_uuid}.{sha256_hex(encrypted_symmetric_key)}"
//     so the encrypted key cannot be replaced in transit; the plain `signature` stays for Loosh miners.
// Miners that do not answer with a signed key stay usable (unauthenticated, counted and logged) unless
// the validator requires the variant (FIBER_REQUIRE_AUTH).
import { createHash } from "node:crypto"
import type { KeyringPair } from "@polkadot/keyring/types"
import { pyFloatRepr } from "./Handshake.ts"
import { signatureHex, verifyHotkeySignature } from "../Signer.ts"
import type { HotkeySigner } from "../../domain/Miner.ts"

export const AUTH_HEADER = "x-fiber-auth"
export const AUTH_VERSION = "v1"

const sha256Hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex")

export const publicKeyMessage = (pem: string, minerSs58: string): string => `quorum-fiber-auth-v1.public-key.${sha256Hex(pem)}.${minerSs58}`

export const keyExchangeAuthMessage = (p: {
  readonly timestamp: number
  readonly nonce: string
  readonly validator: string
  readonly miner: string
  readonly uuid: string
  readonly encryptedKeyHex: string
}): string =>
  `quorum-fiber-auth-v1.key-exchange.${pyFloatRepr(p.timestamp)}.${p.nonce}.${p.validator}.${p.miner}.${p.uuid}.${sha256Hex(p.encryptedKeyHex)}`

/** Miner side: the public-key answer, signed when the miner speaks the variant. */
export const publicKeyAnswer = (pem: string, miner: KeyringPair, authenticated: boolean): Record<string, string> =>
  authenticated
    ? {
      public_key: pem,
      miner_hotkey_ss58: miner.address,
      public_key_signature: "0x" + Buffer.from(miner.sign(new TextEncoder().encode(publicKeyMessage(pem, miner.address)))).toString("hex"),
      auth: AUTH_VERSION
    }
    : { public_key: pem }

export type PublicKeyVerdict =
  | { readonly _tag: "Authenticated" }
  | { readonly _tag: "Unauthenticated" }
  | { readonly _tag: "Forged"; readonly message: string }

/** Validator side: is the miner's key signed by the hotkey the metagraph lists for it? */
export const verifyPublicKeyAnswer = (answer: Record<string, unknown>, expectedMiner: string): PublicKeyVerdict => {
  const sig = answer["public_key_signature"]
  const who = answer["miner_hotkey_ss58"]
  const pem = answer["public_key"]
  if (sig === undefined && who === undefined) return { _tag: "Unauthenticated" }
  if (typeof sig !== "string" || typeof who !== "string" || typeof pem !== "string") {
    return { _tag: "Forged", message: "public key answer has a malformed signature block" }
  }
  if (who !== expectedMiner) return { _tag: "Forged", message: `public key signed by ${who}, but the metagraph lists ${expectedMiner}` }
  if (!verifyHotkeySignature(publicKeyMessage(pem, who), sig, who)) {
    return { _tag: "Forged", message: "public key signature does not verify for the miner's hotkey (a substituted key?)" }
  }
  return { _tag: "Authenticated" }
}

/** Validator side: the key_signature field for an authenticated key exchange. */
export const keyExchangeSignature = (
  signer: HotkeySigner,
  body: { readonly timestamp: number; readonly nonce: string; readonly symmetric_key_uuid: string; readonly encrypted_symmetric_key: string },
  miner: string
): string =>
  signatureHex(
    signer,
    keyExchangeAuthMessage({ timestamp: body.timestamp, nonce: body.nonce, validator: signer.ss58, miner, uuid: body.symmetric_key_uuid, encryptedKeyHex: body.encrypted_symmetric_key })
  )

/** Miner side: undefined when the key exchange is acceptable, else why not (401). */
export const keyExchangeAuthProblem = (
  body: Record<string, unknown>,
  miner: string,
  requireAuthenticated: boolean
): string | undefined => {
  const sig = body["key_signature"]
  if (sig === undefined || sig === null) return requireAuthenticated ? "this miner requires the authenticated key exchange (key_signature)" : undefined
  if (typeof sig !== "string") return "key_signature is not a string"
  const { timestamp, nonce, validator_hotkey_ss58, symmetric_key_uuid, encrypted_symmetric_key } = body
  if (typeof timestamp !== "number" || typeof nonce !== "string" || typeof validator_hotkey_ss58 !== "string" || typeof symmetric_key_uuid !== "string" || typeof encrypted_symmetric_key !== "string") {
    return "key exchange fields missing"
  }
  const message = keyExchangeAuthMessage({ timestamp, nonce, validator: validator_hotkey_ss58, miner, uuid: symmetric_key_uuid, encryptedKeyHex: encrypted_symmetric_key })
  return verifyHotkeySignature(message, sig, validator_hotkey_ss58) ? undefined : "key_signature does not cover this encrypted key for this miner"
}
