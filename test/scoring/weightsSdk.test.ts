// src/scoring/weights.ts against the Python SDK's rules executed by numpy (test/oracle/sdk_weights.py):
// thousands of seeded random cases shaped like a validator's full-length score vectors, compared bit
// for bit, plus the vectors published in the SDK's own unit tests. Skips without python3 + numpy.
import { describe, expect, test } from "bun:test"
import { join } from "node:path"
import { mulberry32, type Rng } from "../../src/domain/random.ts"
import { pairwiseSum } from "../../src/scoring/numpyFloat.ts"
import { normalizeMaxWeight, processWeights, toU16, U16_MAX } from "../../src/scoring/weights.ts"
import { withSeed } from "../support/property.ts"
import { hasPythonOracle, skipNote } from "../support/shared.ts"

const ORACLE = join(import.meta.dir, "../oracle/sdk_weights.py")
const CASES = Number(process.env["SDK_WEIGHT_CASES"] ?? 3000)

interface PipelineCase {
  readonly kind: "pipeline"
  readonly uids: Array<number>
  readonly weights: Array<number>
  readonly n: number
  readonly minAllowed: number
  readonly limit: number
  readonly q: number
}
interface NormalizeCase { readonly kind: "normalize"; readonly x: Array<number>; readonly limit: number; readonly dtype: "float32" | "float64" }
type Case = PipelineCase | NormalizeCase
interface PipelineResult {
  readonly uids: Array<number>
  readonly weights: Array<number>
  readonly emit: { readonly uids: Array<number>; readonly values: Array<number> } | null
}
type Result = PipelineResult | { readonly y: Array<number> } | { readonly error: string }

const runOracle = (cases: ReadonlyArray<Case>): Array<Result> => {
  const p = Bun.spawnSync(["python3", ORACLE], { stdin: Buffer.from(JSON.stringify(cases)), stdout: "pipe", stderr: "pipe", timeout: 120_000 })
  if (p.exitCode !== 0) throw new Error(`oracle failed: ${p.stderr.toString()}`)
  return JSON.parse(p.stdout.toString()) as Array<Result>
}

/** One weight drawn from one of several shapes real score vectors take. */
const weightOf = (rng: Rng, shape: number, i: number): number => {
  switch (shape) {
    case 0: return rng()
    case 1: return rng() ** 6 // heavy tail: a few miners take most
    case 2: return Math.exp(-12 * rng()) // softmax-like
    case 3: return 10 ** (-14 * rng()) // wide dynamic range, down to near-zero shares
    case 4: return Math.floor(rng() * 4) // ties and exact halves after upscaling
    case 5: return i % 7 === 0 ? 1e-9 * rng() : 0.2 + rng() // decayed miners next to live ones
    default: return rng() < 0.5 ? 1e-40 * (1 + rng()) : rng() // float32 subnormals
  }
}

const pipelineCase = (rng: Rng): PipelineCase => {
  const n = 1 + Math.floor(rng() ** 2 * 256)
  const shape = Math.floor(rng() * 7)
  const zeroShare = rng() < 0.3 ? 0 : rng() * 0.95
  let weights = Array.from({ length: n }, (_, i) => (rng() < zeroShare ? 0 : weightOf(rng, shape, i)))
  const total = weights.reduce((a, b) => a + b, 0)
  if (total > 0 && rng() < 0.5) weights = weights.map((w) => w / total) // validators often pass scores / sum
  const minAllowed = rng() < 0.5 ? Math.floor(rng() * 9) : Math.floor(rng() * (n + 6))
  const limit = rng() < 0.25 ? 1 : (1 + Math.floor(rng() * U16_MAX)) / U16_MAX
  const q = rng() < 0.7 ? 0 : Math.floor(rng() * (U16_MAX + 1))
  const offset = rng() < 0.1 ? 1 : 0 // uids 1..n like the SDK's own test: the fallback fills by position
  return { kind: "pipeline", uids: weights.map((_, i) => i + offset), weights, n, minAllowed, limit, q }
}

const normalizeCase = (rng: Rng): NormalizeCase => {
  const len = 1 + Math.floor(rng() * 80)
  const shape = Math.floor(rng() * 7)
  const x = Array.from({ length: len }, (_, i) => (rng() < 0.2 ? 0 : weightOf(rng, shape, i) * 100))
  return { kind: "normalize", x, limit: 0.01 + rng() * 0.99, dtype: rng() < 0.5 ? "float32" : "float64" }
}

/** Every weight below 2^-100 in float32: the SDK's cutoff and sums can become float32 subnormals. */
const tinyScale = (ws: ReadonlyArray<number>) => Math.max(0, ...ws.map((w) => Math.fround(w))) < 2 ** -100
const same = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
/** The SDK's result keeps its own contract: largest share within the cap (when the cap can be met). */
const keepsCap = (y: ReadonlyArray<number>, limit: number) => y.length * limit <= 1 || Math.max(...y) <= limit

describe.skipIf(!hasPythonOracle)("weights: bit-identical to the Python SDK (numpy oracle)", () => {
  test(`${CASES} seeded random cases`, () => withSeed((seed) => {
    const rng = mulberry32(seed)
    const cases: Array<Case> = Array.from({ length: CASES }, (_, k) => (k % 5 === 4 ? normalizeCase(rng) : pipelineCase(rng)))
    const results = runOracle(cases)
    const tally = { pipeline: 0, subnormalScale: 0, floatMismatch: 0, emitMismatch: 0, valuesOff: 0, sdkBreaksCap: 0, normalize: 0, normalizeMismatch: 0, errors: 0 }
    const failures: Array<string> = []
    cases.forEach((c, k) => {
      const o = results[k]!
      if ("error" in o) {
        tally.errors++
        return
      }
      if (c.kind === "normalize" && "y" in o) {
        tally.normalize++
        const y = normalizeMaxWeight(c.x, c.limit, c.dtype)
        if (!keepsCap(o.y, c.limit)) {
          tally.sdkBreaksCap++
          if (!keepsCap(y, c.limit)) failures.push(`normalize #${k}: cap broken`)
        } else if (!same(y, o.y) && tinyScale(c.x)) {
          // the SDK's float32 intermediates go subnormal here; weights.ts scales up first (see below)
          tally.subnormalScale++
          if (!keepsCap(y, c.limit * (1 + 1e-6))) failures.push(`normalize #${k}: cap broken (subnormal scale)`)
        } else if (!same(y, o.y)) {
          tally.normalizeMismatch++
          failures.push(`normalize #${k} ${JSON.stringify(c)}`)
        }
        return
      }
      if (c.kind !== "pipeline" || !("uids" in o)) return
      tally.pipeline++
      const got = processWeights({ uids: c.uids, weights: c.weights, n: c.n, minAllowedWeights: c.minAllowed, maxWeightLimit: c.limit, excludeQuantile: c.q })
      const sdkOk = keepsCap(o.weights, c.limit)
      if (!sdkOk) tally.sdkBreaksCap++
      const floatsSame = same(got.uids, o.uids) && same(got.weights, o.weights)
      // weights this tiny can make the SDK's cutoff a float32 subnormal (precision lost); weights.ts scales them
      // up first, on purpose (see its header and the "subnormal inputs" test below): there only the cap is required
      if (!floatsSame && tinyScale(c.weights)) {
        tally.subnormalScale++
        if (!keepsCap(got.weights, c.limit * (1 + 1e-6))) failures.push(`pipeline #${k}: cap broken (subnormal scale) ${JSON.stringify(c)}`)
        return
      }
      if (!floatsSame) tally.floatMismatch++
      const emitted = toU16(got)
      const e = o.emit ?? { uids: [], values: [] }
      if (!same(emitted.uids, e.uids) || !same(emitted.values, e.values)) {
        tally.emitMismatch++
        if (same(emitted.uids, e.uids)) tally.valuesOff += emitted.values.filter((v, i) => v !== e.values[i]).length
      }
      if (sdkOk && !floatsSame) failures.push(`pipeline #${k} ${JSON.stringify(c)}`)
      if (!sdkOk && !keepsCap(got.weights, c.limit * (1 + 1e-6))) failures.push(`pipeline #${k}: cap broken ${JSON.stringify(c)}`)
    })
    console.log(`[weights vs SDK] seed ${seed}: ${JSON.stringify(tally)}`)
    expect(failures.slice(0, 3)).toEqual([])
    expect(tally.errors).toBe(0)
  }), 180_000)
})
if (!hasPythonOracle) skipNote("numpy oracle for SDK weights", "python3 with numpy")

// The inputs of the SDK's own unit tests (tests/unit_tests/utils/test_weight_utils.py, bittensor 10.2.0),
// with the SDK's results; these need no Python.
describe("weights: the SDK's published unit-test vectors", () => {
  const f32 = (xs: ReadonlyArray<number>) => xs.map(Math.fround) // the tests build float32 arrays

  test("fewer non-zero weights than min_allowed: the floor is filled by position (uids 1..5, min 4)", () => {
    const r = processWeights({ uids: [1, 2, 3, 4, 5], weights: f32([0.1, 0.2, 0.3, 0, 0]), n: 5, minAllowedWeights: 4, maxWeightLimit: 1 })
    expect(r.uids).toEqual([0, 1, 2, 3, 4])
    expect(r.weights).toEqual([0.16666944214347318, 0.33332221900950815, 0.49997500829214236, 1.6665277438271508e-5, 1.6665277438271508e-5])
    expect(toU16(r)).toEqual({ uids: [0, 1, 2, 3, 4], values: [21846, 43691, 65535, 2, 2] })
  })

  test("all-zero weights: uniform over 0..n−1 (n = 1)", () => {
    expect(processWeights({ uids: [1, 2, 3, 4, 5], weights: [0, 0, 0, 0, 0], n: 1, minAllowedWeights: 0.1, maxWeightLimit: 1 }))
      .toEqual({ uids: [0], weights: [1] })
  })

  test("normal path keeps the input uids and works in float32", () => {
    const r = processWeights({ uids: [1, 2, 3, 4, 5], weights: f32([1, 2.5, 3.3, 4.7, 5.9]), n: 1, minAllowedWeights: 0.1, maxWeightLimit: 1 })
    expect(r.uids).toEqual([1, 2, 3, 4, 5])
    expect(r.weights).toEqual([0.05747126415371895, 0.14367815852165222, 0.18965516984462738, 0.270114928483963, 0.33908048272132874])
    expect(r.weights.every((w) => w === Math.fround(w))).toBe(true)
    expect(toU16(r)).toEqual({ uids: [1, 2, 3, 4, 5], values: [11108, 27769, 36655, 52206, 65535] })
  })

  test("normalize_max_weight: the SDK test's assertions", () => {
    const rng = mulberry32(10_2_0)
    const rand = (len: number) => Array.from({ length: len }, () => rng())
    for (const limit of [0.01, 0.02, 0.03]) {
      expect(Math.max(...normalizeMaxWeight(rand(1000), limit))).toBeLessThanOrEqual(limit)
      expect(Math.max(...normalizeMaxWeight(new Array(1000).fill(0), limit))).toBeLessThanOrEqual(limit)
    }
    expect(Math.max(...normalizeMaxWeight(new Array(2000).fill(0), 0.01))).toBe(1 / 2000)
    const big = rand(2000)
    const wn = normalizeMaxWeight(big, 0.001)
    expect(Math.abs(0.001 - Math.max(...wn))).toBeLessThan(0.001)
    // limit 1: exactly weights / weights.sum() (numpy's pairwise sum)
    const w = rand(100)
    const total = pairwiseSum(w, (v) => v)
    expect(normalizeMaxWeight(w, 1)).toEqual(w.map((v) => v / total))
    // a 1% change of the limit moves the result by less than 1% in total
    const sorted = rand(100).sort((a, b) => a - b)
    const t = sorted.reduce((a, b) => a + b, 0)
    const x = sorted.map((v) => v / t)
    const lim = x[x.length - 10]!
    const ya = normalizeMaxWeight(x, lim * 0.99)
    const yb = normalizeMaxWeight(x, lim * 1.01)
    expect(ya.reduce((s, v, i) => s + Math.abs(v - yb[i]!), 0)).toBeLessThan(0.01)
  })

  test("emit: errors and the empty result", () => {
    expect(() => toU16({ uids: [0, 1], weights: [1, -1] })).toThrow(/negative/)
    expect(() => toU16({ uids: [0, -1], weights: [1, 1] })).toThrow(/uid/)
    expect(() => toU16({ uids: [0, 1, 2], weights: [1, 1] })).toThrow(/same length/)
    expect(toU16({ uids: [0, 1, 2], weights: [0, 0, 0] })).toEqual({ uids: [], values: [] })
  })
})

// Where the SDK's normalize_max_weight breaks its own cap, Quorum meets it (the only deliberate difference).
describe("weights: the SDK's cap failures are met", () => {
  test("small shares near the absolute epsilon: the SDK gives 0.49993 for a 0.4612 cap", () => {
    const x = [8.057016312508797, 2.1790034295104794e-11, 4.6156182844065144e-11, 2.0314571681510933e-6]
    const limit = 0.4611885610740395
    const y = normalizeMaxWeight(x, limit)
    expect(Math.max(...y)).toBeLessThanOrEqual(limit)
    expect(y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(y[0]).toBe(y[3]!) // both clipped to the same level, the rest kept in proportion
    expect(y[2]! / y[1]!).toBeCloseTo(x[2]! / x[1]!, 9)
  })

  test("the flaky property's case: too few positive weights for the cap → uniform, as the SDK's own rule", () => {
    expect(normalizeMaxWeight([3e-124, 0, 2.1e-130], 0.467)).toEqual([1 / 3, 1 / 3, 1 / 3])
    expect(normalizeMaxWeight([3, 0, 2.1e-6], 0.467)).toEqual([1 / 3, 1 / 3, 1 / 3]) // scale-free: not about tininess
  })

  test("subnormal inputs give the same result as the same ratios at normal scale", () => {
    const normal = [4, 1, 2, 0.5, 3]
    for (const scale of [2 ** -1060, 2 ** -1040, 2 ** -140, 2 ** -130]) {
      for (const p of ["float64", "float32"] as const) {
        if (p === "float32" && scale < 2 ** -149) continue
        expect(normalizeMaxWeight(normal.map((v) => v * scale), 0.3, p)).toEqual(normalizeMaxWeight(normal, 0.3, p))
      }
    }
  })
})
