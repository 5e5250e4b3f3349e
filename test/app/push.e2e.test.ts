// End to end, as the Challenge API drives a validator in production: a running demo validator with its push
// listener (FIBER_PORT) and a local Challenge API (pull answers 204, results are posted back). An independent
// client built from the wire rules exchanges a key and pushes a challenge; the round runs against the
// simulated miners and its results arrive at POST /response/batch exactly like a pulled challenge's. A pushed
// duplicate is refused; while paused (POST /set_running) pushes get 503.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { cryptoWaitReady } from "@polkadot/util-crypto"
import { type DemoProcess, freePort, startDemo, until } from "../support/demoProcess.ts"
import { pushClient } from "../support/pushClient.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

if (!hasUseLite) skipNote("Challenge API push end-to-end test (needs the demo's model)", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip

const TOKEN = "push-e2e-admin-token-0123456789"

d("Challenge API push, end to end", () => {
  let demo: DemoProcess
  let apiServer: ReturnType<typeof Bun.serve>
  let pair: KeyringPair
  let fiberUrl: string
  const batches: Array<Record<string, unknown>> = []
  const signedBy = new Set<string>()

  beforeAll(async () => {
    await cryptoWaitReady()
    pair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//LooshChallengeApi")
    apiServer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const path = new URL(req.url).pathname
        if (path === "/challenge") return new Response(null, { status: 204 })
        if (path === "/response/batch" && req.method === "POST") {
          signedBy.add(req.headers.get("x-hotkey") ?? "")
          batches.push((await req.json()) as Record<string, unknown>)
          return Response.json({ ok: true })
        }
        return new Response("not found", { status: 404 })
      }
    })
    const fiberPort = freePort()
    fiberUrl = `http://127.0.0.1:${fiberPort}`
    demo = await startDemo({
      CHALLENGE_API_URL: `http://127.0.0.1:${apiServer.port}`,
      CHALLENGE_INTERVAL_SECONDS: "2",
      FIBER_PORT: String(fiberPort),
      CHALLENGE_API_HOTKEYS: pair.address,
      ADMIN_TOKEN: TOKEN
    })
  }, 120_000)
  afterAll(async () => {
    await demo?.stop()
    apiServer?.stop(true)
  }, 30_000)

  test("pushed → persisted (201) → scored against the miners → results posted back; duplicates 409; paused 503", async () => {
    const client = pushClient(fiberUrl, pair)
    const ex = await client.exchange()
    expect(ex.status).toBe(200)
    const id = `pushed-${Date.now()}`
    const pushed = await client.push(ex.session, { id, prompt: "Explain why the sky is blue in two sentences.", metadata: { task_type: "chat" } })
    expect(pushed.status).toBe(201)
    expect(pushed.body["challenge_id"]).toBe(id)
    // persisted before the 201: the round is in the store at once
    const again = await client.push(ex.session, { id, prompt: "again" })
    expect(again.status).toBe(409)

    const batch = await until(async () => batches.find((b) => b["challenge_id"] === id) ?? null, 60_000)
    if (batch === null) console.error(demo.stderr())
    expect(batch).not.toBeNull()
    const responses = batch!["responses"] as Array<{ miner_uid: number; text: string }>
    expect(responses.length).toBeGreaterThanOrEqual(2)
    const evaluation = batch!["evaluation"] as { emissions: Record<string, number> }
    const total = Object.values(evaluation.emissions).reduce((a, b) => a + b, 0)
    expect(Math.abs(total - 1) < 1e-6 || total === 0).toBe(true)
    expect(signedBy.size).toBe(1)

    const round = (await (await fetch(`${demo.url}/rounds/${id}`)).json()) as { source: string; prompt: string }
    expect(round.source).toBe("api")
    expect(round.prompt).toBe("Explain why the sky is blue in two sentences.")

    // the operator pauses: pushes are refused until resumed
    const set = (running: boolean) =>
      fetch(`${demo.url}/set_running`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ running }) })
    expect((await set(false)).status).toBe(200)
    expect(((await (await fetch(`${demo.url}/availability`)).json()) as { running: boolean }).running).toBe(false)
    expect((await client.push(ex.session, { id: `${id}-p`, prompt: "paused?" })).status).toBe(503)
    expect((await set(true)).status).toBe(200)
    expect((await client.push(ex.session, { id: `${id}-r`, prompt: "What is 2 + 2?" })).status).toBe(201)

    // a key exchange from any other hotkey is refused
    const stranger = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//NotTheApi")
    expect((await pushClient(fiberUrl, stranger).exchange()).status).toBe(403)
  }, 120_000)
})
