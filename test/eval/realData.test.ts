// The evaluation on the real data set (../shared/data/alpacaeval-dev) and the model: a few rounds end to end
// through `bun scripts/eval.ts`. Skips without ../shared; the no-data case always runs.
import { describe, expect, test } from "bun:test"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { baseModels, hasDataset, loadDataset, variantModels } from "../../src/eval/dataset.ts"
import { buildRound, makePlan } from "../../src/eval/rounds.ts"
import { hasUseLite, SHARED_DIR, skipNote } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")
const DATA = join(SHARED_DIR, "data/alpacaeval-dev")
const hasData = hasDataset(DATA)

const evalCli = (...args: Array<string>) => {
  const p = Bun.spawnSync([process.execPath, "scripts/eval.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() }
}

test("without the data set the eval skips cleanly (exit 0, a message)", () => {
  const r = evalCli("--data", join(tmpdir(), "no-such-alpacaeval"))
  expect(r.code).toBe(0)
  expect(r.stderr).toContain("skipped")
  expect(r.stdout).toBe("")
}, 30_000)

describe.skipIf(!hasData)("eval on the real data set", () => {
  test("rounds: 16 of the base models, the 6 variants, 9 adversaries; the reference model is no miner", () => {
    const d = loadDataset(DATA)
    expect(d.prompts.length).toBe(300)
    expect(variantModels(d).length).toBe(6)
    expect(baseModels(d).length).toBeGreaterThanOrEqual(30)
    const plan = makePlan(d, { seed: 1, models: 16, reference: true })
    expect(plan.referenceModel).toBe("gemma-2-9b-it-SimPO")
    for (let r = 0; r < 3; r++) {
      const round = buildRound(d, plan, r)
      expect(round.miners.filter((m) => m.kind === "honest").length).toBe(16)
      expect(round.input.responses.length).toBe(16 + 6 + 9)
      expect(round.miners.map((m) => m.name)).not.toContain("gemma-2-9b-it-SimPO")
      expect(round.input.reference).toBe(d.outputs.get("gemma-2-9b-it-SimPO")!.get(round.promptIndex)!)
    }
  })

  test.skipIf(!hasUseLite)("bun run eval --rounds 2 --json: a complete report, the JSON and the PNG written", () => {
    const out = mkdtempSync(join(tmpdir(), "quorum-eval-"))
    const r = evalCli("--rounds", "2", "--time-samples", "1", "--json", "--out", out)
    expect(r.code).toBe(0)
    const rep = JSON.parse(r.stdout) as {
      rounds: number
      honest: { answers: number; falseZeroRate: number; perModel: Record<string, unknown> }
      adversaries: Record<string, { paidShare: number }>
      spearman: { models: number }
      variants: Array<{ model: string; against: string }>
      timing: { samples: number; round16Ms: number }
    }
    expect(rep.rounds).toBe(2)
    expect(rep.honest.answers).toBe(32)
    expect(Object.keys(rep.adversaries).sort()).toEqual(
      ["constant", "echo", "edited_copy", "empty", "first_sentence", "jumble", "other_prompt", "random_words", "refusal"]
    )
    expect(rep.adversaries.empty!.paidShare).toBe(0)
    expect(rep.variants.length).toBe(6)
    expect(rep.timing.samples).toBe(1)
    expect(rep.timing.round16Ms).toBeGreaterThan(0)
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).rounds).toBe(2)
    expect([...readFileSync(join(out, "plot.png")).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    expect(existsSync(join(out, "plot.svg"))).toBe(true)
    expect(r.stderr).toContain("eval: 2/2 rounds")
  }, 300_000)

  test.skipIf(!hasUseLite)("--restart-every: a memory restored from its snapshot scores as if nothing restarted", () => {
    type Rep = { options: { restarts: { every: number; count: number; memory: string | null } }; honest: unknown; adversaries: unknown; spearman: unknown }
    const run = (...extra: Array<string>) => {
      const r = evalCli("--rounds", "12", "--seed", "3", "--time-samples", "0", "--json", "--out", mkdtempSync(join(tmpdir(), "quorum-eval-")), ...extra)
      expect(r.code).toBe(0)
      return JSON.parse(r.stdout) as Rep
    }
    const [plain, restored, forgotten] = [run(), run("--restart-every", "3"), run("--restart-every", "3", "--forget")]
    expect(restored.options.restarts).toEqual({ every: 3, count: 3, memory: "restored" })
    expect(forgotten.options.restarts.memory).toBe("forgotten")
    expect([restored.honest, restored.adversaries, restored.spearman]).toEqual([plain.honest, plain.adversaries, plain.spearman])
  }, 300_000)
})

if (!hasData) skipNote("eval on the real data set", DATA)
