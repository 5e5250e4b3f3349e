// Live mode as an operator runs it, against the real subtensor runtime (spec 293 under chopsticks) on
// 127.0.0.1: a btcli hotkey file on disk, SUBTENSOR_ADDRESS, NETUID. The validator loads the wallet, connects,
// reads the metagraph, finds its uid, serves the API, and stops cleanly on SIGTERM; an unregistered hotkey
// stops the start with what to do.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { u8aToHex } from "@polkadot/util"
import { cryptoWaitReady, mnemonicGenerate, mnemonicToMiniSecret } from "@polkadot/util-crypto"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type Localnet, startLocalnet } from "../../src/chain/Localnet.ts"
import { hasSubtensorFixture, hasUseLite, skipNote, SUBTENSOR_FIXTURE_DIR, USE_LITE_DIR } from "../support/shared.ts"

const ROOT = resolve(import.meta.dir, "../..")

const freePort = () => {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const p = s.port
  s.stop(true)
  return p
}

/** Writes a btcli-format hotkey file for a fresh mnemonic; returns the pair. */
const writeHotkey = (root: string, wallet: string, hotkey: string): KeyringPair => {
  const mnemonic = mnemonicGenerate(12)
  const pair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromMnemonic(mnemonic)
  const dir = join(root, wallet, "hotkeys")
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, hotkey),
    JSON.stringify({
      accountId: u8aToHex(pair.publicKey),
      publicKey: u8aToHex(pair.publicKey),
      secretPhrase: mnemonic,
      secretSeed: u8aToHex(mnemonicToMiniSecret(mnemonic)),
      ss58Address: pair.address
    })
  )
  return pair
}

if (!hasSubtensorFixture || !hasUseLite) skipNote("live-mode tests", `${SUBTENSOR_FIXTURE_DIR} and ${USE_LITE_DIR}`)
const d = hasSubtensorFixture && hasUseLite ? describe : describe.skip

d("validator in live mode against the local subtensor", () => {
  let ln: Localnet
  let dir: string
  let registered: KeyringPair
  beforeAll(async () => {
    await cryptoWaitReady()
    dir = mkdtempSync(join(tmpdir(), "quorum-live-"))
    ln = await startLocalnet({ miners: 2 })
    registered = writeHotkey(join(dir, "wallets"), "operator", "validator")
    writeHotkey(join(dir, "wallets"), "operator", "stranger")
    await ln.register(registered)
  }, 120_000)
  afterAll(async () => {
    await ln?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const env = (hotkey: string, port: number): Record<string, string> => ({
    ...process.env,
    DOTENV_PATH: "/nonexistent/.env",
    QUORUM_MODE: "live",
    SUBTENSOR_ADDRESS: ln.endpoint,
    NETUID: String(ln.netuid),
    WALLET_PATH: join(dir, "wallets"),
    WALLET_NAME: "operator",
    HOTKEY_NAME: hotkey,
    MODEL_PATH: USE_LITE_DIR,
    EMBED_POOL_SIZE: "1",
    API_PORT: String(port),
    DB_PATH: join(dir, `${hotkey}.db`),
    HEATMAP_DIR: join(dir, "heatmaps"),
    LOG_LEVEL: "INFO"
  })

  test("a registered hotkey: wallet, chain, metagraph, API up; a new miner gets a session; SIGTERM stops it cleanly", async () => {
    const port = freePort()
    const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], { cwd: dir, env: env("validator", port), stdout: "pipe", stderr: "pipe" })
    let health: Record<string, unknown> | null = null
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && health === null && proc.exitCode === null) {
      await Bun.sleep(250)
      health = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : null))
        .catch(() => null)
    }
    // a miner registers and serves its axon while the validator runs: the metagraph refresh (every tempo)
    // publishes the change and the validator starts a session for it without waiting for its schedule
    const minersOf = () =>
      fetch(`http://127.0.0.1:${port}/miners`)
        .then((r) => r.json() as Promise<Array<{ uid: number }>>)
        .catch(() => [] as Array<{ uid: number }>)
    const before = health === null ? [] : await minersOf()
    const newcomer = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(`//LiveTestMiner/${Date.now()}`)
    let sessions: Array<{ uid: number }> = []
    if (health !== null) {
      await ln.register(newcomer)
      await ln.serveAxon(newcomer, { ip: "192.0.2.77", port: 8091 })
      const until = Date.now() + 30_000
      while (Date.now() < until && sessions.length <= before.length) {
        await ln.newBlock(3)
        await Bun.sleep(300)
        sessions = await minersOf()
      }
    }
    proc.kill("SIGTERM")
    const code = await proc.exited
    const stderr = await new Response(proc.stderr).text()
    if (health === null || sessions.length <= before.length) console.error(stderr)
    expect(before).toEqual([])
    expect(sessions.length).toBe(1)
    expect(stderr).toContain("registration change")
    expect(health).not.toBeNull()
    expect(health!["mode"]).toBe("live")
    expect(health!["hotkey"]).toBe(registered.address)
    expect(health!["netuid"]).toBe(ln.netuid)
    expect(typeof health!["uid"]).toBe("number")
    expect(stderr).toContain("hotkey loaded")
    expect(stderr).toContain("chain ready")
    // our hotkey has no validator permit on this subnet: the operator is told before any weights are tried
    expect(stderr).toContain("no validator permit")
    expect(stderr).not.toContain("secretPhrase")
    expect(code).toBe(130)
  }, 120_000)

  test("an unregistered hotkey stops the start with what to do", async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts")], { cwd: dir, env: env("stranger", freePort()), stdout: "pipe", stderr: "pipe" })
    const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000)
    const code = await proc.exited
    clearTimeout(timer)
    const stderr = await new Response(proc.stderr).text()
    expect(code).toBe(1)
    expect(stderr).toContain("is not registered on netuid")
    expect(stderr).toContain("btcli subnet register")
  }, 90_000)
})
