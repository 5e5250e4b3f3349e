// FiberTransport ↔ FiberServer over real sockets on 127.0.0.1: round trip, session reuse, re-handshake
// after a miner restart, rejected signatures, tampering, fault cases in one round, latency.
import type { KeyringPair } from "@polkadot/keyring/types"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Result } from "effect"
import { encrypt, generateKey } from "../../src/miners/fiber/Fernet.ts"
import { type FiberMiner, type FiberMinerOptions, startFiberMiner } from "../../src/miners/sim/FiberServer.ts"
import { makeFiberTransport } from "../../src/miners/fiber/FiberTransport.ts"
import { HEADER_KEY_UUID, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_VALIDATOR } from "../../src/miners/fiber/Handshake.ts"
import { minerKey } from "../../src/miners/fiber/SessionCache.ts"
import type { SimAction, SimHandler, SimReply, SimRequest } from "../../src/miners/sim/SimAction.ts"
import { pairFromUri, signerFromPair } from "../../src/miners/Signer.ts"
import type { MinerError } from "../../src/miners/Transport.ts"
import type { InferenceRequest } from "../../src/domain/Inference.ts"
import type { HotkeySigner, MinerTarget } from "../../src/domain/Miner.ts"

let validatorPair: KeyringPair
let validator: HotkeySigner
let mallory: HotkeySigner
const minerPairs: Array<KeyringPair> = []
const started: Array<FiberMiner> = []

beforeAll(async () => {
  validatorPair = await pairFromUri("//FiberValidator")
  validator = signerFromPair(validatorPair)
  mallory = signerFromPair(await pairFromUri("//Mallory"))
  for (let i = 0; i < 10; i++) minerPairs.push(await pairFromUri(`//FiberMiner${i}`))
})
afterAll(async () => {
  await Promise.all(started.map((m) => m.stop()))
})

const pair = (i: number): KeyringPair => {
  const p = minerPairs[i]
  if (p === undefined) throw new Error(`no miner pair ${i}`)
  return p
}

const start = async (i: number, handler: SimHandler, extra?: Partial<FiberMinerOptions>) => {
  const m = await startFiberMiner({ keypair: pair(i), port: 0, handler, ...extra })
  started.push(m)
  return m
}

const target = (uid: number, m: { port: number; hotkey: string }): MinerTarget => ({
  uid,
  hotkey: m.hotkey,
  ip: "127.0.0.1",
  port: m.port
})

const reply = (text: string): SimReply => ({
  response_text: text,
  tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{\"q\":1}" } }],
  finish_reason: "stop",
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }
})

const act = (a: SimAction): SimHandler => () => Promise.resolve(a)
const echo: SimHandler = (r) => Promise.resolve({ kind: "reply", reply: reply(`echo: ${r.request.prompt}`), delayMs: 0 })

const request = (prompt: string): InferenceRequest => ({
  challengeId: `ch-${prompt}`,
  prompt,
  messages: [{ role: "user", content: prompt }],
  model: "test-model",
  max_tokens: 64,
  temperature: 0.7,
  top_p: null,
  tools: [],
  tool_choice: null
})

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)
const failure = async <A>(e: Effect.Effect<A, MinerError>): Promise<MinerError> => {
  const r = await run(Effect.result(e))
  if (Result.isSuccess(r)) throw new Error(`expected a MinerError, got ${JSON.stringify(r.success)}`)
  return r.failure
}

/** A free port with nothing listening (bound then released). */
const closedPort = async () => {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") })
  const p = s.port
  await s.stop(true)
  if (p === undefined) throw new Error("no port")
  return p
}

describe("Fiber round trips", () => {
  test("round trip: handshake, encrypted challenge, decrypted and validated reply", async () => {
    const seen: Array<SimRequest> = []
    const m = await start(0, (r) => {
      seen.push(r)
      return echo(r)
    })
    const t = makeFiberTransport({ signer: validator })
    const r = await run(t.query(target(1, m), request("what is fiber?"), 5_000))
    expect(r.responseText).toBe("echo: what is fiber?")
    expect(r.finishReason).toBe("stop")
    expect(r.usage).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 })
    expect(r.toolCalls).toHaveLength(1)
    expect(r.toolCalls[0]?.function.name).toBe("lookup")
    expect(r.status).toBe(200)
    expect(r.latencyMs).toBeGreaterThan(0)
    expect(seen).toHaveLength(1)
    expect(seen[0]?.validatorHotkey).toBe(validator.ss58)
    expect(seen[0]?.request.challengeId).toBe("ch-what is fiber?")
    expect(seen[0]?.request.temperature).toBe(0.7)
    expect(m.stats().handshakes).toBe(1)
    expect(await run(t.availability(target(1, m), 2_000))).toBe(true)
  })

  test("session reuse: later queries (also concurrent ones) do no handshake", async () => {
    const m = await start(1, echo)
    const t = makeFiberTransport({ signer: validator })
    const tg = target(2, m)
    // 6 concurrent first queries share one single-flight handshake
    const first = await run(Effect.all([1, 2, 3, 4, 5, 6].map((i) => t.query(tg, request(`q${i}`), 5_000)), { concurrency: "unbounded" }))
    expect(first.map((r) => r.responseText)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `echo: q${i}`))
    expect(m.stats().handshakes).toBe(1)
    await run(t.query(tg, request("again"), 5_000))
    await run(t.query(tg, request("and again"), 5_000))
    expect(m.stats().handshakes).toBe(1)
    expect(t.handshakeCount()).toBe(1)
    expect(m.stats().challenges).toBe(8)
  })

  test("session expiry on the validator side triggers a new handshake", async () => {
    let clock = 1_000_000
    const m = await start(2, echo)
    const t = makeFiberTransport({ signer: validator, sessionTtlMs: 60_000, now: () => clock })
    await run(t.query(target(3, m), request("a"), 5_000))
    clock += 59_000
    await run(t.query(target(3, m), request("b"), 5_000))
    expect(m.stats().handshakes).toBe(1)
    clock += 2_000
    await run(t.query(target(3, m), request("c"), 5_000))
    expect(m.stats().handshakes).toBe(2)
  })

  test("miner restart (new RSA key, sessions lost) → 401 → one re-handshake → success", async () => {
    const m1 = await startFiberMiner({ keypair: pair(3), port: 0, handler: echo })
    const t = makeFiberTransport({ signer: validator })
    const port = m1.port
    await run(t.query(target(4, m1), request("before"), 5_000))
    const uuidBefore = t.sessions.get(minerKey(target(4, m1)))?.uuid
    await m1.stop()
    const m2 = await start(3, echo, { port })
    expect(m2.port).toBe(port)
    const r = await run(t.query(target(4, m2), request("after"), 5_000))
    expect(r.responseText).toBe("echo: after")
    expect(m2.stats()).toMatchObject({ handshakes: 1, challenges: 1, challengesRejected: 1 })
    expect(t.handshakeCount()).toBe(2)
    expect(t.sessions.get(minerKey(target(4, m2)))?.uuid).not.toBe(uuidBefore)
    // forgotten sessions on a live miner behave the same
    m2.forgetSessions()
    expect((await run(t.query(target(4, m2), request("forgot"), 5_000))).responseText).toBe("echo: forgot")
    expect(m2.stats().handshakes).toBe(2)
  })

  test("a miner that keeps refusing the session: exactly one re-handshake, then Unauthorized 401", async () => {
    const m = await start(4, echo, { sessionTtlMs: 0 })
    const t = makeFiberTransport({ signer: validator })
    const e = await failure(t.query(target(5, m), request("x"), 5_000))
    expect(e.reason).toBe("Unauthorized")
    expect(e.status).toBe(401)
    expect(e.uid).toBe(5)
    expect(m.stats().handshakes).toBe(2)
    expect(m.stats().challengesRejected).toBe(2)
  })
})

describe("Fiber security", () => {
  test("key exchange signed by another hotkey is rejected; allow-list refuses others", async () => {
    const m = await start(5, echo)
    const impostor: HotkeySigner = { ss58: validator.ss58, publicKey: validator.publicKey, sign: mallory.sign }
    const e = await failure(makeFiberTransport({ signer: impostor }).query(target(6, m), request("x"), 5_000))
    expect(e.reason).toBe("Unauthorized")
    expect(e.status).toBe(401)
    expect(m.stats()).toMatchObject({ handshakes: 0, handshakesRejected: 1, challenges: 0 })

    const guarded = await start(6, echo, { allowedValidators: [validator.ss58] })
    const e2 = await failure(makeFiberTransport({ signer: mallory }).query(target(7, guarded), request("x"), 5_000))
    expect(e2).toMatchObject({ reason: "Unauthorized", status: 403 })
    expect((await run(makeFiberTransport({ signer: validator }).query(target(7, guarded), request("ok"), 5_000))).responseText).toBe(
      "echo: ok"
    )
  })

  test("tampered challenge ciphertext and a foreign key are refused by the miner with 401 + requires_handshake", async () => {
    const m = await start(7, echo)
    const t = makeFiberTransport({ signer: validator })
    await run(t.query(target(8, m), request("x"), 5_000))
    const s = t.sessions.get(minerKey(target(8, m)))
    expect(s).toBeDefined()
    if (s === undefined) return
    const token = Buffer.from(encrypt(s.fernetKey, JSON.stringify({ id: "t", prompt: "p" })), "base64url")
    token[40] = (token[40] ?? 0) ^ 0xff
    const post = (body: string, uuid = s.uuid) =>
      fetch(`http://127.0.0.1:${m.port}/fiber/challenge`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", [HEADER_VALIDATOR]: validator.ss58, [HEADER_KEY_UUID]: uuid },
        body
      })
    const r1 = await post(token.toString("base64url"))
    expect(r1.status).toBe(401)
    expect(await r1.json()).toMatchObject({ requires_handshake: true })
    const r2 = await post(encrypt(generateKey(), "{}"))
    expect(r2.status).toBe(401)
    const r3 = await post(encrypt(s.fernetKey, "{}"), "unknown-uuid")
    expect(r3.status).toBe(401)
    expect(m.stats().challenges).toBe(1)
  })

  test("tampered / foreign / unencrypted reply → ProtocolError", async () => {
    const foreign = await start(8, act({ kind: "raw", status: 200, body: encrypt(generateKey(), "{}"), delayMs: 0 }))
    const plain = await start(9, act({ kind: "raw", status: 200, body: JSON.stringify(reply("not encrypted")), delayMs: 0 }))
    const t = makeFiberTransport({ signer: validator })
    const [a, b] = await Promise.all([
      failure(t.query(target(9, foreign), request("x"), 5_000)),
      failure(t.query(target(10, plain), request("x"), 5_000))
    ])
    expect(a.reason).toBe("ProtocolError")
    expect(b.reason).toBe("ProtocolError")
    expect(a.latencyMs).not.toBeNull()
  })

  test("availability: unsigned probes answered, a wrong probe signature is refused", async () => {
    const m = await start(0, echo)
    const ok = await fetch(`http://127.0.0.1:${m.port}/availability`)
    expect(await ok.json()).toEqual({ available: true })
    const bad = await fetch(`http://127.0.0.1:${m.port}/availability`, {
      headers: {
        [HEADER_VALIDATOR]: validator.ss58,
        [HEADER_TIMESTAMP]: "1763880000.5",
        [HEADER_NONCE]: "n",
        [HEADER_SIGNATURE]: `0x${"ab".repeat(64)}`
      }
    })
    expect(bad.status).toBe(401)
    const e = await failure(makeFiberTransport({ signer: validator }).availability({ uid: 1, hotkey: "x", ip: "127.0.0.1", port: await closedPort() }, 1_000))
    expect(e).toMatchObject({ reason: "ConnectError", status: 503 })
  })
})

describe("Fiber faults in one round", () => {
  test("each fault yields its typed error and the honest miner is unaffected", async () => {
    const honest = await start(0, echo)
    const hang = await start(1, act({ kind: "hang" }))
    const slow = await start(2, act({ kind: "slow-body", reply: reply("slow"), totalMs: 3_000 }))
    const junkJson = await start(3, act({ kind: "raw", status: 200, body: "{not json", delayMs: 0 }), { encryptRaw: true })
    const wrongTypes = await start(4, act({ kind: "raw", status: 200, body: JSON.stringify({ response_text: 42 }), delayMs: 0 }), {
      encryptRaw: true
    })
    const huge = await start(5, act({ kind: "raw", status: 200, body: "x".repeat(300_000), delayMs: 0 }))
    const dropped = await start(6, act({ kind: "drop" }))
    const broken = await start(7, act({ kind: "raw", status: 500, body: JSON.stringify({ detail: "boom" }), delayMs: 0 }))
    const refusedPort = await closedPort()
    const targets: Array<MinerTarget> = [
      target(0, honest),
      target(1, hang),
      target(2, slow),
      target(3, junkJson),
      target(4, wrongTypes),
      target(5, huge),
      target(6, dropped),
      target(7, broken),
      { uid: 8, hotkey: "5Offline", ip: "127.0.0.1", port: refusedPort }
    ]
    const t = makeFiberTransport({ signer: validator, maxBodyBytes: 100_000, handshakeTimeoutMs: 2_000 })
    const t0 = performance.now()
    const results = await run(
      Effect.all(targets.map((tg) => Effect.result(t.query(tg, request(`p${tg.uid}`), 600))), { concurrency: "unbounded" })
    )
    const elapsed = performance.now() - t0
    const outcome = results.map((r) => (Result.isSuccess(r) ? `ok:${r.success.responseText}` : `${r.failure.reason}:${r.failure.status}`))
    expect(outcome).toEqual([
      "ok:echo: p0",
      "Timeout:408",
      "Timeout:408",
      "Unparsable:422",
      "Unparsable:422",
      "BodyTooLarge:413",
      "ConnectError:503",
      "HttpStatus:500",
      "ConnectError:503"
    ])
    for (const [i, r] of results.entries()) if (Result.isFailure(r)) expect(r.failure.uid).toBe(i)
    expect(elapsed).toBeLessThan(3_000)
  }, 15_000)

  test("interrupting a query (round deadline) aborts it promptly", async () => {
    const m = await start(9, act({ kind: "hang" }))
    const t = makeFiberTransport({ signer: validator })
    const t0 = performance.now()
    const r = await run(Effect.result(Effect.timeout(t.query(target(1, m), request("x"), 10_000), "300 millis")))
    expect(Result.isFailure(r)).toBe(true)
    expect(performance.now() - t0).toBeLessThan(2_000)
    expect(m.stats().challenges).toBe(1)
    // the miner notices the validator gave up and releases the held request
    for (let i = 0; i < 50 && m.stats().hanging > 0; i++) await Bun.sleep(20)
    expect(m.stats().hanging).toBe(0)
  }, 10_000)

  test("latency excludes the handshake", async () => {
    const m = await start(8, act({ kind: "reply", reply: reply("fast"), delayMs: 20 }), { handshakeDelayMs: 400 })
    const t = makeFiberTransport({ signer: validator })
    const t0 = performance.now()
    const r = await run(t.query(target(1, m), request("x"), 5_000))
    const wall = performance.now() - t0
    expect(wall).toBeGreaterThan(400)
    expect(r.latencyMs).toBeGreaterThanOrEqual(19)
    expect(r.latencyMs).toBeLessThan(250)
    expect(m.stats().handshakes).toBe(1)
  }, 10_000)

  test("a slow body that finishes within the deadline is a success with the full latency", async () => {
    const m = await start(9, act({ kind: "slow-body", reply: reply("trickled"), totalMs: 300 }))
    const t = makeFiberTransport({ signer: validator })
    const r = await run(t.query(target(1, m), request("x"), 3_000))
    expect(r.responseText).toBe("trickled")
    expect(r.latencyMs).toBeGreaterThan(250)
  }, 10_000)
})
