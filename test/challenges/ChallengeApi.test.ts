import { describe, expect, test } from "bun:test"
import { createHash } from "node:crypto"
import { Keyring } from "@polkadot/keyring"
import { cryptoWaitReady, signatureVerify } from "@polkadot/util-crypto"
import { Effect, Exit, Redacted } from "effect"
import * as ChallengeApi from "../../src/challenges/ChallengeApi.ts"
import type { HotkeySigner } from "../../src/domain/Miner.ts"

await cryptoWaitReady()
const pair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//ChallengeApiValidator")
const signer: HotkeySigner = { ss58: pair.address, publicKey: pair.publicKey, sign: (m) => pair.sign(m) }

/** A real HTTP Challenge API that checks the signature headers the way the Loosh API does. */
const startApi = (queue: unknown[], status = 200) => {
  const posted: unknown[] = []
  const rejected: string[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = req.method === "POST" ? await req.text() : null
      const nonce = req.headers.get("x-nonce") ?? ""
      const hotkey = req.headers.get("x-hotkey") ?? ""
      const message = body === null ? `${nonce}:${hotkey}` : `${nonce}:${hotkey}:${createHash("sha256").update(body).digest("hex")}`
      const ok = signatureVerify(message, req.headers.get("x-signature") ?? "", hotkey).isValid && req.headers.get("x-api-key") === "k3y"
      if (!ok) {
        rejected.push(new URL(req.url).pathname)
        return new Response("bad signature", { status: 401 })
      }
      const path = new URL(req.url).pathname
      if (path === "/challenge") {
        if (status !== 200) return new Response("no", { status })
        const next = queue.shift()
        return next === undefined ? new Response(null, { status: 204 }) : new Response(typeof next === "string" ? next : JSON.stringify(next))
      }
      if (path === "/response/batch") {
        posted.push(JSON.parse(body ?? "null"))
        return Response.json({ ok: true })
      }
      return new Response("not found", { status: 404 })
    }
  })
  return { server, posted, rejected, url: `http://127.0.0.1:${server.port}` }
}

const client = (url: string, key = "k3y") => ChallengeApi.make({ baseUrl: url, apiKey: Redacted.make(key), signer, timeoutMs: 2_000, now: Date.now })

describe("ChallengeApi", () => {
  test("pulls a signed challenge; messages-only uses the last user message; tools flattened", async () => {
    const api = startApi([
      {
        id: "c-1",
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "What is the boiling point of water at sea level?" }
        ],
        tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
        metadata: { task_type: "qa" },
        status: "pending"
      }
    ])
    try {
      const c = await Effect.runPromise(client(api.url).pull)
      expect(c?.id).toBe("c-1")
      expect(c?.request.prompt).toBe("What is the boiling point of water at sea level?")
      expect(c?.taskType).toBe("qa")
      expect(c?.tools).toEqual([{ name: "lookup", parameters: { type: "object" } }])
      expect(await Effect.runPromise(client(api.url).pull)).toBeNull() // 204: nothing queued
      expect(api.rejected).toEqual([])
    } finally {
      api.server.stop(true)
    }
  })

  test("a wrong API key is a typed HttpStatus error with a hint; invalid payloads are Invalid", async () => {
    const api = startApi([{ id: "c-2" }, "{not json"])
    try {
      const denied = await Effect.runPromise(Effect.flip(client(api.url, "wrong").pull))
      expect(denied.reason).toBe("HttpStatus")
      expect(denied.status).toBe(401)
      expect(denied.message).toContain("CHALLENGE_API_KEY")
      const noPrompt = await Effect.runPromise(Effect.flip(client(api.url).pull))
      expect(noPrompt.reason).toBe("Invalid")
      const notJson = await Effect.runPromise(Effect.flip(client(api.url).pull))
      expect(notJson.reason).toBe("Invalid")
    } finally {
      api.server.stop(true)
    }
  })

  test("posts results with a body-hash signature", async () => {
    const api = startApi([])
    try {
      const round = {
        id: "c-3",
        prompt: "p",
        taskType: "chat",
        reference: null,
        tools: [],
        responses: [{ uid: 4, hotkey: "hk4", coldkey: "ck", ip: "1.2.3.4", text: "answer", latencyMs: 120, finishReason: "stop", toolCalls: [] }]
      }
      const result = { roundId: "c-3", taskType: "chat", miners: [{ uid: 4, hotkey: "hk4", reward: 1, axes: {}, score: 0.9, filtered: null }], consensus: [4], clusters: [0], best: 4 }
      await Effect.runPromise(client(api.url).postResults(round, result))
      expect(api.posted).toHaveLength(1)
      const p = api.posted[0] as { challenge_id: string; evaluation: { best_miner_id: string; emissions: Record<string, number> } }
      expect(p.challenge_id).toBe("c-3")
      expect(p.evaluation.best_miner_id).toBe("hk4")
      expect(p.evaluation.emissions["4"]).toBe(1)
    } finally {
      api.server.stop(true)
    }
  })

  test("an unreachable API fails with Unreachable, not a crash", async () => {
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") })
    const url = `http://127.0.0.1:${probe.port}`
    probe.stop(true)
    const exit = await Effect.runPromise(Effect.exit(client(url).pull))
    expect(Exit.isFailure(exit)).toBe(true)
    const err = await Effect.runPromise(Effect.flip(client(url).pull))
    expect(err.reason).toBe("Unreachable")
  })

  test("nonce is a Python-style float string", () => {
    expect(ChallengeApi.floatNonce(1_700_000_000_000)).toBe("1700000000.0")
    expect(ChallengeApi.floatNonce(1_700_000_000_123)).toBe("1700000000.123")
  })
})
