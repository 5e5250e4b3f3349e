// Metagraph against the real subtensor runtime (spec 293 under chopsticks), plus the pure parts
// (IP codec, diffNeurons, toMinerTargets, boundary decoding). One chain for the live tests; they
// skip without ../shared/fixtures/subtensor.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { Effect, Exit, PubSub } from "effect"
import { join } from "node:path"
import { makeMetagraph, Metagraph } from "../../src/chain/Metagraph.ts"
import { decodeIp, parseIp } from "../../src/chain/ipCodec.ts"
import { decodeNeuronsLite, MetagraphError, readMetagraph } from "../../src/chain/MetagraphRead.ts"
import { type Axon, diffNeurons, type MetagraphChange, type Neuron, toMinerTargets } from "../../src/chain/Neurons.ts"
import { hasSubtensorFixture, skipNote, SUBTENSOR_FIXTURE_DIR } from "../support/shared.ts"
import { itLive } from "../support/effect.ts"
import { type Localnet, startLocalnet } from "./support/chain.ts"

// ---------------------------------------------------------------------------------------------
// Pure: IP codec

describe("axon ip codec", () => {
  test("IPv4 is a<<24|b<<16|c<<8|d with ip_type 4", () => {
    expect(parseIp("192.0.2.1")).toEqual({ value: 0xc0000201n, ipType: 4 })
    expect(decodeIp(0xc0000201n, 4)).toBe("192.0.2.1")
    expect(decodeIp(0n, 0)).toBe("0.0.0.0")
    expect(parseIp("256.1.1.1")).toBeUndefined()
    expect(parseIp("1.2.3")).toBeUndefined()
    expect(parseIp("example.org")).toBeUndefined()
  })

  test("IPv6 decodes from the u128 in RFC 5952 form", () => {
    expect(decodeIp(0x20010db8000000000000000000000001n, 6)).toBe("2001:db8::1")
    expect(decodeIp(1n, 6)).toBe("::1")
    expect(decodeIp(0n, 6)).toBe("::")
    expect(decodeIp(0x20010db8000000010000000000000001n, 6)).toBe("2001:db8:0:1::1")
    // longest zero run wins; a single zero group is not compressed
    expect(decodeIp(0x20010db8000000000001000000000001n, 6)).toBe("2001:db8::1:0:0:1")
    expect(decodeIp(0x20010db8000100010001000100010001n, 6)).toBe("2001:db8:1:1:1:1:1:1")
    expect(decodeIp(0x20010db8000000010001000100010000n, 6)).toBe("2001:db8:0:1:1:1:1:0")
    expect(decodeIp(0xffffc0000201n, 6)).toBe("::ffff:192.0.2.1")
    expect(decodeIp(0xfe800000000000000202b3fffe1e8329n, 6)).toBe("fe80::202:b3ff:fe1e:8329")
    // ip_type 4 with a value that cannot be IPv4 still prints (as IPv6, like the SDK's int_to_ip)
    expect(decodeIp(1n << 100n, 4)).toBe("0:10::")
    expect(() => decodeIp(1n << 128n, 6)).toThrow(RangeError)
  })

  test("IPv6 parses full, compressed and mixed forms", () => {
    expect(parseIp("2001:db8::1")).toEqual({ value: 0x20010db8000000000000000000000001n, ipType: 6 })
    expect(parseIp("2001:0DB8:0000:0000:0000:0000:0000:0001")?.value).toBe(0x20010db8000000000000000000000001n)
    expect(parseIp("::")?.value).toBe(0n)
    expect(parseIp("::ffff:192.0.2.1")?.value).toBe(0xffffc0000201n)
    expect(parseIp("1:2:3:4:5:6:192.0.2.1")?.value).toBe(0x000100020003000400050006c0000201n)
    expect(parseIp("1::2::3")).toBeUndefined()
    expect(parseIp("1:2:3:4:5:6:7:8:9")).toBeUndefined()
    expect(parseIp("12345::1")).toBeUndefined()
    expect(parseIp("1:2:3:4:5:6:7::8")).toBeUndefined()
  })

  test("property: decode then parse is the identity (IPv6 and IPv4)", () => {
    assertProperty(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        expect(parseIp(decodeIp(v, 6))?.value).toBe(v)
      }),
      { numRuns: 2000 }
    )
    assertProperty(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (v) => {
        expect(parseIp(decodeIp(v, 4))).toEqual({ value: v, ipType: 4 })
      }),
      { numRuns: 2000 }
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Pure: diff, targets, decoding

const axon = (ip: string, port: number, version = 0): Axon => ({ ip, ipType: ip.includes(":") ? 6 : ip === "0.0.0.0" ? 0 : 4, port, protocol: 4, version, block: 1 })
const n = (uid: number, hotkey: string, a: Axon = axon("0.0.0.0", 0)): Neuron => ({
  uid,
  hotkey,
  coldkey: "cold",
  axon: a,
  stake: 0,
  stakeRao: 0n,
  validatorPermit: false,
  lastUpdate: 0,
  active: true
})

describe("diffNeurons", () => {
  test("added, replaced, removed and axon changes, in uid order", () => {
    const prev = [n(0, "v", axon("192.0.2.9", 9000)), n(1, "a", axon("192.0.2.1", 1)), n(2, "b"), n(3, "c", axon("192.0.2.3", 3))]
    const next = [
      n(0, "v", axon("192.0.2.9", 9000)),
      n(1, "a", axon("192.0.2.1", 2)), // port changed
      n(2, "b2", axon("192.0.2.2", 2)), // new hotkey (its axon change is implied)
      n(4, "d") // uid 3 gone, uid 4 new
    ]
    expect(diffNeurons(prev, next)).toEqual([
      { _tag: "AxonChanged", uid: 1 },
      { _tag: "HotkeyReplaced", uid: 2, old: "b", new: "b2" },
      { _tag: "MinerRemoved", uid: 3 },
      { _tag: "MinerAdded", uid: 4, hotkey: "d" }
    ])
  })

  test("no change, stake/permit/activity changes and input order produce no events", () => {
    const prev = [n(1, "a", axon("2001:db8::1", 8091)), n(0, "v")]
    const next = [n(0, "v"), { ...n(1, "a", axon("2001:db8::1", 8091)), stake: 5, stakeRao: 5_000_000_000n, validatorPermit: true, active: false, lastUpdate: 9 }]
    expect(diffNeurons(prev, next)).toEqual([])
    expect(diffNeurons([], [])).toEqual([])
  })

  test("axon version, protocol and ip each count; block does not", () => {
    const base = n(0, "a", axon("192.0.2.1", 8091))
    expect(diffNeurons([base], [{ ...base, axon: { ...base.axon, version: 2 } }])).toEqual([{ _tag: "AxonChanged", uid: 0 }])
    expect(diffNeurons([base], [{ ...base, axon: { ...base.axon, protocol: 0 } }])).toEqual([{ _tag: "AxonChanged", uid: 0 }])
    expect(diffNeurons([base], [{ ...base, axon: axon("192.0.2.2", 8091) }])).toEqual([{ _tag: "AxonChanged", uid: 0 }])
    expect(diffNeurons([base], [{ ...base, axon: { ...base.axon, block: 99 } }])).toEqual([])
  })

  test("from empty: every neuron is MinerAdded; to empty: every uid MinerRemoved", () => {
    const ns = [n(0, "a"), n(1, "b")]
    expect(diffNeurons([], ns)).toEqual([{ _tag: "MinerAdded", uid: 0, hotkey: "a" }, { _tag: "MinerAdded", uid: 1, hotkey: "b" }])
    expect(diffNeurons(ns, [])).toEqual([{ _tag: "MinerRemoved", uid: 0 }, { _tag: "MinerRemoved", uid: 1 }])
  })
})

describe("toMinerTargets", () => {
  test("only neurons with a served axon, optionally without given hotkeys", () => {
    const neurons = [n(0, "v", axon("198.51.100.9", 9000)), n(1, "a", axon("192.0.2.1", 8091)), n(2, "b"), n(3, "c", axon("2001:db8::3", 8093))]
    expect(toMinerTargets({ neurons })).toEqual([
      { uid: 0, hotkey: "v", ip: "198.51.100.9", port: 9000 },
      { uid: 1, hotkey: "a", ip: "192.0.2.1", port: 8091 },
      { uid: 3, hotkey: "c", ip: "2001:db8::3", port: 8093 }
    ])
    expect(toMinerTargets({ neurons }, { excludeHotkeys: ["v"] }).map((t) => t.uid)).toEqual([1, 3])
  })
})

// ---------------------------------------------------------------------------------------------
// Live: the real runtime

if (!hasSubtensorFixture) skipNote("metagraph chain tests", join(SUBTENSOR_FIXTURE_DIR, "subtensor-spec293-raw.json"))
const d = hasSubtensorFixture ? describe : describe.skip

const TEMPO = 7
const RATE_LIMIT = 3
const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
const adminTx = (ln: Localnet, name: string, ...args: Array<unknown>) =>
  (ln.api.tx.adminUtils as unknown as Record<string, (...a: Array<unknown>) => SubmittableExtrinsic<"promise">>)[name]!(...args)

d("Metagraph on subtensor spec 293", () => {
  let ln: Localnet
  const t0 = performance.now()

  beforeAll(async () => {
    ln = await startLocalnet({
      miners: 3,
      tempo: TEMPO,
      weightsRateLimit: RATE_LIMIT,
      minerAxons: [{ ip: "192.0.2.1", port: 8091, version: 7 }, { ip: "2001:db8::2", port: 8092 }],
      validatorAxon: { ip: "198.51.100.9", port: 9000 }
    })
    console.log(`[metagraph] localnet up in ${Math.round(performance.now() - t0)} ms (${ln.endpoint}, netuid ${ln.netuid})`)
  }, 180_000) // the chain boots in ~35 s idle, minutes on a loaded 2-core box

  afterAll(async () => {
    await ln?.close()
    console.log(`[metagraph] live tests took ${Math.round(performance.now() - t0)} ms`)
  })

  test("read matches what was registered (runtime API and storage agree)", async () => {
    const t = performance.now()
    const mg = await Effect.runPromise(readMetagraph(ln.api, { netuid: ln.netuid }))
    const ms = performance.now() - t
    const st = await Effect.runPromise(readMetagraph(ln.api, { netuid: ln.netuid, forceStorage: true }))
    console.log(`[metagraph] runtime API read ${Math.round(ms)} ms, storage read ${Math.round(performance.now() - t - ms)} ms`)
    expect(mg.source).toBe("runtimeApi")
    expect(st.source).toBe("storage")
    expect(st.neurons).toEqual(mg.neurons)
    expect(mg.netuid).toBe(ln.netuid)

    expect(mg.neurons.map((x) => x.uid)).toEqual([0, 1, 2, 3])
    expect(mg.neurons.map((x) => x.hotkey)).toEqual([ln.validator.address, ...ln.miners.map((m) => m.address)])
    expect(mg.neurons.map((x) => x.coldkey)).toEqual([ln.sudo.address, ...ln.miners.map(() => ln.minerColdkey.address)])
    const [v, m0, m1, m2] = mg.neurons
    expect(v!.validatorPermit).toBe(true)
    expect(v!.stake).toBeGreaterThan(1) // 1000 TAO swapped into alpha
    expect(v!.stake).toBeCloseTo(Number(v!.stakeRao) / 1e9, 6)
    expect([m0, m1, m2].map((x) => x!.validatorPermit)).toEqual([false, false, false])
    expect(mg.neurons.every((x) => x.active)).toBe(true)
    expect(v!.axon).toMatchObject({ ip: "198.51.100.9", ipType: 4, port: 9000, protocol: 4 })
    expect(m0!.axon).toMatchObject({ ip: "192.0.2.1", ipType: 4, port: 8091, protocol: 4, version: 7 })
    expect(m1!.axon).toMatchObject({ ip: "2001:db8::2", ipType: 6, port: 8092, protocol: 4 })
    expect(m2!.axon).toMatchObject({ ip: "0.0.0.0", port: 0 })
    expect(m0!.axon.block).toBeGreaterThan(0)
    expect(toMinerTargets(mg, { excludeHotkeys: [ln.validator.address] })).toEqual([
      { uid: 1, hotkey: ln.miners[0]!.address, ip: "192.0.2.1", port: 8091 },
      { uid: 2, hotkey: ln.miners[1]!.address, ip: "2001:db8::2", port: 8092 }
    ])
  })

  test("hyperparameters match what the localnet set", async () => {
    const mg = await Effect.runPromise(readMetagraph(ln.api, { netuid: ln.netuid }))
    expect(mg.hyperparams).toMatchObject({
      netuid: ln.netuid,
      tempo: TEMPO,
      weightsRateLimit: RATE_LIMIT,
      commitRevealEnabled: false,
      commitRevealVersion: null, // spec 293 has no CommitRevealWeightsVersion
      maxWeightsLimit: 65535,
      maxWeightLimit: 1
    })
    expect(typeof mg.hyperparams.weightsVersionKey).toBe("bigint")
    // cross-check against the typed runtime API
    const hp = (await (ln.api.call as unknown as Record<string, Record<string, (n: number) => Promise<{ toJSON(): unknown }>>>)[
      "subnetInfoRuntimeApi"
    ]!["getSubnetHyperparams"]!(ln.netuid)).toJSON() as Record<string, number | boolean>
    expect(mg.hyperparams.tempo).toBe(hp["tempo"] as number)
    expect(mg.hyperparams.weightsRateLimit).toBe(hp["weightsRateLimit"] as number)
    expect(mg.hyperparams.minAllowedWeights).toBe(hp["minAllowedWeights"] as number)
    expect(mg.hyperparams.activityCutoff).toBe(hp["activityCutoff"] as number)
    expect(mg.hyperparams.immunityPeriod).toBe(hp["immunityPeriod"] as number)
    expect(mg.hyperparams.revealPeriodEpochs).toBe(hp["commitRevealPeriod"] as number)
    expect(Number(mg.hyperparams.weightsVersionKey)).toBe(hp["weightsVersion"] as number)
  })

  test("unknown netuid is a typed SubnetNotFound", async () => {
    const exit = await Effect.runPromiseExit(readMetagraph(ln.api, { netuid: 999 }))
    expect(Exit.isFailure(exit)).toBe(true)
    const err = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    expect(err?._tag).toBe("Fail")
    const e = err?._tag === "Fail" ? err.error : undefined
    expect(e).toBeInstanceOf(MetagraphError)
    expect((e as MetagraphError).reason).toBe("SubnetNotFound")
  })

  test("bad chain data fails at the boundary with MetagraphError Decode", async () => {
    const api = ln.api.call as unknown as Record<string, Record<string, (n: number) => Promise<{ toJSON(): unknown }>>>
    const raw = (await api["neuronInfoRuntimeApi"]!["getNeuronsLite"]!(ln.netuid)).toJSON() as Array<Record<string, unknown>>
    const good = await Effect.runPromise(decodeNeuronsLite(ln.netuid, raw))
    expect(good.length).toBe(4)
    const corrupt = (f: (x: Record<string, unknown>) => void) => {
      const copy = structuredClone(raw)
      f(copy[1]!)
      return Effect.runPromise(Effect.flip(decodeNeuronsLite(ln.netuid, copy)))
    }
    const e1 = await corrupt((x) => {
      ;(x["axonInfo"] as Record<string, unknown>)["ip"] = "0xzz"
    })
    expect(e1).toBeInstanceOf(MetagraphError)
    expect(e1.reason).toBe("Decode")
    const e2 = await corrupt((x) => {
      delete x["hotkey"]
    })
    expect(e2.reason).toBe("Decode")
    expect(e2.message).toContain("hotkey")
    const e3 = await corrupt((x) => {
      x["stake"] = [["5Grw", -1.5]]
    })
    expect(e3.reason).toBe("Decode")
  })

  itLive(
    "service: a new registration arrives as MinerAdded (head-driven refresh), an axon change on demand",
    () =>
      Effect.gen(function*() {
        const mg = yield* makeMetagraph({ api: ln.api, netuid: ln.netuid, refreshBlocks: 1 })
        const before = yield* mg.snapshot
        expect(before.neurons.length).toBe(4)
        const sub = yield* mg.subscribe
        const newcomer = kr.addFromUri("//Bob//quorum-newcomer")
        yield* Effect.promise(() => ln.register(newcomer)) // builds one block → new head → refresh
        const ev = yield* PubSub.take(sub).pipe(Effect.timeout("30 seconds"))
        expect(ev).toEqual({ _tag: "MinerAdded", uid: 4, hotkey: newcomer.address })
        const after = yield* mg.snapshot
        expect(after.block).toBeGreaterThan(before.block)
        expect(after.neurons.map((x) => x.hotkey)).toContain(newcomer.address)

        yield* Effect.promise(() => ln.serveAxon(ln.miners[2]!, { ip: "203.0.113.5", port: 8093 }))
        const snap = yield* mg.refresh()
        expect(snap.neurons[3]!.axon).toMatchObject({ ip: "203.0.113.5", port: 8093 })
        // the head-driven refresh may have published first; either way exactly one AxonChanged{3}
        const events: ReadonlyArray<MetagraphChange> = yield* PubSub.takeUpTo(sub, 100)
        expect(events).toEqual([{ _tag: "AxonChanged", uid: 3 }])
      }),
    60_000
  )

  itLive(
    "service layer: registering into a full subnet replaces a uid (HotkeyReplaced)",
    () =>
      Effect.gen(function*() {
        const mg = yield* Metagraph
        const sub = yield* mg.subscribe
        const n0 = (yield* mg.snapshot).neurons.length // 5 after the previous test
        // a full subnet: room for exactly one more, no immunity
        yield* Effect.promise(() => ln.exec([
          [ln.api.tx.sudo.sudo(adminTx(ln, "sudoSetImmunityPeriod", ln.netuid, 0)), ln.sudo],
          [ln.api.tx.sudo.sudo(adminTx(ln, "sudoSetMaxAllowedUids", ln.netuid, n0 + 1)), ln.sudo]
        ]))
        const filler = kr.addFromUri("//Bob//quorum-filler")
        yield* Effect.promise(() => ln.register(filler))
        const s1 = yield* mg.refresh()
        expect(s1.neurons.length).toBe(n0 + 1)
        expect(s1.hyperparams.maxAllowedUids).toBe(n0 + 1)
        expect(s1.hyperparams.immunityPeriod).toBe(0)

        const replacer = kr.addFromUri("//Bob//quorum-replacer")
        yield* Effect.promise(() => ln.register(replacer))
        const s2 = yield* mg.refresh()
        expect(s2.neurons.length).toBe(n0 + 1)
        const events: ReadonlyArray<MetagraphChange> = yield* PubSub.takeUpTo(sub, 100)
        expect(events[0]).toEqual({ _tag: "MinerAdded", uid: n0, hotkey: filler.address })
        const replaced = events.filter((e) => e._tag === "HotkeyReplaced")
        expect(replaced.length).toBe(1)
        const r = replaced[0]!
        if (r._tag !== "HotkeyReplaced") throw new Error("unreachable")
        expect(r.new).toBe(replacer.address)
        expect(s1.neurons[r.uid]!.hotkey).toBe(r.old)
        expect(s2.neurons[r.uid]!.hotkey).toBe(replacer.address)
        expect(s2.neurons[r.uid]!.axon.port).toBe(0) // the replaced uid's axon is gone
        expect(events.length).toBe(2)
      }).pipe(Effect.provide(Metagraph.layer({ api: ln.api, netuid: ln.netuid, refreshBlocks: 0 }))),
    60_000
  )
})
