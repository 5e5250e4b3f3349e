// scripts/localnet.ts as a user runs it: spawn with --json, read the one JSON line, talk to the
// chain with @polkadot/api, see automatic blocks, SIGTERM → clean exit within a few seconds.
import { afterAll, describe, expect, test } from "bun:test"
import { ApiPromise, WsProvider } from "@polkadot/api"
import type { ProviderInterface } from "@polkadot/rpc-provider/types"
import { Schema } from "effect"
import { join } from "node:path"
import { hasSubtensorFixture, skipNote, SUBTENSOR_FIXTURE_DIR } from "../support/shared.ts"

const ROOT = join(import.meta.dir, "../..")
const SCRIPT = join(ROOT, "scripts/localnet.ts")

const LocalnetInfo = Schema.Struct({
  endpoint: Schema.String,
  netuid: Schema.Number,
  tempo: Schema.Number,
  block: Schema.Number,
  validator: Schema.Struct({ uid: Schema.Number, hotkey: Schema.String, validatorPermit: Schema.Boolean }),
  miners: Schema.Array(
    Schema.Struct({
      uid: Schema.Number,
      hotkey: Schema.String,
      axon: Schema.NullOr(Schema.Struct({ ip: Schema.String, port: Schema.Number }))
    })
  )
})

/** Reads stdout until the first full line (or the process ends / the deadline passes). */
const firstLine = async (stream: ReadableStream<Uint8Array>, deadlineMs: number): Promise<string> => {
  const reader = stream.getReader()
  const dec = new TextDecoder()
  let buf = ""
  const deadline = Date.now() + deadlineMs
  try {
    while (!buf.includes("\n")) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no line within ${deadlineMs} ms (got ${JSON.stringify(buf)})`)
      const r = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)])
      if (r === null) continue
      if (r.done) break
      buf += dec.decode(r.value, { stream: true })
    }
  } finally {
    reader.releaseLock()
  }
  return buf.split("\n")[0] ?? ""
}

describe("scripts/localnet.ts", () => {
  test("without the fixture it exits 2 and says what to do", async () => {
    const p = Bun.spawn([process.execPath, SCRIPT, "--json"], {
      cwd: ROOT,
      env: { ...process.env, SUBTENSOR_FIXTURE_DIR: "/nonexistent/subtensor" },
      stdout: "pipe",
      stderr: "pipe"
    })
    const code = await p.exited
    const err = await new Response(p.stderr).text()
    expect(code).toBe(2)
    expect(err).toContain("/nonexistent/subtensor/subtensor-spec293-raw.json")
    expect(err).toContain("SUBTENSOR_FIXTURE_DIR")
  })

  test("bad arguments exit 1 with the usage", async () => {
    const p = Bun.spawn([process.execPath, SCRIPT, "--miners", "1", "--axon", "192.0.2.1", "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" })
    expect(await p.exited).toBe(1)
    expect(await new Response(p.stderr).text()).toContain("usage: bun run localnet")
  })

  if (!hasSubtensorFixture) skipNote("localnet script smoke test", join(SUBTENSOR_FIXTURE_DIR, "subtensor-spec293-raw.json"))
  const live = hasSubtensorFixture ? test : test.skip
  let proc: ReturnType<typeof Bun.spawn> | undefined
  let api: ApiPromise | undefined
  afterAll(async () => {
    await api?.disconnect().catch(() => undefined)
    if (proc !== undefined && proc.exitCode === null) proc.kill("SIGKILL")
  })

  live(
    "--json --miners 2: one JSON line, a live chain with the subnet, blocks advance, SIGTERM exits cleanly",
    async () => {
      const t0 = performance.now()
      const p = Bun.spawn([process.execPath, SCRIPT, "--json", "--miners", "2", "--axon", "192.0.2.1:8091", "--block-ms", "300"], {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe"
      })
      proc = p
      // the chain boot alone took ~60 s in the full chain suite on a loaded 2-core box (see the 180 s in beforeAll elsewhere)
      const line = await firstLine(p.stdout, 180_000)
      const info = Schema.decodeUnknownSync(LocalnetInfo)(JSON.parse(line))
      console.log(`[localnet] script ready in ${Math.round(performance.now() - t0)} ms at ${info.endpoint}`)
      expect(info.endpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
      expect(info.validator).toMatchObject({ uid: 0, validatorPermit: true })
      expect(info.miners.map((m) => m.uid)).toEqual([1, 2])
      expect(info.miners.map((m) => m.axon)).toEqual([{ ip: "192.0.2.1", port: 8091 }, null])

      api = await ApiPromise.create({ provider: new WsProvider(info.endpoint) as unknown as ProviderInterface, noInitWarn: true, throwOnConnect: true })
      const q = api.query.subtensorModule as unknown as Record<string, (...a: Array<unknown>) => Promise<{ toJSON(): unknown }>>
      expect((await q["networksAdded"]!(info.netuid)).toJSON()).toBe(true)
      expect((await q["subnetworkN"]!(info.netuid)).toJSON()).toBe(3)
      expect((await q["tempo"]!(info.netuid)).toJSON()).toBe(info.tempo)
      // Manual mode, but the script builds blocks by itself
      const h0 = (await api.rpc.chain.getHeader()).number.toNumber()
      const until = Date.now() + 20_000
      let h = h0
      while (h <= h0 && Date.now() < until) {
        await Bun.sleep(250)
        h = (await api.rpc.chain.getHeader()).number.toNumber()
      }
      expect(h).toBeGreaterThan(h0)
      await api.disconnect()
      api = undefined

      const tKill = performance.now()
      p.kill("SIGTERM")
      const code = await Promise.race([p.exited, Bun.sleep(8_000).then(() => "timeout" as const)])
      const stopMs = performance.now() - tKill
      console.log(`[localnet] exited ${String(code)} ${Math.round(stopMs)} ms after SIGTERM`)
      expect(code).toBe(0)
      expect(stopMs).toBeLessThan(5_000)
      const err = await new Response(p.stderr).text()
      expect(err).not.toContain("block production failed")
    },
    240_000
  )
})
