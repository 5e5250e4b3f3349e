// The load test: its analysis on hand-made lines (lost answers, overhead, deadlines, goals), and a short
// bounded run of `bun run loadtest` — the real validator process against 32 real HTTP miners in another
// process for 30 s — whose report must count 0 lost answers and carry every stage, plot and goal. Slow
// rounds (a busy machine) only lengthen the drain (up to 240 s); nothing here depends on speed.
import { describe, expect, test } from "bun:test"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseServed, parseStalls, SPARE_UID_BASE, type ProbeLine } from "../../scripts/loadtest/probes.ts"
import { analyze } from "../../scripts/loadtest/report.ts"
import { hasAlpaca } from "../../src/miners/sim/AlpacaCorpus.ts"
import { hasUseLite, skipNote } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const goals = { challengesPerMinute: 60, overheadP99Ms: 5, rssGrowth: 0.1, deadlineSlackMs: 1000 }

describe("loadtest analysis", () => {
  const probe: Array<ProbeLine> = [
    { k: "round", c: "a", t: 0, ev: "created" },
    { k: "round", c: "a", t: 10, ev: "running" },
    { k: "req", c: "a", uid: 0, t: 12, ms: 1003, lat: 1003 },
    { k: "req", c: "a", uid: 1, t: 12, ms: 2010, lat: 2010 },
    { k: "req", c: "a", uid: 2, t: 13, ms: 5000, err: "Timeout" },
    { k: "req", c: "a", uid: 3, t: 14, at: 1_000_000, ms: 506, lat: 506 },
    { k: "put", c: "a", uid: 0, ms: 0.5 },
    { k: "round", c: "a", t: 5100, ev: "embedded", ms: 80, n: 3 },
    { k: "round", c: "a", t: 5110, ev: "scored", ms: 5, rewards: [[0, 0.75], [1, 0.25], [2, 0]] },
    { k: "round", c: "a", t: 5120, ev: "stored", ms: 2 },
    // a round that waited in a mailbox: stored long after its deadline + embedding
    { k: "round", c: "b", t: 30_000, ev: "created" },
    { k: "round", c: "b", t: 30_000, ev: "running" },
    { k: "round", c: "b", t: 60_000, ev: "embedded", ms: 100 },
    { k: "round", c: "b", t: 60_001, ev: "stored", ms: 1 },
    ...[0, 20_000, 40_000].map((t, i): ProbeLine => ({ k: "sample", t, rss: 100e6 * (1 + i * 0.01), heap: 1, lagMax: 2, lagP99: 1 }))
  ]
  const served = [
    { c: "a", uid: 0, kind: "reply", delay: 1000, chars: 1200 },
    { c: "a", uid: 1, kind: "reply", delay: 2000, chars: 900 }, // answered in time, not stored: lost
    { c: "a", uid: 2, kind: "hang", delay: null, chars: 0 },
    { c: "b", uid: 0, kind: "reply", delay: 4900, chars: 10 }, // after the timeout margin: late, not lost
    // dendrite carries no challenge id: matched to the request sent to that miner just before it saw it
    { c: null, uid: 3, kind: "reply", delay: 500, chars: 800, at: 1_000_020 }
  ]
  const r = analyze({
    probe,
    served,
    stored: [{ c: "a", uid: 0, ok: true }, { c: "a", uid: 2, ok: false }, { c: "a", uid: 3, ok: true }],
    behaviours: new Map([[0, "honest"], [1, "copycat"], [2, "flaky"], [3, "honest"]]),
    timeoutMs: 5000,
    durationMs: 60_000,
    warmupMs: 0,
    goals,
    maxConcurrent: 15
  })

  test("counts lost answers (received or answered in time, not stored) and late ones apart", () => {
    expect(r.lost).toBe(1)
    expect(r.answers.lost_samples).toEqual([{ c: "a", uid: 1, delay: 2010, why: "received, no stored row" }])
    expect(r.answers.answered_after_timeout).toBe(1)
    expect(r.goals.find((g) => g.name === "lost_answers")?.ok).toBe(false)
  })

  test("stage latencies, overhead = validator latency − the miner's own delay, reward shares", () => {
    expect(r.stages_ms.queue.max).toBe(10)
    expect(r.stages_ms.overhead.max).toBe(10)
    expect(r.stages_ms.overhead.n).toBe(3) // incl. the dendrite answer matched by time (506 − 500)
    expect(r.answers.answered_in_time).toBe(3)
    expect(r.stages_ms.embed.n).toBe(2)
    expect(r.reward_share_by_behaviour).toEqual({ honest: 0.75, copycat: 0.25, flaky: 0 })
    expect(r.challenges_per_minute).toBe(2)
  })

  test("a miner's own lateness (its measured time to a ready response) is not charged to the validator", () => {
    // uid 0 was on time: of the validator's 1003 ms, 3 ms are overhead
    const lines = [
      JSON.stringify({ n: 1, c: "a", uid: 0, kind: "reply", delay: 1000, chars: 1200 }),
      JSON.stringify({ n: 2, c: "a", uid: 1, kind: "reply", delay: 1500, chars: 900 }),
      JSON.stringify({ n: 1, ready: 1000 }),
      JSON.stringify({ n: 2, ready: 1800 }),
      ""
    ]
    const parsed = parseServed(lines)
    expect(parsed.map((s) => s.ready)).toEqual([1000, 1800])
    const late = analyze({
      probe: probe.filter((l) => l.k !== "req" || l.uid < 2),
      served: parsed,
      stored: [{ c: "a", uid: 0, ok: true }, { c: "a", uid: 1, ok: true }],
      behaviours: new Map([[0, "honest"], [1, "honest"]]),
      timeoutMs: 5000,
      durationMs: 60_000,
      warmupMs: 0,
      goals,
      maxConcurrent: 15
    })
    // uid 1: validator 2010 ms, the miner itself 1800 ms (300 ms past its plan) → 210 ms overhead, 300 ms lateness
    expect(late.stages_ms.overhead.max).toBe(210)
    expect(late.stages_ms.overhead.mean).toBe(106.5) // (3 + 210) / 2
    expect(late.miner_process_lateness_ms.max).toBe(300)
    // the report says what the missed overhead goal is made of
    expect(late.overhead_limit).toContain("42× the goal")
    expect(late.overhead_limit).toContain("CPU contention")
  })

  test("the overhead goal counts the requests after the warm-up (the start-up's apart); its two legs on the shared clock", () => {
    // probe clock t = epoch − 1_000_000; uid 0 asked during the warm-up (50 ms overhead), uid 1 after it (4 ms)
    const lines = [
      JSON.stringify({ n: 1, c: "w", uid: 0, kind: "reply", delay: 1000, chars: 10, at: 1_000_010 }),
      JSON.stringify({ n: 2, c: "w", uid: 1, kind: "reply", delay: 1000, chars: 10, at: 1_020_010 }),
      JSON.stringify({ n: 1, ready: 1000, start: 1_000_040, end: 1_001_040 }),
      JSON.stringify({ n: 2, ready: 1000, start: 1_020_003, end: 1_021_003 }),
      ""
    ]
    const w = analyze({
      probe: [
        { k: "round", c: "w", t: 0, ev: "created" },
        { k: "round", c: "w", t: 1, ev: "running" },
        { k: "req", c: "w", uid: 0, t: 2, at: 1_000_002, ms: 1052, lat: 1050 },
        { k: "req", c: "w", uid: 1, t: 20_000, at: 1_020_000, ms: 1006, lat: 1004 },
        { k: "round", c: "w", t: 21_100, ev: "stored", ms: 1 }
      ],
      served: parseServed(lines),
      stored: [{ c: "w", uid: 0, ok: true }, { c: "w", uid: 1, ok: true }],
      behaviours: new Map([[0, "honest"], [1, "honest"]]),
      timeoutMs: 5000,
      durationMs: 60_000,
      warmupMs: 10_000,
      goals,
      maxConcurrent: 15
    })
    expect(w.stages_ms.overhead.n).toBe(1)
    expect(w.stages_ms.overhead.max).toBe(4)
    expect(w.overhead_all_requests_ms.max).toBe(50)
    // uid 1: asked at 1_020_000, its handler started at 1_020_003 (3 ms); ready at 1_021_003, parsed at 1_021_006 (3 ms)
    expect(w.overhead_parts_ms.to_miner.max).toBe(3)
    expect(w.overhead_parts_ms.from_miner.max).toBe(3)
  })

  test("the baseline client's spare miners are measured apart: not the validator's answers, same overhead rule", () => {
    const spare = SPARE_UID_BASE + 3
    const lines = [
      JSON.stringify({ n: 1, c: "v", uid: 0, kind: "reply", delay: 1000, chars: 10, at: 1_000_010 }),
      JSON.stringify({ n: 2, c: "baseline-1", uid: spare, kind: "reply", delay: 1000, chars: 10, at: 1_000_010 }),
      JSON.stringify({ n: 1, ready: 1000, start: 1_000_004, end: 1_001_004 }),
      JSON.stringify({ n: 2, ready: 1000, start: 1_000_009, end: 1_001_009 }),
      ""
    ]
    const b = analyze({
      probe: [
        { k: "round", c: "v", t: 0, ev: "created" },
        { k: "round", c: "v", t: 0, ev: "running" },
        { k: "req", c: "v", uid: 0, t: 1, at: 1_000_001, ms: 1008, lat: 1007 },
        { k: "round", c: "v", t: 1100, ev: "stored", ms: 1 }
      ],
      served: parseServed(lines),
      stored: [{ c: "v", uid: 0, ok: true }],
      behaviours: new Map([[0, "honest"]]),
      timeoutMs: 5000,
      durationMs: 60_000,
      warmupMs: 0,
      goals,
      maxConcurrent: 15,
      // asked at 1_000_001, handler at 1_000_009 (8 ms), ready at 1_001_009, parsed at 1_001_012 (3 ms)
      baseline: [{ k: "req", c: "baseline-1", uid: spare, t: 0, at: 1_000_001, ms: 1011, lat: 1010 }]
    })
    // the spare miner's answer is not a lost validator answer, and not in the validator's overhead
    expect(b.lost).toBe(0)
    expect(b.answers.answered_in_time).toBe(1)
    expect(b.stages_ms.overhead.max).toBe(7)
    expect(b.baseline_client_ms.requests).toBe(1)
    expect(b.baseline_client_ms.overhead.max).toBe(10)
    expect(b.baseline_client_ms.to_miner.max).toBe(8)
    expect(b.baseline_client_ms.from_miner.max).toBe(3)
    // the goal (5 ms) is missed by 7 ms; the baseline's 10 ms says the machine, not the validator, is the limit
    expect(b.overhead_limit).toContain("floor is already 2.0× the goal")
    expect(b.overhead_limit).toContain("adds nothing measurable")
  })

  test("a request that waited on a stall of the miner process is counted apart from the validator's overhead", () => {
    // uid 0 reached its handler 2 ms after the query; uid 1 waited 300 ms while the miner process was stalled
    const lines = [
      JSON.stringify({ n: 1, c: "s", uid: 0, kind: "reply", delay: 1000, chars: 10, at: 1_000_010 }),
      JSON.stringify({ n: 2, c: "s", uid: 1, kind: "reply", delay: 1000, chars: 10, at: 1_000_310 }),
      JSON.stringify({ stall: { from: 1_000_005, to: 1_000_300 } }),
      JSON.stringify({ n: 1, ready: 1000, start: 1_000_003, end: 1_001_003 }),
      JSON.stringify({ n: 2, ready: 1000, start: 1_000_301, end: 1_001_301 }),
      ""
    ]
    expect(parseStalls(lines)).toEqual([{ from: 1_000_005, to: 1_000_300 }])
    const x = analyze({
      probe: [
        { k: "round", c: "s", t: 0, ev: "created" },
        { k: "round", c: "s", t: 0, ev: "running" },
        { k: "req", c: "s", uid: 0, t: 1, at: 1_000_001, ms: 1004, lat: 1003 },
        { k: "req", c: "s", uid: 1, t: 1, at: 1_000_001, ms: 1302, lat: 1301 },
        { k: "round", c: "s", t: 1400, ev: "stored", ms: 1 }
      ],
      served: parseServed(lines),
      stored: [{ c: "s", uid: 0, ok: true }, { c: "s", uid: 1, ok: true }],
      behaviours: new Map([[0, "honest"], [1, "honest"]]),
      timeoutMs: 5000,
      durationMs: 60_000,
      warmupMs: 0,
      goals,
      maxConcurrent: 15,
      minerStalls: parseStalls(lines)
    })
    expect(parseServed(lines)).toHaveLength(2)
    expect(x.stages_ms.overhead.n).toBe(1)
    expect(x.stages_ms.overhead.max).toBe(3)
    expect(x.miner_stalls).toMatchObject({ count: 1, total_ms: 295, requests_behind: 1 })
    expect(x.miner_stalls.overhead_with_them_ms.max).toBe(301)
    expect(x.lost).toBe(0)
  })

  test("with several miner processes, a stall delays only the requests its own process served", () => {
    // the same two requests as above, served by two processes; only process 1 stalled
    const shard0 = [
      JSON.stringify({ n: 1, c: "s", uid: 0, kind: "reply", delay: 1000, chars: 10, at: 1_000_010 }),
      JSON.stringify({ n: 1, ready: 1000, start: 1_000_003, end: 1_001_003 })
    ]
    const shard1 = [
      JSON.stringify({ n: 1, c: "s", uid: 1, kind: "reply", delay: 1000, chars: 10, at: 1_000_310 }),
      JSON.stringify({ stall: { from: 1_000_002, to: 1_000_300 } }),
      JSON.stringify({ n: 1, ready: 1000, start: 1_000_301, end: 1_001_301 })
    ]
    const served = [...parseServed(shard0, 0), ...parseServed(shard1, 1)]
    // each process numbers its own lines: the ready lines join within their shard
    expect(served.map((s) => [s.uid, s.shard, s.start])).toEqual([[0, 0, 1_000_003], [1, 1, 1_000_301]])
    const x = analyze({
      probe: [
        { k: "round", c: "s", t: 0, ev: "created" },
        { k: "round", c: "s", t: 0, ev: "running" },
        { k: "req", c: "s", uid: 0, t: 1, at: 1_000_001, ms: 1004, lat: 1003 },
        { k: "req", c: "s", uid: 1, t: 1, at: 1_000_001, ms: 1302, lat: 1301 },
        { k: "round", c: "s", t: 1400, ev: "stored", ms: 1 }
      ],
      served,
      stored: [{ c: "s", uid: 0, ok: true }, { c: "s", uid: 1, ok: true }],
      behaviours: new Map([[0, "honest"], [1, "honest"]]),
      timeoutMs: 5000,
      durationMs: 60_000,
      warmupMs: 0,
      goals,
      maxConcurrent: 15,
      minerStalls: [...parseStalls(shard0, 0), ...parseStalls(shard1, 1)]
    })
    // process 1's stall (which also spans uid 0's wait) is not blamed for uid 0: its 3 ms stay in the overhead
    expect(x.miner_stalls).toMatchObject({ count: 1, requests_behind: 1 })
    expect(x.stages_ms.overhead.n).toBe(1)
    expect(x.stages_ms.overhead.max).toBe(3)
  })

  test("a round stored past deadline + embedding + slack misses the deadline goal; the report names the limit", () => {
    expect(r.rounds.over_deadline).toEqual([{ c: "b", overMs: 24_901 }])
    expect(r.ok).toBe(false)
    expect(r.limit).toContain("short of 60/min")
  })
})

const canRun = hasAlpaca() && hasUseLite
if (!canRun) skipNote("alpacaeval-dev answers and the use-lite model (bounded load test)", join(ROOT, "../shared"))

describe.skipIf(!canRun)("bun run loadtest (bounded: 32 miners, 30 s)", () => {
  test("drives the real validator against real HTTP miners; report with 0 lost, every stage and the plots", async () => {
    const out = mkdtempSync(join(tmpdir(), "quorum-loadtest-"))
    // an earlier run's probe in the same --out: its 300 rounds must not reach this run's report
    const old = Array.from({ length: 300 }, (_, i) => [{ k: "round", c: `old-${i}`, t: i, ev: "created" }, { k: "round", c: `old-${i}`, t: i + 1, ev: "stored", ms: 1 }])
    writeFileSync(join(out, "probe.jsonl"), old.flat().map((l) => JSON.stringify(l)).join("\n") + "\n")
    try {
      const p = Bun.spawn(
        [process.execPath, join(ROOT, "scripts/loadtest.ts"), "--miners", "32", "--duration", "30s", "--warmup", "5s", "--rate", "4", "--timeout", "12", "--drain", "240s",
          "--miner-procs", "3", "--protocol", "dendrite", "--model", join(ROOT, "../shared/models/use-lite"), "--out", out],
        { cwd: ROOT, stdout: "pipe", stderr: "pipe" }
      )
      const code = await p.exited
      const stdout = await new Response(p.stdout).text()
      const stderr = await new Response(p.stderr).text()
      if (!existsSync(join(out, "report.json"))) throw new Error(`no report (exit ${code}):\n${stdout}\n${stderr.slice(-3000)}`)
      const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as ReturnType<typeof analyze>
      expect(report.lost).toBe(0)
      expect(report.answers.answered_in_time).toBeGreaterThan(0)
      expect(report.rounds.evaluated).toBeGreaterThan(0)
      expect(report.rounds.created).toBeLessThan(20) // 30 s at 4/min, none of the earlier run's
      expect(stderr).toContain("holds an earlier run")
      expect(typeof report.challenges_per_minute).toBe("number")
      for (const stage of ["queue", "fanout", "miner", "embed", "score", "store", "overhead"] as const) expect(report.stages_ms[stage].n).toBeGreaterThan(0)
      expect(report.answers.answer_chars.p50).toBeGreaterThan(500) // real LLM answers, not one-liners
      expect(Object.keys(report.reward_share_by_behaviour).length).toBeGreaterThan(1)
      // the bounded caches are sampled beside RSS (the validator registers them)
      expect(report.rss.caches_end["embed_text_cache"]).toBeGreaterThan(0)
      expect(report.rss.caches_end["novelty_memory"]).toBeGreaterThan(0)
      // the miners' own time to a ready response was measured (overhead excludes it)
      expect(report.miner_process_lateness_ms.n).toBeGreaterThan(0)
      // the baseline client ran against the spare miners and its overhead was measured the same way
      expect(report.baseline_client_ms.requests).toBeGreaterThan(0)
      expect(report.baseline_client_ms.overhead.n).toBeGreaterThan(0)
      // the miners ran in 3 processes, their lists merged into the one the validator read
      expect((report as unknown as { config: { miner_procs: number } }).config.miner_procs).toBe(3)
      expect((JSON.parse(readFileSync(join(out, "miners.json"), "utf8")) as { miners: Array<{ uid: number }> }).miners.map((m) => m.uid)).toEqual(Array.from({ length: 32 }, (_, i) => i))
      for (const png of ["challenges_per_minute", "stage_latency", "rss", "event_loop_lag", "reward_share"]) {
        expect(readFileSync(join(out, `${png}.png`)).subarray(1, 4).toString()).toBe("PNG")
      }
      // exit status follows the goals: 0 only when every goal was met, and a miss is said loudly
      expect(code === 0).toBe(report.ok)
      if (!report.ok) expect(stderr).toContain("LOAD TEST FAILED")
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 480_000)
})
