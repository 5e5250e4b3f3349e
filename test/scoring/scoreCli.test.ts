// `bun scripts/score.ts <round.json> --json` as a subprocess: one JSON object on stdout, the filtered miners at 0
// with the right reason; a malformed file exits 1 with a message on stderr. Needs the real use-lite model.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const FIXTURES = join(ROOT, "test/fixtures/rounds")

const run = (...args: Array<string>) => {
  const p = Bun.spawnSync([process.execPath, "scripts/score.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() }
}

interface CliMiner {
  readonly uid: number
  readonly reward: number
  readonly axes: Record<string, number>
  readonly filtered: string | null
}
interface CliOut {
  readonly miners: ReadonlyArray<CliMiner>
  readonly consensus: ReadonlyArray<number>
}

const parse = (stdout: string): CliOut => {
  const lines = stdout.trim().split("\n")
  expect(lines.length).toBe(1) // exactly one JSON object, nothing else
  return JSON.parse(lines[0]!) as CliOut
}

const checkShape = (out: CliOut) => {
  expect(Object.keys(out).sort()).toEqual(["consensus", "miners"])
  let sum = 0
  for (const m of out.miners) {
    expect(Object.keys(m).sort()).toEqual(["axes", "filtered", "reward", "uid"])
    expect(Number.isInteger(m.uid)).toBe(true)
    expect(m.reward).toBeGreaterThanOrEqual(0)
    for (const v of Object.values(m.axes)) expect(v >= 0 && v <= 1).toBe(true)
    sum += m.reward
  }
  expect(sum).toBeCloseTo(1, 9)
}

const byUid = (out: CliOut) => new Map(out.miners.map((m) => [m.uid, m]))

describe.skipIf(!hasUseLite)("bun run score (subprocess, real model)", () => {
  test("chat round: honest paraphrases share the reward; off-topic, empty, copy and error earn 0", () => {
    const r = run(join(FIXTURES, "chat-photosynthesis.json"), "--json")
    expect(r.code).toBe(0)
    const out = parse(r.stdout)
    checkShape(out)
    const m = byUid(out)
    expect(out.consensus).toEqual([1, 2, 3])
    for (const uid of [1, 2, 3]) expect(m.get(uid)!.reward).toBeGreaterThan(0.2)
    const want: Record<number, string> = { 4: "no_content", 5: "empty", 6: "copy", 7: "error" }
    for (const [uid, reason] of Object.entries(want)) {
      expect(m.get(Number(uid))!.reward).toBe(0)
      expect(m.get(Number(uid))!.filtered).toBe(reason)
    }
  }, 120_000)

  test("tool round: the invalid call and the text-only answer earn 0, valid calls form the consensus", () => {
    const r = run(join(FIXTURES, "tool-weather.json"), "--json", "--model", USE_LITE_DIR)
    expect(r.code).toBe(0)
    const out = parse(r.stdout)
    checkShape(out)
    const m = byUid(out)
    expect(out.consensus).toEqual([10, 11, 12])
    expect(m.get(13)!.filtered).toBe("invalid_tool_calls")
    expect(m.get(14)!.filtered).toBe("off_topic")
    expect(m.get(13)!.reward + m.get(14)!.reward).toBe(0)
  }, 120_000)

  test("lone valid answer earns 1; the table mode prints the consensus", () => {
    const r = run(join(FIXTURES, "lone-sky.json"))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("consensus: 21")
    expect(r.stdout).toMatch(/\n\s*21\s+1\.0000/)
    expect(r.stdout).toMatch(/22\s+0\.0000.*error/)
  }, 120_000)

  test("--heatmap writes the similarity matrix as PNG (worker-rendered) or SVG with the uids as labels", () => {
    const out = mkdtempSync(join(tmpdir(), "quorum-heatmap-"))
    const png = run(join(FIXTURES, "chat-photosynthesis.json"), "--json", "--heatmap", join(out, "h.png"))
    expect(png.code).toBe(0)
    parse(png.stdout) // stdout still holds only the JSON object
    expect([...readFileSync(join(out, "h.png")).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const svg = run(join(FIXTURES, "chat-photosynthesis.json"), "--heatmap", join(out, "h.svg"))
    expect(svg.code).toBe(0)
    const text = readFileSync(join(out, "h.svg"), "utf8")
    expect(text.startsWith("<svg")).toBe(true)
    for (const uid of ["1", "2", "3", "4"]) expect(text).toContain(`>${uid}<`)
    expect(run(join(FIXTURES, "chat-photosynthesis.json"), "--heatmap", join(out, "h.gif")).code).toBe(1)
  }, 120_000)
})

describe("bun run score: bad input", () => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-score-"))

  test("a malformed round file exits 1 with the key named on stderr and nothing on stdout", () => {
    const bad = join(dir, "bad.json")
    writeFileSync(bad, JSON.stringify({ prompt: "hi", responses: [{ uid: 1, hotkey: "a", text: "x", latency_ms: -5 }] }))
    const r = run(bad, "--json")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("responses.0.latency_ms")
  }, 60_000)

  test("invalid JSON, a missing file, a bad config and no arguments exit 1", () => {
    const broken = join(dir, "broken.json")
    writeFileSync(broken, "{ not json")
    const a = run(broken, "--json")
    expect(a.code).toBe(1)
    expect(a.stderr).toContain("not valid JSON")
    const b = run(join(dir, "missing.json"))
    expect(b.code).toBe(1)
    expect(b.stderr).toContain("cannot read")
    const cfg = join(dir, "cfg.json")
    writeFileSync(cfg, JSON.stringify({ version: 1 }))
    const c = run(join(FIXTURES, "lone-sky.json"), "--config", cfg)
    expect(c.code).toBe(1)
    expect(c.stderr).toContain("bad scoring config")
    expect(run().code).toBe(1)
  }, 60_000)
})

if (!hasUseLite) skipNote("score CLI semantic cases (use-lite model)", USE_LITE_DIR)
