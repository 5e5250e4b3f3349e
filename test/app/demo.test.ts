// End-to-end: `bun src/main.ts` in demo mode, as an operator runs it — real simulated miners over HTTP,
// the real embedding model in worker threads, the real scorer, SQLite — bounded by DEMO_ROUNDS.
import { Database } from "bun:sqlite"
import { describe, expect, test } from "bun:test"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { makeSyntheticSource } from "../../src/challenges/Synthetic.ts"
import { assignBehaviours, parseMix } from "../../src/miners/sim/Behaviour.ts"
import { loadCorpus } from "../../src/challenges/Corpus.ts"
import { makeStore, openDatabase } from "../../src/store/Store.ts"
import { hasSubtensorFixture, hasUseLite, skipNote, SUBTENSOR_FIXTURE_DIR, USE_LITE_DIR } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const MIX = "honest=0.5,fast-junk=0.17,copycat=0.17,offline=0.16"
const MINERS = 6
const SEED = 11

const runValidator = async (env: Record<string, string>, args: ReadonlyArray<string> = [], timeoutMs = 150_000) => {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, DOTENV_PATH: "/nonexistent/.env", ...env },
    stdout: "pipe",
    stderr: "pipe"
  })
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

const demoEnv = (dir: string, rounds: number): Record<string, string> => ({
  QUORUM_MODE: "demo",
  DEMO_CHAIN: "off",
  DEMO_MINERS: String(MINERS),
  DEMO_MIX: MIX,
  DEMO_SEED: String(SEED),
  DEMO_ROUNDS: String(rounds),
  MIN_MINERS: "2",
  CHALLENGE_INTERVAL_SECONDS: "0.5",
  CHALLENGE_TIMEOUT_SECONDS: "6",
  API_PORT: "0",
  DB_PATH: join(dir, "q.db"),
  HEATMAP_DIR: join(dir, "heatmaps"),
  MODEL_PATH: USE_LITE_DIR,
  EMBED_POOL_SIZE: "1",
  LOG_LEVEL: "WARN"
})

if (!hasUseLite) skipNote("demo end-to-end tests", USE_LITE_DIR)
const d = hasUseLite ? describe : describe.skip

d("validator demo (subprocess, real miners over HTTP, real model)", () => {
  test("bounded run: rounds evaluated and persisted, junk and offline miners never earn, honest ones do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-demo-"))
    try {
      const { stdout, stderr, code } = await runValidator(demoEnv(dir, 3))
      if (code !== 0) console.error(stderr)
      expect(code).toBe(0)
      const lines = stdout.trim().split("\n")
      const summary = JSON.parse(lines[lines.length - 1]!) as { mode: string; rounds: number; submission: { ok: boolean; kind?: string } | null }
      expect(summary.mode).toBe("demo")
      expect(summary.rounds).toBeGreaterThanOrEqual(3)
      expect(summary.submission?.ok).toBe(true)
      expect(summary.submission?.kind).toBe("dry-run")

      const db = new Database(join(dir, "q.db"), { readonly: true })
      const evals = db.query("SELECT challenge_id AS id FROM evaluations").all() as Array<{ id: string }>
      expect(evals.length).toBeGreaterThanOrEqual(3)
      const behaviours = assignBehaviours(MINERS, parseMix(MIX), SEED)
      const byUid = new Map<number, number>()
      for (const { id } of evals) {
        const rows = db.query("SELECT uid, reward FROM rewards WHERE challenge_id = ?").all(id) as Array<{ uid: number; reward: number }>
        const sum = rows.reduce((a, r) => a + r.reward, 0)
        expect(sum === 0 || Math.abs(sum - 1) < 1e-6).toBe(true)
        for (const r of rows) byUid.set(r.uid, (byUid.get(r.uid) ?? 0) + r.reward)
      }
      for (const [uid, total] of byUid) {
        const b = behaviours[uid]
        if (b === "offline" || b === "fast-junk" || b === "copycat") expect({ uid, b, total }).toEqual({ uid, b, total: 0 })
      }
      const honestTotal = [...byUid].filter(([uid]) => behaviours[uid] === "honest").reduce((a, [, t]) => a + t, 0)
      expect(honestTotal).toBeGreaterThan(0)
      const dry = db.query("SELECT value FROM state WHERE key = 'weights:dry-run'").get() as { value: string } | null
      expect(dry).not.toBeNull()
      const emitted = JSON.parse(dry!.value) as { uids: Array<number>; values: Array<number> }
      expect(Math.max(...emitted.values)).toBe(65535)
      for (const uid of emitted.uids) expect(["honest", "slow"]).toContain(behaviours[uid]!)
      db.close()
      expect(readdirSync(join(dir, "heatmaps")).some((f) => f.endsWith(".png"))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  test("a round received before a crash is resumed from its stored answers and evaluated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-resume-"))
    try {
      const corpus = loadCorpus()
      const challenge = makeSyntheticSource({ ...corpus, toolPrompts: [] }, { seed: 3 }).next("crashed-round-1")
      const entry = corpus.entries.find((e) => e.prompt === challenge.request.prompt)!
      const db = openDatabase(join(dir, "q.db"))
      const store = makeStore(db)
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* store.putChallenge({ id: challenge.id, source: "synthetic", payload: challenge, now: Date.now() })
          yield* store.setChallengeStatus(challenge.id, "running", Date.now())
          for (const [i, text] of [entry.answers[1]!, entry.answers[2]!, entry.decoy].entries()) {
            yield* store.putResponse(
              challenge.id,
              { uid: 100 + i, hotkey: `hk-${i}`, coldkey: `ck-${i}`, ip: `10.0.0.${i}`, text, latencyMs: 900, finishReason: "stop", toolCalls: [] },
              Date.now()
            )
          }
        })
      )
      db.close()
      const { stderr, code } = await runValidator({ ...demoEnv(dir, 1), CHALLENGE_INTERVAL_SECONDS: "3600" })
      if (code !== 0) console.error(stderr)
      expect(code).toBe(0)
      const check = new Database(join(dir, "q.db"), { readonly: true })
      const row = check.query("SELECT status FROM challenges WHERE id = ?").get(challenge.id) as { status: string }
      expect(row.status).toBe("evaluated")
      const rewards = check.query("SELECT uid, reward, filtered FROM rewards WHERE challenge_id = ? ORDER BY uid").all(challenge.id) as Array<{
        uid: number
        reward: number
        filtered: string | null
      }>
      expect(rewards.map((r) => r.uid)).toEqual([100, 101, 102])
      // the decoy (off-topic) answer earns nothing; the two paraphrases share the reward
      expect(rewards[2]!.reward).toBe(0)
      expect(rewards[0]!.reward + rewards[1]!.reward).toBeCloseTo(1, 6)
      check.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

if (!hasSubtensorFixture) skipNote("demo on the local chain", SUBTENSOR_FIXTURE_DIR)
const dc = hasUseLite && hasSubtensorFixture ? describe : describe.skip

dc("validator demo on the local subtensor (spec 293 under chopsticks)", () => {
  test("miners come from the chain's metagraph and the weights land in a block", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-chain-"))
    try {
      const { stdout, stderr, code } = await runValidator({ ...demoEnv(dir, 2), DEMO_CHAIN: "auto", CHALLENGE_INTERVAL_SECONDS: "1" }, [], 240_000)
      if (code !== 0) console.error(stderr)
      expect(code).toBe(0)
      const lines = stdout.trim().split("\n")
      const summary = JSON.parse(lines[lines.length - 1]!) as {
        rounds: number
        weights: Array<{ uid: number; weight: number }>
        submission: { ok: boolean; kind?: string; block?: string; miners?: number }
      }
      expect(summary.rounds).toBeGreaterThanOrEqual(2)
      expect(summary.submission.ok).toBe(true)
      expect(summary.submission.kind).toBe("set_weights")
      expect(summary.submission.block).toMatch(/^0x[0-9a-f]{64}$/)
      // chain uids: the validator is uid 0 and never weighted; the miners are 1..DEMO_MINERS
      for (const w of summary.weights) expect(w.uid).toBeGreaterThan(0)
      // the submission was journaled with its block hash before the process stopped
      const db = new Database(join(dir, "q.db"), { readonly: true })
      const rows = db.query("SELECT kind, status, block_hash FROM weight_submissions").all() as Array<{ kind: string; status: string; block_hash: string | null }>
      expect(rows.some((r) => r.kind === "set" && r.status === "included" && r.block_hash === summary.submission.block)).toBe(true)
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})

describe("validator config errors (subprocess)", () => {
  test("a bad value stops the start with a message naming the key, the value and what is allowed", async () => {
    const { stderr, code } = await runValidator({}, ["--netuid", "abc"], 30_000)
    expect(code).toBe(2)
    expect(stderr).toContain("NETUID")
    expect(stderr).toContain("abc")
    expect(stderr).toContain("0..65535")
  }, 40_000) // a cold start on a loaded 2-core machine can exceed bun's 5 s default
  test("--help lists every key", async () => {
    const { stdout, code } = await runValidator({}, ["--help"], 30_000)
    expect(code).toBe(0)
    for (const key of ["NETUID", "SUBTENSOR_NETWORK", "CHALLENGE_TIMEOUT_SECONDS", "DEMO_ROUNDS", "AGGREGATION"]) expect(stdout).toContain(key)
  }, 40_000)
})
