// Connection against the REAL subtensor runtime (spec 293 under chopsticks): connect and read the head,
// ChainUnreachable for a closed port within the timeout, surviving a dropped WebSocket (a TCP proxy between
// the API and chopsticks whose sockets are killed mid-session), and a signed extrinsic built with the
// metadata-derived extensions landing in a block. Endpoint resolution (networks.ts) is tested first (pure).
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import { cryptoWaitReady } from "@polkadot/util-crypto"
import { Effect, Exit, Fiber, Option, Stream } from "effect"
import { ChainUnreachable, Connection, type ConnectionOptions } from "../../src/chain/Connection.ts"
import { TypeRegistry } from "@polkadot/types"
import { deriveFromMetadata, type ExtDef } from "../../src/chain/extensions.ts"
import { NETWORKS, resolveEndpoint, resolveEndpointFromEnv } from "../../src/chain/networks.ts"
import { itLive } from "../support/effect.ts"
import { type Proxy, startProxy } from "../support/tcpProxy.ts"
import { hasSubtensorFixture, skipNote, SUBTENSOR_FIXTURE_DIR } from "../support/shared.ts"
import { type Localnet, startLocalnet } from "./support/chain.ts"

describe("networks", () => {
  const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(Effect.exit(e))
  test("names resolve to their endpoints; the address wins; default finney", async () => {
    expect(await Effect.runPromise(resolveEndpoint({ network: "test" }))).toEqual({ endpoint: NETWORKS.test, network: "test" } as never)
    expect((await Effect.runPromise(resolveEndpoint({}))).endpoint as string).toBe(NETWORKS.finney)
    expect((await Effect.runPromise(resolveEndpoint({ network: "Local" }))).endpoint as string).toBe("ws://127.0.0.1:9944")
    expect((await Effect.runPromise(resolveEndpoint({ network: "archive" }))).endpoint as string).toBe(NETWORKS.archive)
    const both = await Effect.runPromise(resolveEndpointFromEnv({ SUBTENSOR_NETWORK: "finney", SUBTENSOR_ADDRESS: "ws://10.0.0.5:9944" }))
    expect(both).toEqual({ endpoint: "ws://10.0.0.5:9944", network: "custom" } as never)
    expect((await Effect.runPromise(resolveEndpoint({ network: "wss://lite.example.org:443/ws" }))).network).toBe("custom")
  })
  test("bad values fail with the key, the value and what is allowed", async () => {
    for (const [input, key] of [
      [{ address: "http://127.0.0.1:9944" }, "SUBTENSOR_ADDRESS"],
      [{ address: "ws://" }, "SUBTENSOR_ADDRESS"],
      [{ address: "ws://host name" }, "SUBTENSOR_ADDRESS"],
      [{ network: "mainnet" }, "SUBTENSOR_NETWORK"]
    ] as const) {
      const exit = await run(resolveEndpoint(input))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const err = exit.cause.reasons[0]
        const e = err !== undefined && err._tag === "Fail" ? err.error : undefined
        expect(e?._tag).toBe("InvalidEndpoint")
        expect(e?.message).toContain(key)
        expect(e?.message).toContain("finney, test, archive, local")
      }
    }
  })
})

// ---------------------------------------------------------------------------------------------

const closedPort = (): number => {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = l.port
  l.stop(true)
  return port
}

/** Polls `check` every 50 ms until it is true or `ms` pass. */
const eventually = (check: Effect.Effect<boolean>, ms: number, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (yield* check) return
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`timed out after ${ms} ms waiting for ${what}`))
  })

const getConnection = Effect.gen(function*() {
  return yield* Connection
})

const layerFor = (endpoint: string, extra: Partial<ConnectionOptions> = {}) =>
  Connection.layer({ endpoint, connectTimeoutMs: 15_000, reconnectInitialMs: 100, reconnectMaxMs: 1_000, ...extra })

describe("Connection (chopsticks, subtensor spec 293)", () => {
  test("ChainUnreachable for a closed port, within the timeout", async () => {
    const port = closedPort()
    const endpoint = `ws://127.0.0.1:${port}`
    const started = Date.now()
    const exit = await Effect.runPromise(
      Effect.exit(Effect.scoped(getConnection.pipe(
        Effect.provide(Connection.layer({ endpoint, connectTimeoutMs: 1_500, reconnectInitialMs: 100, reconnectMaxMs: 400 }))
      )))
    )
    const elapsed = Date.now() - started
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const r = exit.cause.reasons[0]
      const e = r !== undefined && r._tag === "Fail" ? r.error : undefined
      expect(e).toBeInstanceOf(ChainUnreachable)
      if (e instanceof ChainUnreachable) {
        expect(e.endpoint).toBe(endpoint)
        expect(e.attempts).toBeGreaterThanOrEqual(3) // 100, 200, 400 ms backoff inside 1.5 s
        expect(e.message).toContain(endpoint)
        expect(e.message).toContain("SUBTENSOR_ADDRESS")
      }
    }
    expect(elapsed).toBeGreaterThanOrEqual(1_400)
    expect(elapsed).toBeLessThan(3_000)
  }, 10_000)

  if (!hasSubtensorFixture) {
    test("real-runtime tests", () => skipNote("subtensor spec-293 chainspec", SUBTENSOR_FIXTURE_DIR))
    return
  }

  let ln: Localnet
  beforeAll(async () => {
    await cryptoWaitReady()
    ln = await startLocalnet({ miners: 1 })
  }, 180_000) // the chain boots in ~35 s idle, minutes on a loaded 2-core box
  afterAll(async () => {
    await ln?.close()
  })

  itLive("connects, reads the head, streams new heads, derives the extensions from metadata", () =>
    Effect.gen(function*() {
      const conn = yield* Connection
      expect(conn.endpoint).toBe(ln.endpoint)
      expect(yield* conn.isConnected).toBe(true)
      const head = yield* conn.head
      expect(head).toBe(yield* Effect.promise(() => ln.head()))

      const plan = yield* conn.extensions
      expect(plan?.identifiers).toEqual([
        "CheckNonZeroSender",
        "CheckSpecVersion",
        "CheckTxVersion",
        "CheckGenesis",
        "CheckMortality",
        "CheckNonce",
        "CheckWeight",
        "ChargeTransactionPayment",
        "SubtensorTransactionExtension",
        "CheckMetadataHash"
      ])
      expect(plan?.userExtensions).toEqual({ SubtensorTransactionExtension: { extrinsic: {}, payload: {} } })
      expect(plan?.warnings).toEqual([])
      // the v14 metadata (what polkadot.js fetches after a runtime upgrade) derives the same plan
      const v14 = yield* conn.use("state.getMetadata", (api) => api.rpc.state.getMetadata())
      expect(v14.version).toBe(14)
      const fromV14 = deriveFromMetadata(v14)
      expect(fromV14.identifiers).toEqual(plan?.identifiers ?? [])
      expect(fromV14.userExtensions).toEqual(plan?.userExtensions ?? {})

      // The generic path on the runtime's real types: treat EVERY extension as unknown (Lookup<id> fields),
      // and a default-valued payload must encode byte-for-byte like polkadot.js' own definitions.
      const allUnknown = deriveFromMetadata(conn.api.runtimeMetadata, { known: {} })
      expect(Object.keys(allUnknown.userExtensions).length).toBe(10)
      const encode = (user: ExtDef | undefined) => {
        const registry = new TypeRegistry()
        registry.setMetadata(conn.api.runtimeMetadata, [...(plan?.identifiers ?? [])], user)
        return registry.createType("ExtrinsicPayload", { method: "0x0000" }, { version: 4 }).toHex()
      }
      const reference = encode(plan?.userExtensions)
      expect(reference.length).toBeGreaterThan(2 + 2 * (3 + 4 + 4 + 32 + 32))
      expect(encode(allUnknown.userExtensions)).toBe(reference)
      expect(allUnknown.userExtensions["CheckMortality"]?.extrinsic).toEqual({ checkMortality: expect.stringMatching(/^Lookup\d+$/) })
      // negative control: dropping one extension's data (what "no-effect" does) changes the bytes
      const dropped = { ...allUnknown.userExtensions, CheckMetadataHash: { extrinsic: {}, payload: {} } }
      expect(encode(dropped)).not.toBe(reference)

      const next = yield* conn.blocks.pipe(
        Stream.filter((n) => n > head),
        Stream.take(1),
        Stream.runCollect,
        Effect.forkChild({ startImmediately: true })
      )
      const built = yield* Effect.promise(() => ln.newBlock())
      expect(built).toBe(head + 1)
      expect([...(yield* Fiber.join(next))]).toEqual([head + 1])
      expect(Option.getOrUndefined(yield* conn.lastHead)).toBe(head + 1)

      const e = yield* Effect.flip(conn.use("failing call", () => Promise.reject(new Error("boom"))))
      expect(e._tag).toBe("ChainCallError")
      expect(e.message).toContain("failing call")
      const slow = yield* Effect.flip(conn.use("slow call", () => new Promise<number>(() => undefined), { timeoutMs: 100 }))
      expect(slow.message).toContain("no answer within 100 ms")
    }).pipe(Effect.provide(layerFor(ln.endpoint))), 30_000)

  itLive("layerResolved: SUBTENSOR_ADDRESS wins over SUBTENSOR_NETWORK; releasing the layer disconnects", () =>
    Effect.gen(function*() {
      const api = yield* Effect.gen(function*() {
        const conn = yield* Connection
        expect(conn.endpoint).toBe(ln.endpoint)
        expect(yield* conn.head).toBe(yield* Effect.promise(() => ln.head()))
        expect(conn.api.isConnected).toBe(true)
        return conn.api
      }).pipe(Effect.provide(Connection.layerResolved({ network: "finney", address: ln.endpoint }, { connectTimeoutMs: 10_000 })))
      yield* eventually(Effect.sync(() => !api.isConnected), 2_000, "the disconnect on release")
    }), 20_000)

  itLive("survives a dropped WebSocket: reconnects and later queries and head updates succeed", () =>
    Effect.gen(function*() {
      const url = new URL(ln.endpoint)
      const proxy = startProxy({ hostname: url.hostname, port: Number(url.port) })
      yield* Effect.addFinalizer(() => Effect.sync(() => proxy.stop()))
      yield* viaProxy(proxy).pipe(Effect.provide(layerFor(`ws://127.0.0.1:${proxy.port}`)))
    }), 40_000)

  const viaProxy = (proxy: Proxy) =>
    Effect.gen(function*() {
      const conn = yield* Connection
      const before = yield* conn.head
      expect(yield* conn.reconnects).toBe(0)

      const cut = proxy.cutAll()
      expect(cut).toBeGreaterThanOrEqual(2) // client side + upstream side
      yield* eventually(Effect.map(conn.reconnects, (n) => n >= 1), 10_000, "a reconnect")
      expect(yield* conn.isConnected).toBe(true)

      const seen = yield* conn.blocks.pipe(
        Stream.filter((n) => n > before),
        Stream.take(1),
        Stream.runCollect,
        Effect.forkChild({ startImmediately: true })
      )
      // give the provider a moment to re-create its subscriptions on the new socket
      yield* eventually(Effect.sync(() => proxy.connections() >= 2), 5_000, "proxy connections")
      yield* Effect.sleep("300 millis")
      const built = yield* Effect.promise(() => ln.newBlock())
      expect(yield* conn.head).toBe(built)
      expect(built).toBe(before + 1)
      const got = yield* Fiber.join(seen).pipe(Effect.timeout("10 seconds"))
      expect([...got]).toEqual([built])
    })

  itLive("an outage: calls fail with ChainCallError while down, reconnects back off, then it recovers", () =>
    Effect.gen(function*() {
      const url = new URL(ln.endpoint)
      const proxy = startProxy({ hostname: url.hostname, port: Number(url.port) })
      yield* Effect.addFinalizer(() => Effect.sync(() => proxy.stop()))
      yield* outage(proxy).pipe(
        Effect.provide(layerFor(`ws://127.0.0.1:${proxy.port}`, { reconnectInitialMs: 100, reconnectMaxMs: 400, callTimeoutMs: 3_000 }))
      )
    }), 40_000)

  const outage = (proxy: Proxy) =>
    Effect.gen(function*() {
      const conn = yield* Connection
      const before = yield* conn.head
      proxy.setDown(true)
      proxy.cutAll()
      yield* eventually(Effect.map(conn.isConnected, (c) => !c), 5_000, "the disconnect")
      const t0 = Date.now()
      const failed = yield* Effect.flip(conn.head)
      expect(failed._tag).toBe("ChainCallError")
      expect(Date.now() - t0).toBeLessThan(3_500)
      // attempts at +100, +200, +400, +400 ms ... all refused
      yield* eventually(Effect.sync(() => proxy.refused() >= 3), 5_000, "three refused attempts")
      expect(yield* conn.reconnects).toBe(0)
      proxy.setDown(false)
      yield* eventually(Effect.map(conn.reconnects, (n) => n === 1), 5_000, "the reconnect")
      expect(yield* conn.isConnected).toBe(true)
      const built = yield* Effect.promise(() => ln.newBlock())
      expect(built).toBe(before + 1)
      expect(yield* conn.head).toBe(built)
    })

  itLive("a system.remark signed by //Alice with the derived extensions is included in a block", () =>
    Effect.gen(function*() {
      const conn = yield* Connection
      const alice = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice")
      const remark = "quorum C1a connection test"
      const hash = yield* conn.use("submit remark", async (api) => {
        const tx = api.tx.system.remark(remark)
        await tx.signAsync(alice, { tip: 1_000 })
        return (await api.rpc.author.submitExtrinsic(tx)).toHex()
      })
      const blockNumber = yield* Effect.promise(() => ln.newBlock())
      const found = yield* conn.use("read block", async (api) => {
        const blockHash = await api.rpc.chain.getBlockHash(blockNumber)
        const block = await api.rpc.chain.getBlock(blockHash)
        const index = block.block.extrinsics.findIndex((x) => x.hash.toHex() === hash)
        const events = await (await api.at(blockHash)).query.system.events()
        const outcome = events
          .filter((r) => r.phase.isApplyExtrinsic && r.phase.asApplyExtrinsic.toNumber() === index)
          .map((r) => `${r.event.section}.${r.event.method}`)
        const xt = block.block.extrinsics[index]
        return { index, outcome, tip: xt?.tip.toNumber(), signer: xt?.signer.toString() }
      })
      expect(found.index).toBeGreaterThanOrEqual(0)
      expect(found.outcome).toContain("system.ExtrinsicSuccess")
      expect(found.tip).toBe(1_000)
      expect(found.signer).toBe(alice.address)
    }).pipe(Effect.provide(layerFor(ln.endpoint))), 30_000)
})
