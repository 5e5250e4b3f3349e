// Watchdog and alerts against a local webhook receiver (a real HTTP server on 127.0.0.1): a stalled chain is
// alerted and reconnected first, then the watchdog fails (→ non-zero exit) if it does not recover; a recovery
// in the grace period keeps it running; alerts are Discord/Slack-compatible JSON with a per-kind cooldown.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Fiber } from "effect"
import { makeAlerter } from "../../src/app/Alerts.ts"
import { runWatchdog } from "../../src/app/Watchdog.ts"

const received: Array<Record<string, unknown>> = []
let server: ReturnType<typeof Bun.serve>
let hook: string

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      received.push((await req.json()) as Record<string, unknown>)
      return new Response(null, { status: 204 })
    }
  })
  hook = `http://127.0.0.1:${server.port}/webhook`
})
afterAll(() => server.stop(true))

describe("alerts", () => {
  test("a webhook body with content (Discord) and text (Slack); once per cooldown per kind; resolve re-arms", async () => {
    received.length = 0
    let t = 1_000_000
    const a = makeAlerter({ url: hook, cooldownMs: 60_000, now: () => t, name: "uid 7" })
    expect(await Effect.runPromise(a.alert("weights_not_set", "weights last set 1200 blocks ago"))).toBe(true)
    expect(await Effect.runPromise(a.alert("weights_not_set", "again"))).toBe(false)
    expect(await Effect.runPromise(a.alert("chain_down", "socket closed"))).toBe(true)
    t += 61_000
    expect(await Effect.runPromise(a.alert("weights_not_set", "still"))).toBe(true)
    await Effect.runPromise(a.resolve("chain_down"))
    expect(await Effect.runPromise(a.alert("chain_down", "closed again"))).toBe(true)
    expect(received.length).toBe(4)
    expect(received[0]!["content"]).toBe("[uid 7] quorum alert weights_not_set: weights last set 1200 blocks ago")
    expect(received[0]!["text"]).toBe(received[0]!["content"])
    expect(received[0]!["kind"]).toBe("weights_not_set")
    expect(a.sent()).toBe(4)
  })

  test("an unreachable webhook is logged, not fatal", async () => {
    const a = makeAlerter({ url: "http://127.0.0.1:9/nothing", cooldownMs: 0, timeoutMs: 500 })
    expect(await Effect.runPromise(a.alert("model_missing", "no model"))).toBe(true)
    expect(a.sent()).toBe(0)
  })
})

describe("watchdog", () => {
  const base = (over: { blockMovedAt: () => number; reconnect: () => void; now: () => number; lastRound?: () => number | null; submitting?: () => number | null }) => ({
    now: over.now,
    startedAt: over.now(),
    blockMovedAt: Effect.sync(over.blockMovedAt),
    lastRoundAt: Effect.sync(over.lastRound ?? (() => over.now())),
    submittingSince: Effect.sync(over.submitting ?? (() => null)),
    reconnect: Effect.sync(over.reconnect),
    alerter: makeAlerter({ url: hook, cooldownMs: 0 }),
    noBlockSeconds: 1,
    noRoundSeconds: 60,
    submitTimeoutSeconds: 1,
    graceSeconds: 0.5,
    checkEveryMs: 100
  })

  test("no new block: alert + reconnect, then WatchdogTripped when it does not recover", async () => {
    received.length = 0
    let reconnects = 0
    const stalledAt = Date.now() - 5_000
    const exit = await Effect.runPromise(
      Effect.exit(runWatchdog(base({ now: Date.now, blockMovedAt: () => stalledAt, reconnect: () => reconnects++ })).pipe(Effect.timeout("5 seconds")))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const err = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { _tag?: string; condition?: string } }).error : undefined
    expect(err?._tag).toBe("WatchdogTripped")
    expect(err?.condition).toBe("no_block")
    expect(reconnects).toBe(1)
    const kinds = received.map((r) => r["kind"])
    expect(kinds).toContain("chain_down")
    expect(kinds).toContain("watchdog")
  })

  test("a reconnect that brings blocks back keeps the validator running", async () => {
    let moved = Date.now() - 5_000
    let reconnects = 0
    const fiber = Effect.runFork(runWatchdog(base({ now: Date.now, blockMovedAt: () => moved, reconnect: () => { reconnects++; moved = Date.now() + 60_000 } })))
    await Bun.sleep(1_500)
    expect(fiber.pollUnsafe()).toBeUndefined()
    expect(reconnects).toBe(1)
    await Effect.runPromise(Fiber.interrupt(fiber))
  })

  test("a submission stuck past its timeout trips the watchdog", async () => {
    const since = Date.now() - 10_000
    const exit = await Effect.runPromise(
      Effect.exit(runWatchdog(base({ now: Date.now, blockMovedAt: () => Date.now(), reconnect: () => {}, submitting: () => since })).pipe(Effect.timeout("5 seconds")))
    )
    const err = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { condition?: string } }).error : undefined
    expect(err?.condition).toBe("stuck_submission")
  })
})
