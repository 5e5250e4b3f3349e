// `bun run score` batch (many files / a directory, --memory) and --db replay, as subprocesses with the real
// use-lite model. The single-file form is covered by test/scoring/scoreCli.test.ts.
import { describe, expect, test } from "bun:test"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { makeStore, openDatabase } from "../../src/store/Store.ts"
import type { FilterReason, RoundResult } from "../../src/scoring/types.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const FIXTURES = join(ROOT, "test/fixtures/rounds")

const run = (...args: Array<string>) => {
  const p = Bun.spawnSync([process.execPath, "scripts/score.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() }
}
const lines = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)

interface Miner {
  readonly uid: number
  readonly reward: number
  readonly filtered: string | null
  readonly note?: string
}

type Fixture = { id: string; prompt: string; responses: Array<{ uid: number; hotkey: string; text: string } & Record<string, unknown>> }
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as Fixture

describe.skipIf(!hasUseLite)("bun run score: batch (subprocess, real model)", () => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-batch-"))
  // round b: the same prompt later; a new hotkey replays uid 1's round-a answer word for word
  const a = fixture("chat-photosynthesis.json")
  const replayed = a.responses.find((r) => r.uid === 1)!
  const b: Fixture = {
    ...a,
    id: "round-b",
    responses: [
      ...a.responses.filter((r) => r.uid === 2 || r.uid === 3),
      { ...replayed, uid: 8, hotkey: "5Replayer", coldkey: "5ColdReplayer", ip: "192.0.2.80", latency_ms: 900 }
    ]
  }
  const seq = join(dir, "seq")
  mkdirSync(seq)
  writeFileSync(join(seq, "1-a.json"), JSON.stringify({ ...a, id: "round-a" }))
  writeFileSync(join(seq, "2-b.json"), JSON.stringify(b))

  test("files and a directory: one JSON line per round with id and file, same rewards as the single-file form", () => {
    const single = JSON.parse(run(join(FIXTURES, "chat-photosynthesis.json"), "--json", "--model", USE_LITE_DIR).stdout) as { miners: Array<Miner> }
    const r = run(join(FIXTURES, "chat-photosynthesis.json"), join(FIXTURES, "lone-sky.json"), seq, "--json", "--model", USE_LITE_DIR)
    expect(r.code).toBe(0)
    const out = lines(r.stdout)
    expect(out.map((o) => o.id)).toEqual(["chat-photosynthesis", "lone-sky", "round-a", "round-b"])
    expect(out.map((o) => o.file)).toEqual([
      join(FIXTURES, "chat-photosynthesis.json"),
      join(FIXTURES, "lone-sky.json"),
      join(seq, "1-a.json"),
      join(seq, "2-b.json")
    ])
    for (const o of out) expect(Object.keys(o).sort()).toEqual(["consensus", "file", "id", "miners"])
    expect((out[0]!.miners as Array<Miner>).map((m) => [m.uid, m.reward, m.filtered])).toEqual(single.miners.map((m) => [m.uid, m.reward, m.filtered]))
    // without the memory the replayed answer is new in round b and earns
    const replay = (out[3]!.miners as Array<Miner>).find((m) => m.uid === 8)!
    expect(replay.filtered).toBeNull()
    expect(replay.reward).toBeGreaterThan(0)
  }, 180_000)

  test("--memory carries the novelty memory across the rounds in order: the replayed answer is a copy", () => {
    const r = run(seq, "--memory", "--json", "--model", USE_LITE_DIR)
    expect(r.code).toBe(0)
    const out = lines(r.stdout)
    expect(out.map((o) => o.id)).toEqual(["round-a", "round-b"])
    const replay = (out[1]!.miners as Array<Miner>).find((m) => m.uid === 8)!
    expect(replay.filtered).toBe("copy")
    expect(replay.reward).toBe(0)
    // the line says why, as the single-file table does; paid miners carry no note
    expect(replay.note ?? "").toContain("copy of an earlier answer")
    for (const m of out[1]!.miners as Array<Miner>) if (m.filtered === null) expect(m.note).toBeUndefined()
  }, 180_000)

  test("--db replays stored rounds: old reward/filter next to the new one, --round and --last select", () => {
    const db = join(dir, "validator.db")
    const store = makeStore(openDatabase(db))
    const put = (round: Fixture, at: number, old: (uid: number) => { reward: number; filtered: FilterReason | null }) =>
      Effect.runSync(
        Effect.gen(function* () {
          const request = {
            challengeId: round.id,
            prompt: round.prompt,
            messages: [{ role: "user", content: round.prompt }],
            model: null,
            max_tokens: null,
            temperature: null,
            top_p: null,
            tools: [],
            tool_choice: null
          }
          yield* store.putChallenge({ id: round.id, source: "synthetic", payload: { id: round.id, source: "synthetic", taskType: "chat", request, reference: null, tools: [] }, now: at })
          for (const r of round.responses) {
            const latency = (r.latency_ms ?? r.latency ?? null) as number | null
            yield* store.putResponse(
              round.id,
              { uid: r.uid, hotkey: r.hotkey, coldkey: String(r.coldkey ?? ""), ip: String(r.ip ?? ""), text: r.text, latencyMs: latency, finishReason: "stop", toolCalls: [], ...(typeof r.error === "string" ? { error: r.error } : {}) },
              at
            )
          }
          const result: RoundResult = {
            roundId: round.id,
            taskType: "chat",
            miners: round.responses.map((r) => ({ uid: r.uid, hotkey: r.hotkey, score: 0, axes: {}, ...old(r.uid) })),
            consensus: [1, 2],
            clusters: [],
            best: 1
          }
          yield* store.putEvaluation(result, at + 1)
        })
      )
    // stored: everybody got an equal share, nobody was filtered (a since-changed scoring)
    put({ ...a, id: "stored-a" }, 1000, () => ({ reward: 1 / a.responses.length, filtered: null }))
    put({ ...b, id: "stored-b" }, 2000, (uid) => ({ reward: uid === 8 ? 1 : 0, filtered: uid === 8 ? null : ("out_of_consensus" as const) }))
    store.db.close()

    const one = run("--db", db, "--round", "stored-a", "--json", "--model", USE_LITE_DIR)
    expect(one.code).toBe(0)
    const [ra] = lines(one.stdout) as Array<{ id: string; changed: number; miners: Array<{ uid: number; old: Miner | null; new: Miner; changed: boolean }>; consensus: { old: Array<number>; new: Array<number> } }>
    expect(ra!.id).toBe("stored-a")
    expect(ra!.consensus.old).toEqual([1, 2])
    const m = new Map(ra!.miners.map((x) => [x.uid, x]))
    expect(m.get(5)!.old).toEqual({ reward: 1 / 7, filtered: null } as never)
    expect(m.get(5)!.new.filtered).toBe("empty")
    expect(m.get(5)!.changed).toBe(true)
    expect(m.get(7)!.new.filtered).toBe("error")
    expect(ra!.changed).toBe(ra!.miners.filter((x) => x.changed).length)

    const last = run("--db", db, "--last", "2", "--memory", "--json", "--model", USE_LITE_DIR)
    expect(last.code).toBe(0)
    const both = lines(last.stdout) as Array<{ id: string; miners: Array<{ uid: number; old: Miner | null; new: Miner }> }>
    expect(both.map((x) => x.id)).toEqual(["stored-a", "stored-b"]) // oldest first
    const replay = both[1]!.miners.find((x) => x.uid === 8)!
    expect(replay.old).toEqual({ reward: 1, filtered: null } as never)
    expect(replay.new.filtered).toBe("copy") // the memory, carried from stored-a, catches the replay

    const table = run("--db", db, "--last", "1", "--model", USE_LITE_DIR)
    expect(table.code).toBe(0)
    expect(table.stdout).toContain("round stored-b:")
    expect(run("--db", db, "--round", "nope").stderr).toContain("round nope is not in the store")
    expect(run("--db", join(dir, "missing.db")).code).toBe(1)
    expect(run("--db", db, "--last", "0").code).toBe(1)
  }, 300_000)
})

describe("bun run score: batch input errors", () => {
  test("a bad file among many fails before the model loads; an empty directory is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-batchbad-"))
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ prompt: "" , responses: [] }))
    const r = run(join(FIXTURES, "lone-sky.json"), join(dir, "bad.json"), "--json")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("bad round file")
    const empty = mkdtempSync(join(tmpdir(), "quorum-batchempty-"))
    const e = run(empty, "--json")
    expect(e.code).toBe(1)
    expect(e.stderr).toContain("no round files")
  }, 60_000)
})

if (!hasUseLite) skipNote("score CLI batch/replay (use-lite model)", USE_LITE_DIR)
