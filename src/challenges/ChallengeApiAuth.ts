// Challenge API transport security beyond the reference scheme (which signs only "{nonce}:{hotkey}:{sha256(body)}",
// so a captured request can be replayed to another path or method, and answers are not authenticated):
//  - requests also carry X-Quorum-Signature = 0x + sr25519 over the canonical text
//      "quorum-api-v1\n{METHOD}\n{path?query}\n{sha256_hex(body or "")}\n{timestamp}\n{hotkey}"
//    with X-Quorum-Timestamp (ms since epoch); the reference headers stay for Loosh APIs;
//  - answers are verified when the API's hotkey is configured (CHALLENGE_API_HOTKEY): X-Quorum-Response-Signature
//    = sr25519 over "quorum-api-v1-response\n{status}\n{METHOD}\n{path?query}\n{sha256_hex(response body)}\n{request timestamp}",
//    bound to the request's timestamp so an old answer cannot be replayed;
//  - the URL must be https, except for loopback hosts (the API key would otherwise travel in clear).
import { createHash } from "node:crypto"
import { verifyHotkeySignature } from "../miners/Signer.ts"
import type { HotkeySigner } from "../domain/Miner.ts"

export const HEADER_SIGNATURE = "X-Quorum-Signature"
export const HEADER_TIMESTAMP = "X-Quorum-Timestamp"
export const HEADER_RESPONSE_SIGNATURE = "X-Quorum-Response-Signature"

const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex")

export const requestMessage = (p: { method: string; path: string; body: string | null; timestampMs: number; hotkey: string }): string =>
  `quorum-api-v1\n${p.method.toUpperCase()}\n${p.path}\n${sha256Hex(p.body ?? "")}\n${p.timestampMs}\n${p.hotkey}`

export const responseMessage = (p: { status: number; method: string; path: string; body: string; requestTimestampMs: number }): string =>
  `quorum-api-v1-response\n${p.status}\n${p.method.toUpperCase()}\n${p.path}\n${sha256Hex(p.body)}\n${p.requestTimestampMs}`

/** The extra request headers: method, path, body hash and timestamp, signed with the validator hotkey. */
export const requestAuthHeaders = (signer: HotkeySigner, method: string, path: string, body: string | null, timestampMs: number): Record<string, string> => ({
  [HEADER_TIMESTAMP]: String(timestampMs),
  [HEADER_SIGNATURE]:
    "0x" + Buffer.from(signer.sign(new TextEncoder().encode(requestMessage({ method, path, body, timestampMs, hotkey: signer.ss58 })))).toString("hex")
})

/** Why an answer is not authentic for `apiHotkey`, or undefined when its signature verifies. */
export const responseProblem = (
  apiHotkey: string,
  signature: string | null,
  p: { status: number; method: string; path: string; body: string; requestTimestampMs: number }
): string | undefined => {
  if (signature === null) return `the answer carries no ${HEADER_RESPONSE_SIGNATURE}`
  return verifyHotkeySignature(responseMessage(p), signature, apiHotkey) ? undefined : `${HEADER_RESPONSE_SIGNATURE} does not verify for ${apiHotkey}`
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"])

/** Why a Challenge API URL is not acceptable (plain http to a non-loopback host), or undefined. */
export const insecureUrlProblem = (url: string): string | undefined => {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return "it is not a URL"
  }
  if (u.protocol === "https:") return undefined
  if (u.protocol === "http:" && (LOOPBACK.has(u.hostname) || /^127\./.test(u.hostname))) return undefined
  return `${u.protocol}// to ${u.hostname} would send the API key and challenges in clear; use https:// (plain http only for loopback)`
}
