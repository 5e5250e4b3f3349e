// End-to-end weight submission against the real subtensor runtime (spec 293) under chopsticks.
// One chain for the whole file (Manual blocks, height jumps). Skips without ../shared fixtures.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { KeyringPair } from "@polkadot/keyring/types"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import { Keyring } from "@polkadot/keyring"
import { hexToU8a, u8aToHex } from "@polkadot/util"
import { Effect, Exit } from "effect"
import { WeightsRejected } from "../../src/chain/ChainErrors.ts"
import { crv3RevealBlock, isEpochRunBlock } from "../../src/chain/CommitReveal.ts"
import { decryptWithSignature, encodePayloadV3, encodePayloadV4 } from "../../src/chain/Timelock.ts"
import { makeWeightSubmitter } from "../../src/chain/Weights.ts"
import { defaultConfig, type SubmitResult, type WeightSubmitterShape } from "../../src/chain/WeightsContract.ts"
import { makeSqliteJournal, type WeightsJournalShape } from "../../src/chain/WeightsJournal.ts"
import { sdkWeightProcessor } from "../../src/scoring/weights.ts"
import { Database } from "bun:sqlite"
import { join } from "node:path"
import { hasSubtensorFixture, skipNote, SUBTENSOR_FIXTURE_DIR } from "../support/shared.ts"
import { type Localnet, sharedLocalnet } from "./support/chain.ts"

// A real drand quicknet pulse (round 1000), as used in subtensor's pallet-drand tests.
const PULSE_1000 = {
  round: 1000,
  randomness: "0xfe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
  signature: "0xb44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
}

if (!hasSubtensorFixture) skipNote("chain weight tests", join(SUBTENSOR_FIXTURE_DIR, "subtensor-spec293-raw.json"))
const d = hasSubtensorFixture ? describe : describe.skip

let ln: Localnet
let db: Database
let journal: WeightsJournalShape
const t0 = performance.now()

const submitter = (signer: KeyringPair, versionKey = 0n): WeightSubmitterShape =>
  makeWeightSubmitter({
    api: ln.api,
    signer,
    journal,
    processor: sdkWeightProcessor,
    config: { ...defaultConfig(ln.netuid, versionKey), inclusionTimeout: "60 seconds", finalizationTimeout: "5 seconds" }
  })

/** Runs `eff` while producing a block as soon as the extrinsic reaches the pool. */
const withBlock = async <A, E>(eff: Effect.Effect<A, E>): Promise<Exit.Exit<A, E>> => {
  let done = false
  const run = Effect.runPromiseExit(eff).finally(() => {
    done = true
  })
  while (!done) {
    const pending = await ln.api.rpc.author.pendingExtrinsics()
    if (pending.length > 0) await ln.newBlock()
    else await Bun.sleep(20)
  }
  return run
}

const ok = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${String(exit.cause)}`)
}
const rejected = <A, E>(exit: Exit.Exit<A, E>): WeightsRejected => {
  if (Exit.isSuccess(exit)) throw new Error("expected WeightsRejected, got success")
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (err === undefined || err._tag !== "Fail" || !(err.error instanceof WeightsRejected)) {
    throw new Error(`expected WeightsRejected, got ${String(exit.cause)}`)
  }
  return err.error
}

const storedWeights = async (uid: number) => {
  const q = ln.api.query.subtensorModule as unknown as Record<string, (...a: Array<unknown>) => Promise<{ toJSON(): unknown }>>
  return (await q["weights"]!(ln.netuid, uid)).toJSON() as Array<[number, number]>
}
const au = () => ln.api.tx.adminUtils as unknown as Record<string, (...a: Array<unknown>) => SubmittableExtrinsic<"promise">>

/** Moves the head so that the next built block is `height` (no-op if already past). */
const advanceTo = async (height: number) => {
  const h = await ln.head()
  if (height - 1 > h) await ln.jumpTo(height - 1)
}

// Hand-computed from subtensor (spec 293) should_run_epoch / do_commit_crv3_weights / reveal_crv3_commits.
describe("crv3RevealBlock (spec-293 reveal rule, pure)", () => {
  test("reveals in the last block of the commit epoch (+ reveal period - 1); run-block commits go one epoch later", () => {
    // netuid 2, tempo 10: run blocks are 7, 18, ..., 62, 73, 84 ((b + 3) % 11 == 10)
    expect(isEpochRunBlock(2, 10, 73)).toBe(true)
    expect(isEpochRunBlock(2, 10, 74)).toBe(false)
    expect(crv3RevealBlock({ netuid: 2, tempo: 10, revealPeriodEpochs: 1 }, 65)).toBe(73)
    expect(crv3RevealBlock({ netuid: 2, tempo: 10, revealPeriodEpochs: 1 }, 63)).toBe(73)
    expect(crv3RevealBlock({ netuid: 2, tempo: 10, revealPeriodEpochs: 1 }, 73)).toBe(84) // keyed epoch + 1
    expect(crv3RevealBlock({ netuid: 2, tempo: 10, revealPeriodEpochs: 2 }, 65)).toBe(84)
    expect(crv3RevealBlock({ netuid: 0, tempo: 360, revealPeriodEpochs: 1 }, 100)).toBe(359)
  })
})

d("WeightSubmitter against subtensor spec 293 (chopsticks)", () => {
  beforeAll(async () => {
    ln = await sharedLocalnet()
    db = new Database(":memory:")
    journal = makeSqliteJournal(db)
    console.log(`[chain] localnet ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, netuid ${ln.netuid}`)
  }, 120_000)
  afterAll(async () => {
    console.log(`[chain] suite time ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    db?.close()
    await ln?.close()
  })

  test("set_weights: the vector reads back from SubtensorModule.Weights, journaled and WeightsSet emitted", async () => {
    const v = submitter(ln.validator)
    const state = await Effect.runPromise(v.readState())
    expect(state.hotkeyUid).toBe(0)
    expect(state.validatorPermit).toBe(true)
    expect(state.commitRevealEnabled).toBe(false)
    const vector = { uids: [1, 2, 3], values: [65535, 32768, 1] }
    const r = ok(await withBlock(v.submitVector(vector)))
    expect(r.call).toBe("set_weights")
    expect(r.events).toContain("subtensorModule.WeightsSet")
    expect(r.events).toContain("system.ExtrinsicSuccess")
    expect(await storedWeights(0)).toEqual([[1, 65535], [2, 32768], [3, 1]])
    const row = await Effect.runPromise(journal.get(r.id))
    expect(row?.status).toBe("included")
    expect(row?.blockHash).toBe(r.blockHash)
    expect(row?.blockNumber).toBe(r.blockNumber)
  }, 60_000)

  test("float weights → SDK-normalized u16 (src/scoring/weights.ts) → chain storage", async () => {
    const v = submitter(ln.validator)
    const state = await Effect.runPromise(v.readState())
    await advanceTo(state.lastUpdate + state.weightsRateLimit + 1)
    const scores = new Map([[1, 0.5], [2, 0.25], [3, 0.125]])
    const expected = v.prepare(scores, await Effect.runPromise(v.readState()))
    const r = ok(await withBlock(v.submit(scores)))
    expect(r.values).toEqual(expected.values)
    expect(await storedWeights(0)).toEqual(expected.uids.map((u, i) => [u, expected.values[i]!]))
  }, 60_000)

  test("rate limit: pre-check and chain both say RateLimited (SettingWeightsTooFast)", async () => {
    const v = submitter(ln.validator)
    const state0 = await Effect.runPromise(v.readState())
    await advanceTo(state0.lastUpdate + state0.weightsRateLimit + 1)
    ok(await withBlock(v.submitVector({ uids: [1, 2], values: [65535, 100] })))
    const pre = rejected(await Effect.runPromiseExit(v.submitVector({ uids: [1, 2], values: [65535, 200] })))
    expect(pre.source).toBe("precheck")
    expect(pre.reason._tag).toBe("RateLimited")
    expect(pre.runtimeError).toBe("SettingWeightsTooFast")
    expect(pre.message).toContain("Next:")
    const chain = rejected(await withBlock(v.submitVector({ uids: [1, 2], values: [65535, 200] }, { bypassPrecheck: true })))
    expect(chain.source).toBe("dispatch")
    expect(chain.reason._tag).toBe("RateLimited")
    expect(chain.runtimeError).toBe("SubtensorModule.SettingWeightsTooFast")
    const rows = await Effect.runPromise(journal.recent(1))
    expect(rows[0]?.status).toBe("failed")
    expect(rows[0]?.errorDetail).toBe("SubtensorModule.SettingWeightsTooFast")
  }, 60_000)

  test("missing permit: a miner hotkey gets NoValidatorPermit from pre-check and chain", async () => {
    const miner = ln.miners[0]!
    const m = submitter(miner)
    const state = await Effect.runPromise(m.readState())
    expect(state.hotkeyUid).not.toBeNull()
    expect(state.validatorPermit).toBe(false)
    await advanceTo(state.lastUpdate + state.weightsRateLimit + 1)
    const vector = { uids: [0, 2], values: [65535, 65535] }
    const pre = rejected(await Effect.runPromiseExit(m.submitVector(vector)))
    expect(pre.reason._tag).toBe("NoValidatorPermit")
    const chain = rejected(await withBlock(m.submitVector(vector, { bypassPrecheck: true })))
    expect(chain.source).toBe("dispatch")
    expect(chain.runtimeError).toBe("SubtensorModule.NeuronNoValidatorPermit")
    expect(chain.reason._tag).toBe("NoValidatorPermit")
  }, 60_000)

  test("unregistered hotkey: NotRegistered from pre-check and chain", async () => {
    const stranger = new Keyring({ type: "sr25519" }).addFromUri("//Quorum//stranger")
    const s = submitter(stranger)
    const pre = rejected(await Effect.runPromiseExit(s.submitVector({ uids: [1], values: [65535] })))
    expect(pre.reason._tag).toBe("NotRegistered")
    const chainExit = await withBlock(s.submitVector({ uids: [1], values: [65535] }, { bypassPrecheck: true }))
    const chain = rejected(chainExit)
    expect(chain.reason._tag).toBe("NotRegistered")
    expect(["pool", "dispatch"]).toContain(chain.source)
    console.log(`[chain] unregistered hotkey refused by ${chain.source}: ${chain.runtimeError}`)
  }, 60_000)

  test("version key: WeightsVersionKey above ours gives VersionKeyTooLow from pre-check and chain", async () => {
    await ln.sudoCall(au()["sudoSetWeightsVersionKey"]!(ln.netuid, 1000))
    const v = submitter(ln.validator, 999n)
    const state = await Effect.runPromise(v.readState())
    expect(state.weightsVersionKey).toBe(1000n)
    await advanceTo(state.lastUpdate + state.weightsRateLimit + 1)
    const pre = rejected(await Effect.runPromiseExit(v.submitVector({ uids: [1], values: [65535] })))
    expect(pre.reason._tag).toBe("VersionKeyTooLow")
    const chain = rejected(await withBlock(v.submitVector({ uids: [1], values: [65535] }, { bypassPrecheck: true })))
    expect(chain.runtimeError).toBe("SubtensorModule.IncorrectWeightVersionKey")
    expect(chain.reason._tag).toBe("VersionKeyTooLow")
    // with a version key ≥ the subnet's, the same vector lands
    ok(await withBlock(submitter(ln.validator, 1000n).submitVector({ uids: [1], values: [65535] })))
    await ln.sudoCall(au()["sudoSetWeightsVersionKey"]!(ln.netuid, 0))
  }, 60_000)

  test("commit-reveal on: set_weights refused (CommitRevealEnabled) by pre-check and chain", async () => {
    await ln.exec([
      [ln.api.tx.sudo.sudo(au()["sudoSetCommitRevealWeightsEnabled"]!(ln.netuid, true)), ln.sudo],
      [ln.api.tx.sudo.sudo(au()["sudoSetCommitRevealWeightsInterval"]!(ln.netuid, 1)), ln.sudo]
    ])
    const v = submitter(ln.validator)
    const pre = rejected(await Effect.runPromiseExit(v.submitVector({ uids: [1], values: [65535] }, { mode: "set" })))
    expect(pre.reason._tag).toBe("CommitRevealEnabled")
    const chain = rejected(await withBlock(v.submitVector({ uids: [1], values: [65535] }, { mode: "set", bypassPrecheck: true })))
    expect(chain.runtimeError).toBe("SubtensorModule.CommitRevealEnabled")
  }, 60_000)

  test("commit-reveal v2 (hash): commit lands, reveal too early is skipped, a restarted submitter reveals in the window", async () => {
    const v = submitter(ln.validator)
    const state = await Effect.runPromise(v.readState())
    expect(state.commitRevealEnabled).toBe(true)
    await advanceTo(state.lastUpdate + state.weightsRateLimit + 1)
    const vector = { uids: [1, 2, 3], values: [40000, 65535, 20000] }
    const c = ok(await withBlock(v.submitVector(vector, { mode: "hash" })))
    expect(c.call).toBe("commit_weights")
    expect(c.events).toContain("subtensorModule.WeightsCommitted")
    const window = c.revealWindow!
    // the chain's own commit record: (hash, commit_block, first_reveal_block, last_reveal_block)
    const q = ln.api.query.subtensorModule as unknown as Record<string, (...a: Array<unknown>) => Promise<{ toJSON(): unknown }>>
    const onChain = (await q["weightCommits"]!(ln.netuid, ln.validator.address)).toJSON() as Array<[string, number, number, number]>
    expect(onChain.at(-1)).toEqual([c.commitHash!, c.blockNumber, window.firstBlock, window.lastBlock])

    const early = await Effect.runPromise(v.revealPending())
    expect(early).toEqual([{ _tag: "TooEarly", commitId: c.id, firstBlock: window.firstBlock }])

    await advanceTo(window.firstBlock + 1)
    const restarted = submitter(ln.validator) // same journal, fresh instance: the salt comes from sqlite
    const revealed = await withBlock(restarted.revealPending())
    const results = ok(revealed)
    expect(results.map((r) => r._tag)).toEqual(["Revealed"])
    const r0 = results[0]!
    if (r0._tag !== "Revealed") throw new Error("unreachable")
    expect(r0.result.events).toContain("subtensorModule.WeightsRevealed")
    expect(r0.result.blockNumber).toBeGreaterThanOrEqual(window.firstBlock)
    expect(r0.result.blockNumber).toBeLessThanOrEqual(window.lastBlock)
    expect(await storedWeights(0)).toEqual([[1, 40000], [2, 65535], [3, 20000]])
    expect(await Effect.runPromise(journal.pendingReveals(ln.netuid, ln.validator.address))).toEqual([])
  }, 90_000)

  test("timelock: commit_crv3_weights accepted; with Drand.Pulses[1000] written, the chain reveals it", async () => {
    const v = submitter(ln.validator)
    const state = await Effect.runPromise(v.readState())
    expect(state.calls.commitCrv3Weights || state.calls.commitTimelockedWeights).toBe(true)
    await advanceTo(state.lastUpdate + state.weightsRateLimit + 1)
    const vector = { uids: [1, 2, 3], values: [65535, 1000, 30000] }
    const c: SubmitResult = ok(await withBlock(v.submitVector(vector, { mode: "timelock", revealRound: PULSE_1000.round })))
    expect(c.call).toBe(state.calls.commitTimelockedWeights ? "commit_timelocked_weights" : "commit_crv3_weights")
    expect(c.events.some((e) => /WeightsCommitted$/.test(e))).toBe(true)

    // the stored ciphertext decrypts with the real pulse signature
    type Entries = { entries: (...a: Array<unknown>) => Promise<Array<[unknown, { toJSON(): unknown }]>> }
    const q = ln.api.query.subtensorModule as unknown as Record<string, Entries>
    const entries = await q["crv3WeightCommits"]!.entries(ln.netuid)
    const all = entries.flatMap(([, val]) => val.toJSON() as Array<[string, string, number]>)
    const mine = all.find(([who, , round]) => who === ln.validator.address && round === PULSE_1000.round)
    expect(mine).toBeDefined()
    const plain = decryptWithSignature(hexToU8a(mine![1]), hexToU8a(PULSE_1000.signature))
    const payload = state.calls.commitTimelockedWeights
      ? encodePayloadV4(ln.validator.publicKey, { ...vector, versionKey: 0n })
      : encodePayloadV3({ ...vector, versionKey: 0n })
    expect(u8aToHex(plain)).toBe(u8aToHex(payload))

    // write the pulse the chain would have received from drand, then build blocks up to the reveal block
    const pulseType = ln.api.query.drand!["pulses"]!
    const key = pulseType.key(PULSE_1000.round)
    const valueTypeId = pulseType.creator.meta.type.asMap.value
    const value = ln.api.createType(ln.api.registry.lookup.getTypeDef(valueTypeId).type, {
      round: PULSE_1000.round,
      randomness: PULSE_1000.randomness,
      signature: PULSE_1000.signature
    })
    await ln.api.rpc("dev_setStorage" as never, [[key, u8aToHex(value.toU8a())]] as never)

    // spec 293 reveals CRV3 commits inside the epoch-run block (the LAST block of an epoch, where
    // (block + netuid + 1) % (tempo + 1) == tempo), for commits keyed commit_epoch + reveal_period - 1.
    const p = { netuid: ln.netuid, tempo: state.tempo, revealPeriodEpochs: state.revealPeriodEpochs }
    const revealBlock = crv3RevealBlock(p, c.blockNumber)
    expect(isEpochRunBlock(ln.netuid, state.tempo, revealBlock)).toBe(true)
    expect(revealBlock).toBeGreaterThan(c.blockNumber)
    await advanceTo(revealBlock - 1) // builds revealBlock - 2 (jump) if needed ...
    if ((await ln.head()) < revealBlock - 1) await ln.newBlock() // ... and revealBlock - 1 for real
    expect(await ln.head()).toBe(revealBlock - 1)
    const stillPending = (await q["crv3WeightCommits"]!.entries(ln.netuid))
      .flatMap(([, val]) => val.toJSON() as Array<[string, string, number]>)
      .some(([who, , round]) => who === ln.validator.address && round === PULSE_1000.round)
    expect(stillPending).toBe(true) // not revealed (nor dropped) before the reveal block
    expect(await storedWeights(0)).not.toEqual([[1, 65535], [2, 1000], [3, 30000]])

    expect(await ln.newBlock()).toBe(revealBlock)
    const events = (await ln.api.query.system.events()).map(({ event }) => event)
    const revealed = events.filter((e) => e.section === "subtensorModule" && e.method === "CRV3WeightsRevealed")
    console.log(`[chain] commit at block ${c.blockNumber}, reveal block ${revealBlock}: ${revealed.length} CRV3WeightsRevealed`)
    expect(revealed.map((e) => e.data.toJSON())).toEqual([[ln.netuid, ln.validator.address]])
    const left = (await q["crv3WeightCommits"]!.entries(ln.netuid))
      .flatMap(([, val]) => val.toJSON() as Array<[string, string, number]>)
    expect(left.some(([who]) => who === ln.validator.address)).toBe(false)
    expect(await storedWeights(0)).toEqual([[1, 65535], [2, 1000], [3, 30000]])
  }, 120_000)
})
