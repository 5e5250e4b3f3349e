// Challenge API hardening (issue 10 item 6): requests sign method, path, body hash and timestamp; answers
// are verified against the API's hotkey when configured; plain http is refused except for loopback.
import { describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import { cryptoWaitReady, signatureVerify } from "@polkadot/util-crypto"
import { Effect, Exit, Redacted } from "effect"
import * as ChallengeApi from "../../src/challenges/ChallengeApi.ts"
import { HEADER_RESPONSE_SIGNATURE, HEADER_SIGNATURE, HEADER_TIMESTAMP, insecureUrlProblem, requestMessage, responseMessage } from "../../src/challenges/ChallengeApiAuth.ts"
import { decodeConfig } from "../../src/config/AppConfig.ts"
import type { HotkeySigner } from "../../src/domain/Miner.ts"

await cryptoWaitReady()
const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
const validator = kr.addFromUri("//ApiAuthValidator")
const apiKey = kr.addFromUri("//ChallengeApiServer")
const signer: HotkeySigner = { ss58: validator.address, publicKey: validator.publicKey, sign: (m) => validator.sign(m) }
const challenge = { id: "c-9", prompt: "Name the largest planet." }

/** An API that verifies the method/path/body/timestamp signature and signs its answers (or forges them). */
const startApi = (mode: "sign" | "unsigned" | "forged") => {
  const seen: Array<{ method: string; path: string; ok: boolean }> = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const body = req.method === "POST" ? await req.text() : null
      const ts = Number(req.headers.get(HEADER_TIMESTAMP))
      const hotkey = req.headers.get("x-hotkey") ?? ""
      const ok = signatureVerify(requestMessage({ method: req.method, path: url.pathname + url.search, body, timestampMs: ts, hotkey }), req.headers.get(HEADER_SIGNATURE) ?? "", hotkey).isValid
      seen.push({ method: req.method, path: url.pathname, ok })
      const text = url.pathname === "/challenge" ? JSON.stringify(challenge) : JSON.stringify({ ok: true })
      const status = ok ? 200 : 401
      const signWith = mode === "forged" ? kr.addFromUri("//Mallory") : apiKey
      const headers: Record<string, string> = {}
      if (mode !== "unsigned") {
        headers[HEADER_RESPONSE_SIGNATURE] = "0x" + Buffer.from(signWith.sign(responseMessage({ status, method: req.method, path: url.pathname + url.search, body: text, requestTimestampMs: ts }))).toString("hex")
      }
      return new Response(text, { status, headers })
    }
  })
  return { server, seen, url: `http://127.0.0.1:${server.port}` }
}
const client = (url: string, apiHotkey?: string) =>
  ChallengeApi.make({ baseUrl: url, apiKey: Redacted.make("k"), signer, timeoutMs: 2_000, now: Date.now, apiHotkey })

describe("Challenge API authentication", () => {
  test("the request signature binds method, path, body and timestamp (a replay elsewhere does not verify)", () => {
    const base = { method: "POST", path: "/response/batch", body: "{}", timestampMs: 1_700_000_000_000, hotkey: validator.address }
    const sig = validator.sign(requestMessage(base))
    expect(signatureVerify(requestMessage(base), sig, validator.address).isValid).toBe(true)
    for (const other of [{ ...base, method: "PUT" }, { ...base, path: "/admin" }, { ...base, body: "{\"x\":1}" }, { ...base, timestampMs: base.timestampMs + 1 }]) {
      expect(signatureVerify(requestMessage(other), sig, validator.address).isValid).toBe(false)
    }
  })
  test("signed answers from the configured API hotkey are accepted; unsigned or forged ones are Unauthenticated", async () => {
    const good = startApi("sign")
    const pulled = await Effect.runPromise(client(good.url, apiKey.address).pull)
    expect(pulled?.id).toBe("c-9")
    expect(good.seen.every((s) => s.ok)).toBe(true)
    for (const mode of ["unsigned", "forged"] as const) {
      const bad = startApi(mode)
      const exit = await Effect.runPromiseExit(client(bad.url, apiKey.address).pull)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain(mode === "unsigned" ? "carries no" : "does not verify")
      // without a configured API hotkey the reference behaviour stays: answers are taken as they come
      expect((await Effect.runPromise(client(bad.url).pull))?.id).toBe("c-9")
      bad.server.stop(true)
    }
    good.server.stop(true)
  })
  test("https is required except for loopback (config refuses http:// to a remote host)", async () => {
    expect(insecureUrlProblem("https://api.loosh.ai")).toBeUndefined()
    expect(insecureUrlProblem("http://127.0.0.1:8080")).toBeUndefined()
    expect(insecureUrlProblem("http://localhost:8080/x")).toBeUndefined()
    expect(insecureUrlProblem("http://[::1]:8080")).toBeUndefined()
    expect(insecureUrlProblem("http://api.loosh.ai")).toContain("https")
    const exit = await Effect.runPromiseExit(decodeConfig({ argv: [], env: { CHALLENGE_API_URL: "http://api.example.org" } }))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("CHALLENGE_API_URL")
    expect(Exit.isSuccess(await Effect.runPromiseExit(decodeConfig({ argv: [], env: { CHALLENGE_API_URL: "https://api.example.org" } })))).toBe(true)
  })
})
