// A running demo validator (`bun src/main.ts`, DEMO_ROUNDS=0) for end-to-end tests against its HTTP API:
// started on free ports, stopped with SIGTERM; its stderr is kept for failure messages.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { USE_LITE_DIR } from "./shared.ts"

const ROOT = resolve(import.meta.dir, "../..")

export const freePort = () => {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const p = s.port
  s.stop(true)
  return p
}

export interface DemoProcess {
  readonly url: string
  readonly dir: string
  readonly stderr: () => string
  readonly stop: () => Promise<number>
}

export const startDemo = async (env: Record<string, string>, waitMs = 90_000): Promise<DemoProcess> => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-demo-proc-"))
  const port = freePort()
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      DOTENV_PATH: "/nonexistent/.env",
      QUORUM_MODE: "demo",
      DEMO_CHAIN: "off",
      DEMO_MINERS: "6",
      DEMO_SEED: "11",
      MIN_MINERS: "2",
      CHALLENGE_INTERVAL_SECONDS: "0.5",
      CHALLENGE_TIMEOUT_SECONDS: "6",
      API_PORT: String(port),
      DB_PATH: join(dir, "q.db"),
      HEATMAP_DIR: join(dir, "heatmaps"),
      MODEL_PATH: USE_LITE_DIR,
      EMBED_POOL_SIZE: "1",
      LOG_LEVEL: "INFO",
      ...env
    },
    stdout: "pipe",
    stderr: "pipe"
  })
  let err = ""
  void (async () => {
    const dec = new TextDecoder()
    for await (const chunk of proc.stderr) err += dec.decode(chunk)
  })()
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline && proc.exitCode === null) {
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) break
    await Bun.sleep(250)
  }
  const stop = async () => {
    proc.kill("SIGTERM")
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000)
    const code = await proc.exited
    clearTimeout(timer)
    rmSync(dir, { recursive: true, force: true })
    return code
  }
  if (proc.exitCode !== null) throw new Error(`demo exited with ${proc.exitCode}: ${err}`)
  return { url, dir, stderr: () => err, stop }
}

/** Polls `f` until it returns a non-null value or the deadline passes. */
export const until = async <A>(f: () => Promise<A | null>, ms: number, everyMs = 300): Promise<A | null> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const v = await f().catch(() => null)
    if (v !== null) return v
    await Bun.sleep(everyMs)
  }
  return null
}
