import { describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { mulberry32 } from "../../src/domain/random.ts"
import { EmbeddingCache } from "../../src/eval/EmbeddingCache.ts"
import { averageRanks, EvalMetrics, spearman, type Outcome } from "../../src/eval/metrics.ts"
import { scatterSvg } from "../../src/eval/plot.ts"
import { buildRound, makePlan } from "../../src/eval/rounds.ts"
import { hasPythonOracle } from "../support/shared.ts"
import { syntheticDataset } from "./synthetic.ts"

describe("rank correlation", () => {
  test("average ranks for ties; Spearman of monotone, reversed and constant data", () => {
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1])
    expect(averageRanks([1, 1, 1])).toEqual([2, 2, 2])
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10000])).toBeCloseTo(1, 12)
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12)
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true)
    // hand-computed: ranks a = [1,2,3,4,5], b = [2,1,4,3,5] → 1 − 6·4/(5·24) = 0.8
    expect(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50])).toBeCloseTo(0.8, 12)
  })

  test.skipIf(!hasPythonOracle)("matches scipy.stats.spearmanr on random data with ties", () => {
    const rng = mulberry32(42)
    const cases = Array.from({ length: 20 }, () => {
      const n = 5 + Math.floor(rng() * 30)
      return {
        a: Array.from({ length: n }, () => Math.floor(rng() * 8)),
        b: Array.from({ length: n }, () => Math.round(rng() * 1000) / 10)
      }
    })
    const py = Bun.spawnSync(
      ["python3", "-c", "import json,sys\nfrom scipy.stats import spearmanr\nprint(json.dumps([float(spearmanr(c['a'],c['b']).statistic) for c in json.load(sys.stdin)]))"],
      { stdin: new TextEncoder().encode(JSON.stringify(cases)), stdout: "pipe", stderr: "pipe" }
    )
    expect(py.exitCode).toBe(0)
    const want = JSON.parse(py.stdout.toString()) as Array<number>
    cases.forEach((c, k) => expect(spearman(c.a, c.b)).toBeCloseTo(want[k]!, 10))
  }, 60_000)
  if (!hasPythonOracle) console.warn("[skip] Spearman vs scipy: python3 with scipy not available")
})

describe("EvalMetrics", () => {
  const d = syntheticDataset()
  const plan = makePlan(d, { seed: 1, models: 4, reference: false })

  /** A fake scorer: honest reward grows with the model's LC; the echo is paid; copies are filtered. */
  const outcomes = (r: ReturnType<typeof buildRound>): Array<Outcome> => {
    const raw = r.miners.map((m) => {
      if (m.kind === "adversary") return m.adversary === "echo" ? 0.5 : 0
      const lc = d.lc.get(m.name)!
      return m.name === "bravo" ? 0 : lc
    })
    const total = raw.reduce((s, x) => s + x, 0)
    return r.miners.map((m, k) => ({
      uid: m.uid,
      reward: raw[k]! / total,
      filtered: raw[k]! > 0 ? null : m.name === "bravo" ? "copy" : "irrelevant"
    }))
  }

  test("false zeros per model and reason with examples; adversaries; Spearman; variants vs their standard", () => {
    const metrics = new EvalMetrics(d.lc)
    let echoRounds = 0
    let honestAnswers = 0
    for (let r = 0; r < 6; r++) {
      const round = buildRound(d, plan, r)
      honestAnswers += round.miners.filter((m) => m.kind === "honest").length
      if (round.miners.some((m) => m.name === "bravo" && m.kind === "honest")) echoRounds++
      metrics.add(round, outcomes(round))
    }
    const rep = metrics.report()
    expect(rep.rounds).toBe(6)
    expect(rep.honest.answers).toBe(honestAnswers)
    expect(rep.honest.zeros).toBe(echoRounds)
    expect(rep.honest.perModel["bravo"]?.rate ?? 0).toBe(echoRounds > 0 ? 1 : 0)
    expect(rep.honest.perReason.copy?.count ?? 0).toBe(echoRounds)
    expect(rep.honest.perReason.copy?.examples.length ?? 0).toBe(Math.min(3, echoRounds))
    expect(rep.honest.perReason.copy?.examples[0]?.text ?? "bravo").toContain("bravo")
    expect(rep.adversaries.echo!.paidShare).toBe(1)
    expect(rep.adversaries.empty!.paidShare).toBe(0)
    expect(rep.adversaries.echo!.paidIn.length).toBe(5)
    expect(rep.adversaries.empty!.paidIn).toEqual([])
    expect(rep.adversaries.echo!.meanRelative).toBeGreaterThan(0)
    expect(rep.adversaryRewardShare).toBeGreaterThan(0)
    expect(rep.adversaryRewardShare).toBeLessThan(0.2)
    // reward follows LC except bravo (2nd by LC, always zeroed): rank differences 0,4,1,1,1,1 → 1 − 6·20/(6·35)
    expect(rep.spearman.models).toBe(6)
    expect(rep.spearman.rho).toBeCloseTo(1 - 120 / 210, 3)
    const verbose = rep.variants.find((v) => v.model === "fam_verbose")!
    expect(verbose.against).toBe("standard")
    expect(verbose.ratio).toBeCloseTo(31 / 30, 3)
    expect(rep.variants.find((v) => v.model === "fam_concise")!.ratio).toBeCloseTo(25 / 30, 3)
  })

  test("a variant whose standard model is not in the data is compared with the honest mean", () => {
    const metrics = new EvalMetrics(d.lc)
    const round = buildRound(d, makePlan(d, { seed: 1, models: 2, reference: true, referenceModel: "fam" }), 0)
    metrics.add(round, outcomes(round))
    const v = metrics.report().variants.find((x) => x.model === "fam_verbose")!
    expect(v.against).toBe("honest_mean")
  })
})

describe("plot and cache", () => {
  test("the scatter SVG marks models, variants and adversaries", () => {
    const svg = scatterSvg(
      [
        { label: "alpha", kind: "honest", lc: 60, meanReward: 0.05 },
        { label: "fam_verbose", kind: "variant", lc: 31, meanReward: 0.03 },
        { label: "echo <x>", kind: "adversary", lc: null, meanReward: 0.01 }
      ],
      "t"
    )
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg).toContain(">alpha<")
    expect(svg).toContain("#e69500") // the variant's diamond
    expect(svg).toContain(">echo &lt;x&gt;<")
  })

  test("the embedding cache round-trips vectors by exact text and ignores a torn last record", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-evalcache-"))
    const c = new EmbeddingCache(dir, "m/x", 3)
    c.put("hello", Float32Array.from([1, 2, 3]))
    c.put("", Float32Array.from([0, 0, 0]))
    expect(() => c.put("bad", Float32Array.from([1]))).toThrow("dim")
    c.flush()
    writeFileSync(c.file, Buffer.concat([readFileSync(c.file), Buffer.from([1, 2, 3])]))
    const again = new EmbeddingCache(dir, "m/x", 3)
    expect(again.size).toBe(2)
    expect([...again.get("hello")!]).toEqual([1, 2, 3])
    expect(again.get("hello ")).toBeUndefined()
    expect(new EmbeddingCache(dir, "m/x", 4).size).toBe(0) // another dim is another file
  })
})
