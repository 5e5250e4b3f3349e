// The single-file binary (scripts/build.ts → bun build --compile): built once into a temp dir, then run the way an
// operator would, from an empty directory with a minimal environment. Nothing in it may depend on the source
// tree: the onnxruntime library, the scoring worker, Piscina's bootstrap, the resvg addon and the corpus are
// embedded. Where user namespaces are available, one run hides the whole project directory to prove it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildBinary, PROJECT_ROOT, type BuildResult } from "../../scripts/build.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

let work = ""
let built: BuildResult | undefined
let native = ""

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "quorum-bin-"))
  native = join(work, "native")
  // a build failure is a real failure: no skip
  built = await buildBinary({ outfile: join(work, "quorum") })
  console.log(`[binary] ${(built.bytes / 1024 / 1024).toFixed(1)} MB, built in ${(built.ms / 1000).toFixed(1)} s`)
}, 120_000)

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true })
})

const binary = () => {
  if (built === undefined) throw new Error("the binary was not built")
  return built.outfile
}

/** A fresh empty directory inside the test's temp dir. */
const emptyDir = (name: string) => {
  const dir = join(work, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** Runs `cmd` in `cwd` with only PATH/HOME from the test's environment plus `env`; SIGKILL after `timeoutMs`. */
const run = async (cmd: ReadonlyArray<string>, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<Run> => {
  const t0 = performance.now()
  const proc = Bun.spawn([...cmd], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? cwd, QUORUM_NATIVE_DIR: native, HF_HUB_OFFLINE: "1", ...env },
    stdout: "pipe",
    stderr: "pipe"
  })
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { code, stdout, stderr, ms: performance.now() - t0 }
}

const lastJsonLine = (stdout: string): Record<string, unknown> => {
  const lines = stdout.trim().split("\n")
  const parsed: unknown = JSON.parse(lines[lines.length - 1] ?? "")
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`not a JSON object: ${lines[lines.length - 1]}`)
  return parsed as Record<string, unknown>
}

const expectOk = (r: Run) => {
  if (r.code !== 0) console.error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  expect(r.code).toBe(0)
}

describe("dist/quorum (bun build --compile)", () => {
  test("is one self-contained executable file", () => {
    expect(built?.bytes ?? 0).toBeGreaterThan(50 * 1024 * 1024) // the onnxruntime library alone is ~45 MB
    expect(readdirSync(work).filter((f) => f !== "native")).toEqual(["quorum"])
  })

  test("--help from an empty directory lists the config keys", async () => {
    const r = await run([binary(), "--help"], emptyDir("help"), {}, 30_000)
    expectOk(r)
    for (const key of ["DB_PATH", "MODEL_PATH", "API_PORT", "DEMO_ROUNDS", "QUORUM_MODE"]) expect(r.stdout).toContain(key)
  }, 30_000)

  test("a bad config value exits 2 naming the key", async () => {
    const r = await run([binary(), "--netuid", "abc"], emptyDir("badcfg"), {}, 30_000)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("NETUID")
  }, 30_000)
})

if (!hasUseLite) skipNote("binary runs that need the embedding model", USE_LITE_DIR)
const withModel = hasUseLite ? describe : describe.skip

withModel("dist/quorum with the real model", () => {
  test("--self-check: embedded onnxruntime, worker pool, resvg, corpus, sqlite and the timelock wasm all work", async () => {
    const r = await run([binary(), "--self-check"], emptyDir("selfcheck"), { MODEL_PATH: USE_LITE_DIR }, 60_000)
    expectOk(r)
    const s = lastJsonLine(r.stdout)
    expect(s["ok"]).toBe(true)
    expect(s["dim"]).toBe(512)
    expect(s["norms"]).toEqual([1, 1])
    expect(s["pngOk"]).toBe(true)
    expect(s["roundScored"]).toBe(true)
    expect(s["sqlite"]).toBe(true)
    expect(s["timelock"]).toBe(true)
    expect(s["corpusEntries"]).toBeGreaterThan(0)
    // the /docs UI's script and stylesheet are embedded: the same bytes as swagger-ui-dist's files
    const docs = s["docsAssets"] as Record<string, number>
    for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) expect(docs[name]).toBe(Bun.file(Bun.resolveSync(`swagger-ui-dist/${name}`, import.meta.dir)).size)
    const ort = s["onnxruntime"] as { mode: string; libPath: string }
    expect(["extracted", "cached"]).toContain(ort.mode)
    expect(ort.libPath.startsWith(native)).toBe(true)
    console.log(`[binary] self-check: first embedding after ${String(s["firstEmbeddingMs"])} ms (onnxruntime ${ort.mode})`)
  }, 60_000)

  test("without MODEL_PATH the model is found in <cwd>/../shared/models", async () => {
    // <work>/layout/shared/models/use-lite → the real one; the binary runs in <work>/layout/deploy
    const layout = emptyDir("layout")
    mkdirSync(join(layout, "shared", "models"), { recursive: true })
    symlinkSync(USE_LITE_DIR, join(layout, "shared", "models", "use-lite"))
    const r = await run([binary(), "--self-check"], emptyDir("layout/deploy"), {}, 60_000)
    expectOk(r)
    const s = lastJsonLine(r.stdout)
    expect(s["ok"]).toBe(true)
    expect(s["modelSource"]).toBe("shared")
  }, 60_000)

  const canHide = Bun.spawnSync(["unshare", "-rm", "true"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
  if (!canHide) skipNote("self-check with the project directory hidden", "unshare -rm (user namespaces)")
  test.skipIf(!canHide)("works with the project directory (source, node_modules) hidden", async () => {
    // a private mount namespace where an empty tmpfs covers the project: only the binary and the model remain
    const script = `mount -t tmpfs none '${PROJECT_ROOT}' && exec '${binary()}' --self-check`
    // the resolved model may live in the project's own cache (.cache/models): give the binary a copy outside it
    const model = join(work, "model-copy")
    cpSync(USE_LITE_DIR, model, { recursive: true })
    const r = await run(["unshare", "-rm", "sh", "-c", script], emptyDir("hidden"), { MODEL_PATH: model }, 60_000)
    expectOk(r)
    expect(lastJsonLine(r.stdout)["ok"]).toBe(true)
  }, 60_000)

  test("bounded demo run from an empty directory ends with a JSON summary", async () => {
    const dir = emptyDir("demo")
    const r = await run(
      [binary()],
      dir,
      {
        QUORUM_MODE: "demo",
        DEMO_ROUNDS: "2",
        DEMO_CHAIN: "off",
        DEMO_MINERS: "4",
        MIN_MINERS: "2",
        CHALLENGE_INTERVAL_SECONDS: "0.5",
        CHALLENGE_TIMEOUT_SECONDS: "6",
        EMBED_POOL_SIZE: "1",
        API_PORT: "0",
        MODEL_PATH: USE_LITE_DIR,
        DB_PATH: join(dir, "q.db"),
        HEATMAP_DIR: join(dir, "h"),
        LOG_LEVEL: "WARN"
      },
      120_000
    )
    expectOk(r)
    const summary = lastJsonLine(r.stdout)
    expect(summary["mode"]).toBe("demo")
    expect(summary["rounds"]).toBeGreaterThanOrEqual(2)
    console.log(`[binary] demo, 2 rounds: ${(r.ms / 1000).toFixed(1)} s`)
  }, 130_000)
})

describe("dist/quorum subcommands", () => {
  test("--help lists the commands; each command answers its own --help; an unknown one exits 2", async () => {
    const dir = emptyDir("cmds")
    const help = await run([binary(), "--help"], dir, {}, 30_000)
    expectOk(help)
    for (const c of ["validator", "score", "eval", "localnet", "simulate-miners", "bench", "model", "health"]) expect(help.stdout).toContain(`  ${c} `)
    expect(help.stdout).toContain("usage: quorum validator")
    for (const c of ["score", "eval", "localnet", "simulate-miners", "bench", "model", "validator"]) {
      const r = await run([binary(), c, "--help"], dir, {}, 30_000)
      if (c === "localnet") expect(r.stderr).toContain("npm run localnet")
      else {
        expectOk(r)
        expect(r.stdout).toContain("usage")
      }
    }
    expect((await run([binary(), "nope"], dir, {}, 30_000)).code).toBe(2)
  }, 120_000)

  test("localnet says why it cannot run in the binary and what to run instead (exit 2)", async () => {
    const r = await run([binary(), "localnet", "--json"], emptyDir("ln"), {}, 30_000)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("node-wasm-executor.js")
    expect(r.stderr).toContain("npm ci && npm run localnet")
  }, 30_000)
})

withModel("dist/quorum serves /health (what the Dockerfile's HEALTHCHECK and `quorum health` probe)", () => {
  test("the validator starts, /health answers ok, `quorum health` exits 0; after SIGTERM it exits 1", async () => {
    const dir = emptyDir("health")
    const port = 20000 + Math.floor(Math.random() * 20000)
    const env = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: dir,
      QUORUM_NATIVE_DIR: native,
      HF_HUB_OFFLINE: "1",
      MODEL_PATH: USE_LITE_DIR,
      DEMO_CHAIN: "off",
      DEMO_MINERS: "3",
      MIN_MINERS: "2",
      EMBED_POOL_SIZE: "1",
      API_PORT: String(port),
      DB_PATH: join(dir, "q.db"),
      HEATMAP_DIR: join(dir, "h"),
      LOG_LEVEL: "WARN"
    }
    const proc = Bun.spawn([binary(), "validator"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" })
    try {
      let body: { status?: string } | undefined
      for (let i = 0; i < 120 && body === undefined; i++) {
        try {
          body = (await (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) })).json()) as { status?: string }
        } catch {
          await Bun.sleep(500)
        }
      }
      expect(body?.status).toBe("ok")
      // /docs and every asset its page references come from the binary itself
      const page = await (await fetch(`http://127.0.0.1:${port}/docs`)).text()
      const refs = [...page.matchAll(/\b(?:src|href)\s*=\s*"([^"]+)"/g)].map((m) => new URL(m[1]!, `http://127.0.0.1:${port}/docs`))
      expect(refs.map((u) => u.pathname).sort()).toEqual(["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"])
      for (const u of refs) {
        const bytes = await (await fetch(u)).bytes()
        expect(bytes.length).toBe(Bun.file(Bun.resolveSync(`swagger-ui-dist/${u.pathname.split("/").pop()!}`, import.meta.dir)).size)
      }
      expectOk(await run([binary(), "health"], dir, { API_PORT: String(port) }, 30_000))
    } finally {
      proc.kill("SIGTERM")
      await proc.exited
    }
    expect((await run([binary(), "health"], dir, { API_PORT: String(port) }, 30_000)).code).toBe(1)
  }, 120_000)
})
