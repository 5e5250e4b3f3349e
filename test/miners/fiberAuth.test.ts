// The authenticated Fiber key exchange (issue 10 item 4), over real HTTP on 127.0.0.1: the simulated miner
// signs its RSA key with its hotkey and checks the validator's signature over the encrypted key; a
// man-in-the-middle that substitutes the key, strips the signatures or replaces the encrypted key is caught;
// plain Loosh miners still work, counted as unauthenticated, unless the validator requires the variant.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { constants, publicEncrypt } from "node:crypto"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Effect, Exit } from "effect"
import { type FiberMiner, startFiberMiner } from "../../src/miners/sim/FiberServer.ts"
import { generateKey } from "../../src/miners/fiber/Fernet.ts"
import { makeFiberTransport } from "../../src/miners/fiber/FiberTransport.ts"
import { makeMinerRsaKey } from "../../src/miners/fiber/Handshake.ts"
import { pairFromUri, signerFromPair } from "../../src/miners/Signer.ts"
import type { SimHandler } from "../../src/miners/sim/SimAction.ts"
import type { InferenceRequest } from "../../src/domain/Inference.ts"
import type { HotkeySigner, MinerTarget } from "../../src/domain/Miner.ts"

const echo: SimHandler = async (r) => ({
  kind: "reply",
  delayMs: 0,
  reply: { response_text: `echo: ${r.request.prompt}`, tool_calls: [], finish_reason: "stop", usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }
})
const request: InferenceRequest = {
  challengeId: "c", prompt: "hello", messages: [{ role: "user", content: "hello" }], model: null, max_tokens: 16,
  temperature: null, top_p: null, tools: [], tool_choice: null
}

let validator: HotkeySigner
let minerPair: KeyringPair
const miners: Array<FiberMiner> = []
const servers: Array<ReturnType<typeof Bun.serve>> = []
beforeAll(async () => {
  validator = signerFromPair(await pairFromUri("//AuthFiberValidator"))
  minerPair = await pairFromUri("//AuthFiberMiner")
})
afterAll(async () => {
  for (const m of miners) await m.stop()
  for (const s of servers) s.stop(true)
})

const startMiner = async (extra: { authenticated?: boolean; requireAuthenticatedExchange?: boolean } = {}) => {
  const m = await startFiberMiner({ keypair: minerPair, port: 0, handler: echo, ...extra })
  miners.push(m)
  return m
}
const targetOf = (port: number): MinerTarget => ({ uid: 1, hotkey: minerPair.address, ip: "127.0.0.1", port })
const query = (t: ReturnType<typeof makeFiberTransport>, port: number) => Effect.runPromiseExit(t.query(targetOf(port), request, 5_000))
const failure = (exit: Exit.Exit<unknown, { readonly reason: string; readonly message: string }>) => {
  if (Exit.isSuccess(exit)) return "ok"
  const f = exit.cause.reasons.find((r) => r._tag === "Fail")
  return f !== undefined && f._tag === "Fail" ? `${f.error.reason}: ${f.error.message}` : "defect"
}

/** An HTTP man-in-the-middle in front of `port` that may rewrite the handshake. */
const mitm = (port: number, rewrite: { publicKey?: (j: Record<string, unknown>) => Record<string, unknown>; keyExchange?: (j: Record<string, unknown>) => Record<string, unknown> }) => {
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const headers = new Headers(req.headers)
      headers.delete("host")
      let body: string | undefined = req.method === "POST" ? await req.text() : undefined
      if (url.pathname === "/fiber/key-exchange" && rewrite.keyExchange !== undefined && body !== undefined) {
        body = JSON.stringify(rewrite.keyExchange(JSON.parse(body) as Record<string, unknown>))
      }
      const res = await fetch(`http://127.0.0.1:${port}${url.pathname}`, { method: req.method, headers, ...(body === undefined ? {} : { body }) })
      const bytes = await res.arrayBuffer()
      if (url.pathname === "/fiber/public-key" && rewrite.publicKey !== undefined) {
        return Response.json(rewrite.publicKey(JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>))
      }
      return new Response(bytes, { status: res.status, headers: res.headers })
    }
  })
  servers.push(s)
  return s.port!
}

describe("authenticated Fiber key exchange", () => {
  test("negotiated with the simulated miner: the key is bound to the miner's hotkey, the encrypted key to the validator's", async () => {
    const m = await startMiner()
    const t = makeFiberTransport({ signer: validator, requireAuthenticated: true })
    expect(failure(await query(t, m.port))).toBe("ok")
    expect(t.handshakeAuth()).toEqual({ authenticated: 1, unauthenticated: 0 })
    expect(m.stats().handshakesAuthenticated).toBe(1)
  })
  test("a plain Loosh miner still works, counted as unauthenticated; refused when the validator requires the variant", async () => {
    const plain = await startMiner({ authenticated: false })
    const t = makeFiberTransport({ signer: validator })
    expect(failure(await query(t, plain.port))).toBe("ok")
    expect(t.handshakeAuth()).toEqual({ authenticated: 0, unauthenticated: 1 })
    expect(plain.stats().handshakesAuthenticated).toBe(0)
    const strict = makeFiberTransport({ signer: validator, requireAuthenticated: true })
    expect(failure(await query(strict, plain.port))).toContain("does not offer the authenticated key exchange")
  })
  test("a man-in-the-middle substituting its RSA key is refused (the signature covers the key)", async () => {
    const m = await startMiner()
    const attacker = makeMinerRsaKey()
    const port = mitm(m.port, { publicKey: (j) => ({ ...j, public_key: attacker.publicKeyPem }) })
    const t = makeFiberTransport({ signer: validator })
    expect(failure(await query(t, port))).toContain("Unauthorized: handshake refused: public key signature does not verify")
    // a key signed by another registered hotkey is not this miner's either
    const other = await pairFromUri("//SomeOtherMiner")
    const port2 = mitm(m.port, { publicKey: (j) => ({ ...j, miner_hotkey_ss58: other.address }) })
    expect(failure(await query(t, port2))).toContain("but the metagraph lists")
  })
  test("stripping the signatures (downgrade) leaves the miner unauthenticated: counted, or refused when required", async () => {
    const m = await startMiner()
    const port = mitm(m.port, { publicKey: (j) => ({ public_key: j["public_key"] }) })
    const lax = makeFiberTransport({ signer: validator })
    expect(failure(await query(lax, port))).toBe("ok")
    expect(lax.handshakeAuth().unauthenticated).toBe(1)
    const strict = makeFiberTransport({ signer: validator, requireAuthenticated: true })
    expect(failure(await query(strict, port))).toContain("does not offer")
  })
  test("replacing the encrypted key in transit is refused by the miner (key_signature covers it)", async () => {
    const m = await startMiner()
    // the attacker cannot read the validator's key, but can encrypt one of its own to the miner's real key
    const res = await fetch(`http://127.0.0.1:${m.port}/fiber/public-key`)
    const pem = ((await res.json()) as { public_key: string }).public_key
    const attackerKey = publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from(generateKey(), "ascii")).toString("hex")
    const port = mitm(m.port, { keyExchange: (j) => ({ ...j, encrypted_symmetric_key: attackerKey }) })
    const t = makeFiberTransport({ signer: validator })
    expect(failure(await query(t, port))).toContain("key_signature does not cover this encrypted key")
    expect(m.stats().handshakesRejected).toBe(1)
  })
})
