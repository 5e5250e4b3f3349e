// `bun run bench similarity`: the blocked cosine kernel against the naive triple loop and against numpy's
// BLAS `X @ X.T` (single-threaded, timed inside python on the same data), and onnxruntime's GEMM (the
// kernel the scoring worker uses, workers/onnxCosine.ts, one thread), plus averageLinkage timings.
// Flags: --quick (fewer repetitions), --no-python (skip the numpy comparison).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeOnnxCosine } from "../../workers/onnxCosine.ts"
import { averageLinkage } from "../../src/scoring/cluster.ts"
import { cosineMatrix, cosineMatrixNaive, normalizeRows } from "../../src/scoring/similarity.ts"
import { asyncMedianMs, medianMs } from "../lib/timing.ts"
import { mulberry32 as rng } from "../../src/domain/random.ts"

const SHAPES: ReadonlyArray<readonly [number, number]> = [[256, 384], [1024, 384], [256, 512], [1024, 512]]
/** onnx / numpy measurement passes (alternating; best median of each kept). */
const PASSES = 3


/** n unit rows around 8 random centres, so the similarity matrix has real structure for clustering. */
const makeData = (n: number, dim: number, seed: number): Float32Array => {
  const r = rng(seed)
  const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: dim }, () => r() - 0.5))
  const x = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)]!
    for (let k = 0; k < dim; k++) x[i * dim + k] = c[k]! + 0.6 * (r() - 0.5)
  }
  normalizeRows(x, n, dim)
  return x
}

const timeMs = (f: () => unknown, reps: number): number => medianMs(f, reps, 1)

const PY = `
import sys, json, time, numpy as np
out = {}
for spec in sys.argv[2:]:
    n, d, path, reps = spec.split(":")
    n, d, reps = int(n), int(d), int(reps)
    X = np.fromfile(path, dtype=np.float32).reshape(n, d)
    X @ X.T
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); S = X @ X.T; ts.append(time.perf_counter() - t0)
    ts.sort()
    out[f"{n}x{d}"] = ts[len(ts) // 2] * 1000.0
print(json.dumps({"numpy": np.__version__, "times": out}))
`

const numpyTimes = (specs: ReadonlyArray<{ n: number; dim: number; data: Float32Array; reps: number }>):
  | { readonly numpy: string; readonly times: Record<string, number> }
  | string => {
  const probe = Bun.spawnSync(["python3", "-c", "import numpy"], { stdout: "ignore", stderr: "ignore" })
  if (probe.exitCode !== 0) return "python3 with numpy not available"
  const dir = mkdtempSync(join(tmpdir(), "quorum-bench-"))
  try {
    const args = specs.map((s, k) => {
      const path = join(dir, `x${k}.f32`)
      writeFileSync(path, new Uint8Array(s.data.buffer, s.data.byteOffset, s.n * s.dim * 4))
      return `${s.n}:${s.dim}:${path}:${s.reps}`
    })
    const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" }
    const p = Bun.spawnSync(["python3", "-c", PY, "--", ...args], { env, stdout: "pipe", stderr: "pipe", timeout: 120_000 })
    if (p.exitCode !== 0) return `python3 failed: ${p.stderr.toString().trim().split("\n").pop() ?? ""}`
    return JSON.parse(p.stdout.toString()) as { numpy: string; times: Record<string, number> }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const pad = (s: string, w: number) => s.padStart(w)

export async function run(args: ReadonlyArray<string> = process.argv.slice(2)): Promise<void> {
  const quick = args.includes("--quick")
  const rows: Array<{ n: number; dim: number; data: Float32Array; blocked: number; naive: number; onnx: number; reps: number }> = []
  const gemm = await makeOnnxCosine(1)
  for (const [n, dim] of SHAPES) {
    const data = makeData(n, dim, n * 31 + dim)
    const big = n >= 1024
    const reps = quick ? 3 : big ? 7 : 25
    const blocked = timeMs(() => cosineMatrix(data, n, dim), reps)
    const naive = timeMs(() => cosineMatrixNaive(data, n, dim), quick || big ? 3 : 7)
    rows.push({ n, dim, data, blocked, naive, onnx: Number.POSITIVE_INFINITY, reps })
  }
  // onnx and numpy alternate over PASSES passes and each keeps its best median: a change of machine load
  // between the two measurements then cannot decide the ratio
  const specs = rows.map((r) => ({ n: r.n, dim: r.dim, data: r.data, reps: r.reps }))
  let py: Awaited<ReturnType<typeof numpyTimes>> = "skipped (--no-python)"
  for (let pass = 0; pass < (quick ? 1 : PASSES); pass++) {
    for (const r of rows) r.onnx = Math.min(r.onnx, await asyncMedianMs(() => gemm.matrix(r.data, r.n, r.dim), r.reps))
    if (args.includes("--no-python")) continue
    const t = numpyTimes(specs)
    // an earlier pass's times are kept when a later one fails
    if (typeof py === "string") py = t
    else if (typeof t !== "string") for (const k of Object.keys(t.times)) py.times[k] = Math.min(py.times[k] ?? Number.POSITIVE_INFINITY, t.times[k]!)
  }

  await gemm.release()
  console.log(`cosine matrix (median ms, onnx and numpy best of ${quick ? 1 : PASSES} alternating passes; numpy/x > 1 means x is faster than numpy; goal: onnx within 2× of numpy, numpy/onnx ≥ 0.5)`)
  console.log(
    `${pad("N", 6)} ${pad("d", 5)} ${pad("blocked", 9)} ${pad("naive", 9)} ${pad("naive/blk", 10)} ${pad("onnx@1t", 9)} ${pad("numpy@1t", 9)} ${pad("numpy/blk", 10)} ${pad("numpy/onnx", 11)} ${pad("GFLOP/s", 8)}`
  )
  for (const r of rows) {
    const np = typeof py === "string" ? undefined : py.times[`${r.n}x${r.dim}`]
    const gflops = (r.n * (r.n + 1) * r.dim) / (r.blocked * 1e6) // upper triangle, 2 flops per multiply-add
    console.log(
      `${pad(String(r.n), 6)} ${pad(String(r.dim), 5)} ${pad(r.blocked.toFixed(2), 9)} ${pad(r.naive.toFixed(2), 9)} ${pad((r.naive / r.blocked).toFixed(2) + "x", 10)} ${
        pad(r.onnx.toFixed(2), 9)
      } ${pad(np === undefined ? "-" : np.toFixed(2), 9)} ${pad(np === undefined ? "-" : (np / r.blocked).toFixed(3) + "x", 10)} ${
        pad(np === undefined ? "-" : (np / r.onnx).toFixed(3) + "x", 11)
      } ${pad(gflops.toFixed(2), 8)}`
    )
  }
  console.log(typeof py === "string" ? `numpy: ${py}` : `numpy ${py.numpy}, X @ X.T single-threaded BLAS (OPENBLAS/OMP/MKL_NUM_THREADS=1), timed in python`)

  console.log("\naverageLinkage (NN-chain UPGMA, threshold 0.5 on 1 − cos), median ms")
  for (const n of [256, 1024]) {
    const r = rows.find((x) => x.n === n && x.dim === 384)!
    const sim = cosineMatrix(r.data, n, r.dim)
    let k = 0
    const ms = timeMs(() => {
      const labels = averageLinkage(sim, n, 0.5)
      k = labels.reduce((m, l) => Math.max(m, l + 1), 0)
    }, quick ? 3 : n >= 1024 ? 5 : 15)
    console.log(`${pad(String(n), 6)} ${pad(ms.toFixed(2), 9)} ms  (${k} clusters)`)
  }
}

if (import.meta.main) await run()
