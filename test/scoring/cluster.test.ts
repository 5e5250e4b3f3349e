import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { averageLinkage, clusterSizes } from "../../src/scoring/cluster.ts"
import { hasPythonOracle, skipNote } from "../support/shared.ts"
import { mulberry32 as rng } from "../../src/domain/random.ts"


/** n unit vectors around `centers` random centres (spread `noise`), and their cosine matrix. */
const clusteredSimilarity = (seed: number, n: number, dim: number, centers: number, noise: number) => {
  const r = rng(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r())
  const cs = Array.from({ length: centers }, () => Array.from({ length: dim }, gauss))
  const x = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) {
    const c = cs[Math.floor(r() * centers)]!
    let s = 0
    for (let k = 0; k < dim; k++) {
      const v = c[k]! + noise * gauss()
      x[i * dim + k] = v
      s += v * v
    }
    const inv = 1 / Math.sqrt(s)
    for (let k = 0; k < dim; k++) x[i * dim + k]! *= inv
  }
  const sim = new Float32Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < dim; k++) s += x[i * dim + k]! * x[j * dim + k]!
      sim[i * n + j] = s
    }
  return sim
}

/** Independent O(n³) greedy UPGMA: merge the closest pair (average over all point pairs) while < t. */
const naiveUpgma = (sim: Float32Array, n: number, t: number, active?: ReadonlyArray<boolean>): Array<number> => {
  let clusters: Array<Array<number>> = []
  for (let i = 0; i < n; i++) if (active === undefined || active[i] !== false) clusters.push([i])
  const dist = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
    let s = 0
    for (const i of a) for (const j of b) s += 1 - (sim[i * n + j]! + sim[j * n + i]!) / 2
    return s / (a.length * b.length)
  }
  for (;;) {
    let best = Infinity
    let bi = -1
    let bj = -1
    for (let i = 0; i < clusters.length; i++)
      for (let j = i + 1; j < clusters.length; j++) {
        const v = dist(clusters[i]!, clusters[j]!)
        if (v < best) [best, bi, bj] = [v, i, j]
      }
    if (bi < 0 || !(best < t)) break
    const merged = [...clusters[bi]!, ...clusters[bj]!].sort((a, b) => a - b)
    clusters = clusters.filter((_, k) => k !== bi && k !== bj)
    clusters.push(merged)
  }
  const labels = new Array<number>(n).fill(-1)
  clusters.forEach((c, k) => c.forEach((i) => (labels[i] = k)))
  return labels
}

/** Canonical form of a partition: each row → index of the first row with the same label; −1 kept. */
const canon = (labels: ArrayLike<number>): Array<number> => {
  const first = new Map<number, number>()
  return Array.from(labels, (l, i) => {
    if (l < 0) return -1
    const f = first.get(l)
    if (f === undefined) {
      first.set(l, i)
      return i
    }
    return f
  })
}

describe("averageLinkage", () => {
  test("two obvious groups and an outlier", () => {
    // rows 0,1,2 close; 3,4 close; 5 alone.
    const v = [
      [1, 0, 0], [0.99, 0.1, 0], [0.98, 0, 0.1],
      [0, 1, 0], [0.1, 0.99, 0],
      [0, 0, 1]
    ].map((r) => { const s = Math.hypot(...r); return r.map((x) => x / s) })
    const n = v.length
    const sim = new Float32Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sim[i * n + j] = v[i]!.reduce((s, x, k) => s + x * v[j]![k]!, 0)
    const labels = averageLinkage(sim, n, 0.5)
    expect(Array.from(labels)).toEqual([0, 0, 0, 1, 1, 2])
    expect(clusterSizes(labels)).toEqual([3, 2, 1])
    // threshold 0: nothing merges, every row its own cluster, numbered by index (all size 1).
    expect(Array.from(averageLinkage(sim, n, 0))).toEqual([0, 1, 2, 3, 4, 5])
    // threshold above every distance: one cluster.
    expect(Array.from(averageLinkage(sim, n, 2.5))).toEqual([0, 0, 0, 0, 0, 0])
    // inactive rows get −1 and take no part.
    const act = [true, false, true, true, true, false]
    expect(Array.from(averageLinkage(sim, n, 0.5, act))).toEqual([0, -1, 0, 1, 1, -1])
  })

  test("strict threshold: a merge at exactly the threshold does not happen (sklearn semantics)", () => {
    const sim = new Float32Array([1, 0.5, 0.5, 1])
    expect(Array.from(averageLinkage(sim, 2, 0.5))).toEqual([0, 1])
    expect(Array.from(averageLinkage(sim, 2, 0.5000001))).toEqual([0, 0])
  })

  test("empty, single and all-inactive inputs", () => {
    expect(Array.from(averageLinkage(new Float32Array(0), 0, 0.5))).toEqual([])
    expect(Array.from(averageLinkage(new Float32Array([1]), 1, 0.5))).toEqual([0])
    expect(Array.from(averageLinkage(new Float32Array([1, 1, 1, 1]), 2, 0.5, [false, false]))).toEqual([-1, -1])
  })

  test("property: same partition as an independent naive greedy UPGMA; labels ordered by size", () => {
    assertProperty(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0.05, max: 1.2, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        (seed, n, centers, t, act) => {
          const sim = clusteredSimilarity(seed, n, 8, centers, 0.6)
          const active = act.slice(0, n).map((b, i) => b || i % 3 === 0)
          const got = averageLinkage(sim, n, t, active)
          expect(canon(got)).toEqual(canon(naiveUpgma(sim, n, t, active)))
          const sizes = clusterSizes(got)
          for (let k = 1; k < sizes.length; k++) expect(sizes[k - 1]!).toBeGreaterThanOrEqual(sizes[k]!)
          // ties in size: the cluster with the lower first member gets the lower label
          const firstOf = sizes.map((_, k) => Array.from(got).indexOf(k))
          for (let k = 1; k < sizes.length; k++) if (sizes[k] === sizes[k - 1]) expect(firstOf[k - 1]!).toBeLessThan(firstOf[k]!)
        }
      ),
      { numRuns: 150 }
    )
  })

  test("permutation of rows permutes the partition", () => {
    assertProperty(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 2, max: 40 }), (seed, n) => {
        const sim = clusteredSimilarity(seed, n, 6, 3, 0.5)
        const r = rng(seed ^ 0x5bd1e995)
        const perm = Array.from({ length: n }, (_, i) => i)
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1))
          ;[perm[i], perm[j]] = [perm[j]!, perm[i]!]
        }
        const ps = new Float32Array(n * n)
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ps[i * n + j] = sim[perm[i]! * n + perm[j]!]!
        const a = averageLinkage(sim, n, 0.5)
        const b = averageLinkage(ps, n, 0.5)
        // rows i of ps is row perm[i] of sim: same cluster relation for every pair
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) expect(b[i] === b[j]).toBe(a[perm[i]!] === a[perm[j]!])
      }),
      { numRuns: 60 }
    )
  })

  test.skipIf(!hasPythonOracle)("identical partitions to scipy linkage(average) + fcluster(distance), n up to 300", () => {
    const cases: Array<{ n: number; t: number; sim: Float32Array }> = []
    const r = rng(20261123)
    const ns = [2, 3, 7, 25, 60, 120, 200, 300]
    for (const n of ns)
      for (let rep = 0; rep < 3; rep++) {
        const seed = Math.floor(r() * 2 ** 31)
        const t = 0.15 + r() * 0.8
        cases.push({ n, t, sim: clusteredSimilarity(seed, n, 16, 1 + Math.floor(r() * 8), 0.3 + r() * 0.9) })
      }
    const py = `
import sys, json, numpy as np
from scipy.cluster.hierarchy import linkage, fcluster
from scipy.spatial.distance import squareform
out = []
for c in json.load(sys.stdin):
    n = c["n"]; t = c["t"]
    S = np.array(c["sim"], dtype=np.float32).astype(np.float64).reshape(n, n)
    S = (S + S.T) / 2
    D = 1.0 - S
    np.fill_diagonal(D, 0.0)
    if n < 2:
        out.append({"labels": [1] * n, "gap": 1.0}); continue
    Z = linkage(squareform(D, checks=False), method="average")
    out.append({"labels": fcluster(Z, t, criterion="distance").tolist(), "gap": float(np.min(np.abs(Z[:, 2] - t)))})
print(json.dumps(out))
`
    const input = JSON.stringify(cases.map((c) => ({ n: c.n, t: c.t, sim: Array.from(c.sim) })))
    const p = Bun.spawnSync(["python3", "-c", py], { stdin: Buffer.from(input), stdout: "pipe", stderr: "pipe", timeout: 60_000 })
    expect(p.exitCode).toBe(0)
    const res = JSON.parse(p.stdout.toString()) as Array<{ labels: Array<number>; gap: number }>
    let compared = 0
    let nonTrivial = 0
    res.forEach((o, k) => {
      const c = cases[k]!
      if (o.gap < 1e-6) return // a merge height at the threshold: scipy (≤) and sklearn (<) may differ
      const got = averageLinkage(c.sim, c.n, c.t)
      expect(canon(got)).toEqual(canon(o.labels))
      compared++
      const k2 = clusterSizes(got).length
      if (k2 > 1 && k2 < c.n) nonTrivial++
    })
    expect(compared).toBeGreaterThanOrEqual(cases.length - 2)
    expect(nonTrivial).toBeGreaterThan(5)
  }, 60_000)

  if (!hasPythonOracle) skipNote("scipy oracle for averageLinkage", "python3 with numpy/scipy")

  test("n = 1024 runs well under a second", () => {
    const n = 1024
    const sim = clusteredSimilarity(7, n, 4, 6, 0.4)
    const t0 = performance.now()
    const labels = averageLinkage(sim, n, 0.5)
    const ms = performance.now() - t0
    expect(labels.length).toBe(n)
    expect(clusterSizes(labels).reduce((a, b) => a + b, 0)).toBe(n)
    expect(ms).toBeLessThan(3000)
  })
})
