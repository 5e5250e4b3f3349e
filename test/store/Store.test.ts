import { describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { makeStore, openDatabase } from "../../src/store/Store.ts"
import type { RoundResult } from "../../src/scoring/types.ts"

const response = (uid: number, text: string) => ({
  uid,
  hotkey: `hk${uid}`,
  coldkey: `ck${uid}`,
  ip: "10.0.0.1",
  text,
  latencyMs: 100 + uid,
  finishReason: "stop",
  toolCalls: [{ name: "f", arguments: "{}" }]
})

describe("Store", () => {
  test("a challenge is stored once; a second insert is a DuplicateChallenge", async () => {
    const s = makeStore(openDatabase(":memory:"))
    await Effect.runPromise(s.putChallenge({ id: "c1", source: "api", payload: { prompt: "hi" }, now: 1 }))
    const exit = await Effect.runPromiseExit(s.putChallenge({ id: "c1", source: "api", payload: {}, now: 2 }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("DuplicateChallenge")
    const row = await Effect.runPromise(s.getChallenge("c1"))
    expect(row?.status).toBe("received")
    expect(JSON.parse(row?.payload ?? "{}")).toEqual({ prompt: "hi" })
  })

  test("responses and evaluations round-trip; evaluation marks the challenge evaluated", async () => {
    const s = makeStore(openDatabase(":memory:"))
    await Effect.runPromise(s.putChallenge({ id: "c2", source: "synthetic", payload: {}, now: 10 }))
    await Effect.runPromise(s.putResponse("c2", response(1, "a"), 11))
    await Effect.runPromise(s.putResponse("c2", { ...response(2, ""), error: "Timeout", latencyMs: null }, 12))
    const rs = await Effect.runPromise(s.responsesOf("c2"))
    expect(rs.map((r) => r.uid)).toEqual([1, 2])
    expect(rs[0]?.toolCalls).toEqual([{ name: "f", arguments: "{}" }])
    expect(rs[1]?.error).toBe("Timeout")
    expect(rs[1]?.latencyMs).toBeNull()
    expect((await Effect.runPromise(s.unfinishedChallenges())).map((c) => c.id)).toEqual(["c2"])
    const result: RoundResult = {
      roundId: "c2",
      taskType: "chat",
      miners: [
        { uid: 1, hotkey: "hk1", reward: 1, axes: { relevance: 0.9 }, score: 0.8, filtered: null },
        { uid: 2, hotkey: "hk2", reward: 0, axes: {}, score: 0, filtered: "error" }
      ],
      consensus: [1],
      clusters: [0, -1],
      best: 1
    }
    await Effect.runPromise(s.putEvaluation(result, 20))
    expect((await Effect.runPromise(s.getChallenge("c2")))?.status).toBe("evaluated")
    expect(await Effect.runPromise(s.unfinishedChallenges())).toEqual([])
    const rewards = await Effect.runPromise(s.rewardsSince(0))
    expect(rewards.map((r) => [r.uid, r.reward, r.filtered])).toEqual([[1, 1, null], [2, 0, "error"]])
    const recent = await Effect.runPromise(s.recentEvaluations(10))
    expect(recent).toEqual([{ challenge_id: "c2", task_type: "chat", best_uid: 1, consensus: [1], created_at: 20 }])
    expect(await Effect.runPromise(s.evaluationOf("c2"))).toEqual(result)
    expect(await Effect.runPromise(s.evaluationOf("nope"))).toBeNull()
    const totals = await Effect.runPromise(s.minerTotals(0))
    expect(totals.map((t) => [t.uid, t.rounds, t.earned, t.total_reward, t.filtered])).toEqual([
      [1, 1, 1, 1, 0],
      [2, 1, 0, 0, 1]
    ])
  })

  test("data survives reopening the file (WAL), and prune removes old rounds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-store-"))
    try {
      const path = join(dir, "v.db")
      const s1 = makeStore(openDatabase(path))
      await Effect.runPromise(s1.putChallenge({ id: "old", source: "api", payload: {}, now: 1 }))
      await Effect.runPromise(s1.putChallenge({ id: "new", source: "api", payload: {}, now: 1000 }))
      await Effect.runPromise(s1.putResponse("old", response(3, "x"), 2))
      await Effect.runPromise(s1.putState("ema", { scores: [1, 2] }, 5))
      s1.db.close()
      const s2 = makeStore(openDatabase(path))
      expect(await Effect.runPromise(s2.getState("ema"))).toEqual({ scores: [1, 2] })
      expect(await Effect.runPromise(s2.prune(500))).toBe(1)
      expect(await Effect.runPromise(s2.stats())).toEqual({ challenges: 1, responses: 0, evaluations: 0 })
      s2.db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
