// Fault cases over real HTTP: each faulty miner yields its typed MinerError while the honest miners
// of the same concurrent round still succeed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import type { KeyringPair } from "@polkadot/keyring/types"
import { makeDendriteTransport } from "../../src/miners/Dendrite.ts"
import { devSigner, pairFromUri } from "../../src/miners/Signer.ts"
import { type AxonHandle, startAxon } from "../../src/miners/sim/AxonServer.ts"
import { makeBehaviour } from "../../src/miners/sim/Behaviour.ts"
import type { SimAction, SimReply } from "../../src/miners/sim/SimAction.ts"
import type { InferenceRequest, MinerFailure } from "../../src/domain/Inference.ts"
import type { HotkeySigner, MinerTarget } from "../../src/domain/Miner.ts"

const request: InferenceRequest = {
  challengeId: "round-1",
  prompt: "How does a hash table work?",
  messages: [],
  model: null,
  max_tokens: null,
  temperature: null,
  top_p: null,
  tools: [],
  tool_choice: null
}
const okReply: SimReply = { response_text: "fine", tool_calls: [], finish_reason: "stop", usage: null }

type Case = { readonly name: string; readonly action?: SimAction; readonly expect: { reason: MinerFailure; status: number } | "ok" }

const cases: ReadonlyArray<Case> = [
  { name: "honest-a", expect: "ok" },
  { name: "honest-b", expect: "ok" },
  { name: "honest-c", expect: "ok" },
  { name: "refused", expect: { reason: "ConnectError", status: 503 } },
  { name: "hang", action: { kind: "hang" }, expect: { reason: "Timeout", status: 408 } },
  { name: "late", action: { kind: "reply", reply: okReply, delayMs: 5_000 }, expect: { reason: "Timeout", status: 408 } },
  { name: "slow-body", action: { kind: "slow-body", reply: okReply, totalMs: 5_000 }, expect: { reason: "Timeout", status: 408 } },
  {
    name: "huge",
    action: { kind: "raw", status: 200, body: JSON.stringify({ response_text: "x".repeat(5 * 1024 * 1024) }), delayMs: 0 },
    expect: { reason: "BodyTooLarge", status: 413 }
  },
  {
    name: "invalid-json",
    action: { kind: "raw", status: 200, body: `{"response_text": "unterminated`, delayMs: 0 },
    expect: { reason: "Unparsable", status: 422 }
  },
  {
    name: "wrong-types",
    action: { kind: "raw", status: 200, body: JSON.stringify({ response_text: 42, tool_calls: "no" }), delayMs: 0 },
    expect: { reason: "Unparsable", status: 422 }
  },
  { name: "drop", action: { kind: "drop" }, expect: { reason: "ConnectError", status: 503 } },
  {
    name: "http-500",
    action: { kind: "raw", status: 500, body: JSON.stringify({ message: "boom" }), delayMs: 0 },
    expect: { reason: "HttpStatus", status: 500 }
  }
]

describe("fault isolation within one round (HTTP)", () => {
  const axons: Array<AxonHandle> = []
  const targets = new Map<string, MinerTarget>()
  let signer: HotkeySigner
  beforeAll(async () => {
    signer = await devSigner("//Validator")
    let uid = 0
    for (const c of cases) {
      const pair: KeyringPair = await pairFromUri(`//Fault/${c.name}`)
      if (c.name === "refused") {
        const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
        const port = l.port
        l.stop(true)
        targets.set(c.name, { uid: uid++, hotkey: pair.address, ip: "127.0.0.1", port })
        continue
      }
      const action = c.action
      const handler = action === undefined
        ? makeBehaviour("honest", { uid, seed: 3, latency: { honest: { meanMs: 20, sdMs: 5 } } })
        : () => Promise.resolve(action)
      const axon = await startAxon({ keypair: pair, handler })
      axons.push(axon)
      targets.set(c.name, { uid: uid++, hotkey: pair.address, ip: "127.0.0.1", port: axon.port })
    }
  })
  afterAll(async () => {
    await Promise.all(axons.map((a) => a.stop()))
  })

  test("every fault maps to its typed error; honest miners of the same round succeed", async () => {
    const d = makeDendriteTransport({ signer })
    const timeoutMs = 800
    const started = performance.now()
    const results = await Effect.runPromise(
      Effect.all(
        cases.map((c) => {
          const t = targets.get(c.name)
          if (t === undefined) throw new Error(`no target for ${c.name}`)
          return Effect.result(d.query(t, request, timeoutMs))
        }),
        { concurrency: "unbounded" }
      )
    )
    const wall = performance.now() - started
    cases.forEach((c, i) => {
      const r = results[i]
      if (r === undefined) throw new Error("missing result")
      if (c.expect === "ok") {
        expect({ name: c.name, tag: r._tag }).toEqual({ name: c.name, tag: "Success" })
        if (r._tag === "Success") {
          expect(r.success.responseText.length).toBeGreaterThan(20)
          expect(r.success.latencyMs).toBeLessThan(timeoutMs)
        }
      } else {
        expect(r._tag).toBe("Failure")
        if (r._tag === "Failure") {
          expect({ name: c.name, reason: r.failure.reason, status: r.failure.status }).toEqual({ name: c.name, ...c.expect })
          expect(r.failure.uid).toBe(i)
        }
      }
    })
    // the round is bounded by the deadline, not by the slowest miner
    expect(wall).toBeLessThan(timeoutMs + 1500)
  }, 20_000)

  test("streamed body over a small cap (no content-length) → BodyTooLarge", async () => {
    const pair = await pairFromUri("//Fault/stream")
    const big: SimReply = { ...okReply, response_text: "y".repeat(20_000) }
    const axon = await startAxon({ keypair: pair, handler: () => Promise.resolve({ kind: "slow-body", reply: big, totalMs: 50 }) })
    try {
      const d = makeDendriteTransport({ signer, maxBodyBytes: 4_000 })
      const r = await Effect.runPromise(
        Effect.result(d.query({ uid: 99, hotkey: pair.address, ip: "127.0.0.1", port: axon.port }, request, 3000))
      )
      expect(r._tag === "Failure" ? [r.failure.reason, r.failure.status] : r._tag).toEqual(["BodyTooLarge", 413])
      // and the same reply under a generous cap succeeds (slow body within the deadline)
      const ok = await Effect.runPromise(
        makeDendriteTransport({ signer }).query({ uid: 99, hotkey: pair.address, ip: "127.0.0.1", port: axon.port }, request, 3000)
      )
      expect(ok.responseText.length).toBe(20_000)
      expect(ok.latencyMs).toBeGreaterThanOrEqual(40)
    } finally {
      await axon.stop()
    }
  })

  test("interrupting a query aborts the request (no leak, fiber ends promptly)", async () => {
    const pair = await pairFromUri("//Fault/interrupt")
    const axon = await startAxon({ keypair: pair, handler: () => Promise.resolve({ kind: "hang" }) })
    try {
      const d = makeDendriteTransport({ signer })
      const t0 = performance.now()
      const r = await Effect.runPromise(
        d.query({ uid: 1, hotkey: pair.address, ip: "127.0.0.1", port: axon.port }, request, 30_000).pipe(
          Effect.timeoutOption("200 millis")
        )
      )
      expect(r._tag).toBe("None")
      expect(performance.now() - t0).toBeLessThan(2_000)
    } finally {
      await axon.stop()
    }
  })
})
