// Every store decorator (wrapStore itself, the metrics' instrumentStore, the load probe's store) forwards every
// method of the real store with every argument it was given — the same objects, in order, plus one more than
// the method declares (an argument added later) — and hands back the method's own result. The methods are
// listed from the real store at run time, so a method added to StoreShape is covered without editing this test.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { makeLoadProbe } from "../../src/app/LoadProbe.ts"
import { instrumentStore, makeRoundTracker } from "../../src/metrics/instrument.ts"
import { makeMetrics } from "../../src/metrics/Metrics.ts"
import { makeStore, openDatabase, type StoreShape } from "../../src/store/Store.ts"
import { wrapStore } from "../../src/store/wrapStore.ts"

const real = makeStore(openDatabase(":memory:"))
const methods = Object.keys(real).filter((k) => typeof (real as unknown as Record<string, unknown>)[k] === "function")

interface Call {
  readonly method: string
  readonly args: ReadonlyArray<unknown>
}

/** A store whose every method records its arguments and succeeds with a token naming the method. */
const recordingStore = () => {
  const calls: Call[] = []
  const store = Object.fromEntries(
    methods.map((method) => [method, (...args: unknown[]) => Effect.sync(() => (calls.push({ method, args }), `result of ${method}`))])
  )
  return { calls, store: { ...store, db: real.db } as unknown as StoreShape }
}

/** Distinct argument objects carrying the fields the decorators read (id, now, uid, latencyMs, roundId, ...). */
const argsFor = (method: string) =>
  Array.from({ length: (real as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!.length + 1 }, (_, i) => ({
    arg: `${method}#${i}`,
    id: `c-${method}`,
    now: 1_000 + i,
    uid: i,
    latencyMs: 5,
    roundId: `c-${method}`
  }))

const checkForwardsEverything = async (name: string, wrap: (s: StoreShape) => StoreShape) => {
  const { calls, store } = recordingStore()
  const wrapped = wrap(store)
  expect(wrapped.db).toBe(real.db)
  for (const method of methods) {
    const args = argsFor(method)
    const f = (wrapped as unknown as Record<string, (...a: unknown[]) => Effect.Effect<unknown, unknown>>)[method]
    expect({ wrapper: name, method, present: typeof f === "function" }).toEqual({ wrapper: name, method, present: true })
    const result = await Effect.runPromise(f!(...args))
    expect({ wrapper: name, method, result }).toEqual({ wrapper: name, method, result: `result of ${method}` })
    const call = calls.at(-1)
    expect({ wrapper: name, method: call?.method, args: call?.args.length }).toEqual({ wrapper: name, method, args: args.length })
    args.forEach((a, i) => expect(call?.args[i]).toBe(a))
  }
  expect(calls.length).toBe(methods.length)
}

describe("store decorators forward every method and argument", () => {
  test("the real store has the methods this test walks", () => {
    for (const m of ["putChallenge", "setChallengeStatus", "putResponse", "putEvaluation", "stats", "minerTotals"]) expect(methods).toContain(m)
  })

  test("wrapStore with taps on some methods", () =>
    checkForwardsEverything("wrapStore", (s) =>
      wrapStore(s, { putResponse: (_args, call) => call.pipe(Effect.tap(() => Effect.void)), stats: (_args, call) => call })
    ))

  test("instrumentStore (metrics)", async () => {
    const metrics = makeMetrics()
    try {
      await checkForwardsEverything("instrumentStore", (s) => instrumentStore(s, metrics, makeRoundTracker()))
    } finally {
      metrics.stop()
    }
  })

  test("the load probe's store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-probe-"))
    const scope = await Effect.runPromise(Scope.make())
    try {
      const probe = await Effect.runPromise(makeLoadProbe(join(dir, "probe.jsonl")).pipe(Scope.provide(scope)))
      await checkForwardsEverything("LoadProbe.store", probe.store)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("the check fails for a decorator that drops an argument", async () => {
    const dropping = (s: StoreShape): StoreShape => ({ ...s, putEvaluation: (result, now) => s.putEvaluation(result, now) })
    let failed = false
    try {
      await checkForwardsEverything("dropping", dropping)
    } catch {
      failed = true
    }
    expect(failed).toBe(true)
  })
})
