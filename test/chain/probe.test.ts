// The console's chain reads against the real subtensor runtime (spec 293 under chopsticks): best block, our
// LastUpdate, the ActivityCutoff read from chain, blocks to the cutoff, and the validators' weight rows that
// the vtrust estimate is computed from (the only validator with weights agrees with the consensus: 1).
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import { Effect } from "effect"
import { makeChainProbe } from "../../src/chain/ChainProbe.ts"
import { type Localnet, startLocalnet } from "../../src/chain/Localnet.ts"
import { yumaConsensus } from "../../src/scoring/yuma.ts"
import { hasSubtensorFixture, skipNote, SUBTENSOR_FIXTURE_DIR } from "../support/shared.ts"

if (!hasSubtensorFixture) skipNote("chain probe tests", SUBTENSOR_FIXTURE_DIR)
const d = hasSubtensorFixture ? describe : describe.skip

d("ChainProbe on subtensor spec 293", () => {
  let ln: Localnet
  beforeAll(async () => {
    ln = await startLocalnet({ miners: 2, tempo: 10, weightsRateLimit: 2 })
  }, 300_000)
  afterAll(async () => {
    await ln?.close()
  }, 30_000)

  test("status and validator weights after our set_weights", async () => {
    const { api } = ln
    await ln.newBlock(12)
    const tx = api.tx as unknown as Record<string, Record<string, (...a: Array<unknown>) => SubmittableExtrinsic<"promise">>>
    await ln.exec([[tx["subtensorModule"]!["setWeights"]!(ln.netuid, [1, 2], [30000, 35535], 0), ln.validator]])
    await ln.newBlock(2)
    const permits = (await (api.query as unknown as Record<string, Record<string, (n: number) => Promise<{ toJSON(): unknown }>>>)["subtensorModule"]!["validatorPermit"]!(ln.netuid)).toJSON() as boolean[]
    const probe = makeChainProbe({
      api,
      netuid: ln.netuid,
      ourUid: 0,
      neurons: Effect.succeed(permits.map((p, uid) => ({ uid, stake: uid === 0 ? 1000 : 0, validatorPermit: p })))
    })
    const s = await Effect.runPromise(probe.status)
    expect(s.connected).toBe(true)
    expect(s.bestBlock).toBeGreaterThan(0)
    expect(s.lastUpdate).toBeGreaterThan(0)
    expect(s.activityCutoff).toBeGreaterThan(0)
    expect(s.blocksSinceUpdate).toBe(s.bestBlock! - s.lastUpdate!)
    expect(s.blocksToCutoff).toBe(s.activityCutoff! - s.blocksSinceUpdate!)
    const rows = await Effect.runPromise(probe.validatorWeights)
    expect(rows.map((r) => r.uid)).toEqual([0])
    expect([...rows[0]!.weights.keys()].sort()).toEqual([1, 2])
    expect(yumaConsensus(rows).trust.get(0)).toBeCloseTo(1, 9)
  }, 120_000)
})
