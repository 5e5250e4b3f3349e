// Unit cases of scoreRound: entity weighting.
import { describe, expect, test } from "bun:test"
import { isIdentityIp } from "../../src/scoring/round.ts"
import { answerDirection, around, orthogonalTo } from "../fixtures/rounds/synthetic.ts"
import { config, score, miner, onTopic, scene } from "./roundScene.ts"

describe("entity weighting", () => {
  const farm = (withSybilWeighting: boolean, shared: "ip" | "coldkey") => {
    const s = scene(12)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const sybils = [1, 2, 3].map((uid) => ({
      uid,
      vec: around(sybilDir, 0.2, s.r),
      text: onTopic(s.r),
      latencyMs: 300,
      ...(shared === "ip" ? { ip: "6.6.6.6" } : { coldkey: "ck-farm" })
    }))
    const honest = [s.honest(10, 3000), s.honest(11, 3500)]
    return score({ prompt: s.prompt, responses: [...sybils, ...honest] }, { ...config, entityWeighting: withSybilWeighting })
  }

  test("3 sybils on one IP vs 2 independent honest miners: the honest pair is the consensus, the farm earns one share", () => {
    const res = farm(true, "ip")
    expect(res.consensus).toEqual([10, 11])
    const farmTotal = [1, 2, 3].reduce((x, uid) => x + miner(res, uid).reward, 0)
    const honestMean = (miner(res, 10).reward + miner(res, 11).reward) / 2
    // three hotkeys of one operator earn about what one miner earns, not three shares
    expect(farmTotal).toBeLessThan(honestMean * 1.5)
    expect(farmTotal).toBeLessThan(0.5)
  })

  test("loopback addresses are no identity (local simulations share the host); a public IP is", () => {
    expect(isIdentityIp("127.0.0.1")).toBe(false)
    expect(isIdentityIp("::1")).toBe(false)
    expect(isIdentityIp("in-process")).toBe(false)
    expect(isIdentityIp("")).toBe(false)
    expect(isIdentityIp("6.6.6.6")).toBe(true)
    expect(isIdentityIp("2001:db8::1")).toBe(true)
  })

  test("paid miners of one entity split one share: three hotkeys on one coldkey earn what one honest miner earns", () => {
    const s = scene(21)
    const same = { latencyMs: 2000 }
    const res = score({
      prompt: s.prompt,
      responses: [
        s.honest(1, same.latencyMs),
        s.honest(2, same.latencyMs),
        ...[10, 11, 12].map((uid) => s.honest(uid, same.latencyMs, { coldkey: "ck-farm" }))
      ]
    })
    const farm = [10, 11, 12].reduce((a, uid) => a + miner(res, uid).reward, 0)
    const honest = (miner(res, 1).reward + miner(res, 2).reward) / 2
    // equal-quality answers: the farm's three hotkeys together get about one miner's share
    expect(farm).toBeLessThan(honest * 1.25)
    expect(farm).toBeGreaterThan(honest * 0.75)
    expect(res.miners.reduce((a, m) => a + m.reward, 0)).toBeCloseTo(1, 12)
    // each farm hotkey carries its entity share (seed 003's performance records split points by it)
    for (const uid of [10, 11, 12]) expect(miner(res, uid).entityShare).toBeCloseTo(1 / 3, 12)
    expect(miner(res, 1).entityShare).toBeUndefined()
    // without entity weighting the farm takes three shares (the reference's behaviour)
    const plain = score({ prompt: s.prompt, responses: [s.honest(1), s.honest(2), ...[10, 11, 12].map((uid) => s.honest(uid, 2000, { coldkey: "ck-farm" }))] }, { ...config, entityWeighting: false })
    expect([10, 11, 12].reduce((a, uid) => a + miner(plain, uid).reward, 0)).toBeGreaterThan(0.45)
  })

  test("a shared coldkey also makes one entity", () => {
    expect(farm(true, "coldkey").consensus).toEqual([10, 11])
  })

  test("without entity weighting the farm wins by headcount (the reference's failure mode)", () => {
    expect(farm(false, "ip").consensus).toEqual([1, 2, 3])
  })

  test("one entity alone is no consensus: 3 sybils + 1 honest, the farm's hotkeys never vouch for each other", () => {
    const s = scene(13)
    const sybilDir = orthogonalTo(answerDirection(s.prompt, s.r), s.dir)
    const res = score({
      prompt: s.prompt,
      responses: [...[1, 2, 3].map((uid) => ({ uid, vec: around(sybilDir, 0.2, s.r), text: onTopic(s.r), latencyMs: 300, ip: "6.6.6.6" })), s.honest(10)]
    })
    expect(res.consensus).toEqual([])
    const farmTotal = [1, 2, 3].reduce((x, uid) => x + miner(res, uid).reward, 0)
    expect(farmTotal).toBeLessThan(miner(res, 10).reward * 1.5)
  })
})
