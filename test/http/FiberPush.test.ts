// The Challenge API push listener against an independent client built from the wire rules: only configured
// hotkeys, a verified sr25519 signature, a replay window and single-use key uuids; 201 / 409 / 401 as the
// reference answers; nothing is acknowledged before it is accepted (persisted) by the validator.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { cryptoWaitReady } from "@polkadot/util-crypto"
import { Effect, Exit, Scope } from "effect"
import type { Challenge } from "../../src/domain/Challenge.ts"
import { type Accepted, serveFiberPush } from "../../src/http/FiberPush.ts"
import { pushClient } from "../support/pushClient.ts"

let api: KeyringPair
let stranger: KeyringPair
let url: string
let scope: Scope.Closeable
const accepted: Challenge[] = []
let paused = false
let clock = Date.now()

beforeAll(async () => {
  await cryptoWaitReady()
  const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
  api = kr.addFromUri("//ChallengeApiPushTest")
  stranger = kr.addFromUri("//SomeoneElse")
  scope = await Effect.runPromise(Scope.make())
  const seen = new Set<string>()
  const served = await Effect.runPromise(
    serveFiberPush({
      host: "127.0.0.1",
      port: 0,
      allowedHotkeys: [api.address],
      now: () => clock,
      accept: (c): Effect.Effect<Accepted> =>
        Effect.sync(() => {
          if (paused) return { _tag: "Paused" }
          if (seen.has(c.id)) return { _tag: "Duplicate" }
          seen.add(c.id)
          accepted.push(c)
          return { _tag: "Accepted" }
        })
    }).pipe(Scope.provide(scope))
  )
  url = served.url
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

describe("Challenge API push (/fiber/*)", () => {
  test("key exchange + encrypted challenge → 201 with the id; the same id again → 409", async () => {
    clock = Date.now()
    const c = pushClient(url, api)
    const pem = await c.publicKey()
    expect(pem).toContain("BEGIN PUBLIC KEY")
    const ex = await c.exchange({ pem })
    expect(ex.status).toBe(200)
    expect(ex.body["success"]).toBe(true)
    const challenge = { id: "push-1", prompt: "What is the capital of France?", temperature: 0.2, metadata: { task_type: "qa" } }
    const first = await c.push(ex.session, challenge)
    expect(first.status).toBe(201)
    expect(first.body).toEqual({ success: true, message: "Challenge received successfully", challenge_id: "push-1" })
    expect(accepted.map((a) => a.id)).toEqual(["push-1"])
    expect(accepted[0]!.request.prompt).toBe("What is the capital of France?")
    expect(accepted[0]!.taskType).toBe("qa")
    expect(accepted[0]!.source).toBe("api")
    const again = await c.push(ex.session, challenge)
    expect(again.status).toBe(409)
    // messages only: the last user message is the prompt
    const m = await c.push(ex.session, { id: "push-2", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "Name a prime." }] })
    expect(m.status).toBe(201)
    expect(accepted[1]!.request.prompt).toBe("Name a prime.")
  })

  test("refused: a hotkey not configured (403), a bad signature (401), a stale timestamp (401), a replayed key uuid (401)", async () => {
    clock = Date.now()
    const other = await pushClient(url, stranger).exchange()
    expect(other.status).toBe(403)
    const c = pushClient(url, api)
    expect((await c.exchange({ badSignature: true })).status).toBe(401)
    expect((await c.exchange({ nowMs: clock - 120_000 })).status).toBe(401)
    const ok = await c.exchange({ keyUuid: "uuid-once" })
    expect(ok.status).toBe(200)
    const replay = await c.exchange({ keyUuid: "uuid-once" })
    expect(replay.status).toBe(401)
    expect(String(replay.body["detail"])).toContain("replay")
    // the stranger cannot push with a uuid it never exchanged
    expect((await pushClient(url, stranger).push({ keyText: ok.session.keyText, keyUuid: "uuid-once", hotkey: stranger.address }, { id: "x", prompt: "p" })).status).toBe(401)
  })

  test("unknown key → 401, expired key (after an hour) → 401, garbage token → 401, bad challenge → 400, paused → 503", async () => {
    clock = Date.now()
    const c = pushClient(url, api)
    expect((await c.push({ keyText: "A".repeat(43) + "=", keyUuid: "never-exchanged", hotkey: api.address }, { id: "y", prompt: "p" })).status).toBe(401)
    const ex = await c.exchange()
    expect((await c.push(ex.session, { id: "no-prompt" })).status).toBe(400)
    const wrongKey = await c.push({ ...ex.session, keyText: ex.session.keyText.replace(/^./, (ch) => (ch === "A" ? "B" : "A")) }, { id: "z", prompt: "p" })
    expect(wrongKey.status).toBe(401)
    paused = true
    expect((await c.push(ex.session, { id: "while-paused", prompt: "p" })).status).toBe(503)
    paused = false
    clock = Date.now() + 3_601_000
    const expired = await c.push(ex.session, { id: "late", prompt: "p" })
    expect(expired.status).toBe(401)
    expect(String(expired.body["detail"])).toContain("expired")
    expect(accepted.map((a) => a.id)).not.toContain("late")
  })
})
