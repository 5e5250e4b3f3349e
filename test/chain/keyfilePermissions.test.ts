// Hotkey file permissions (issue 10 item 9): a group/world-readable secret is warned about, as ssh does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { mnemonicGenerate } from "@polkadot/util-crypto"
import { Effect, Logger } from "effect"
import { keyfileModeProblem, keyfilePermissionProblem } from "../../src/chain/KeyfilePermissions.ts"
import { loadHotkey } from "../../src/chain/Wallet.ts"

let root: string
const file = (name: string, mode: number) => {
  const dir = join(root, name, "hotkeys")
  mkdirSync(dir, { recursive: true })
  const p = join(dir, "hk")
  writeFileSync(p, JSON.stringify({ secretPhrase: mnemonicGenerate(12) }))
  chmodSync(p, mode)
  return p
}

/** Runs loadHotkey and returns the warning lines it logged. */
const warningsOf = async (wallet: string) => {
  const lines: Array<string> = []
  const capture = Logger.make(({ logLevel, message }) => {
    if (logLevel === "Warn") lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
  })
  await Effect.runPromise(loadHotkey({ wallet, hotkey: "hk", path: root }).pipe(Effect.provide(Logger.layer([capture]))))
  return lines
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "quorum-keyperm-"))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("hotkey file permissions", () => {
  test("mode bits: owner-only is fine; any group or other bit is named", () => {
    expect(keyfileModeProblem(0o100600)).toBeUndefined()
    expect(keyfileModeProblem(0o100400)).toBeUndefined()
    expect(keyfileModeProblem(0o100640)).toContain("group")
    expect(keyfileModeProblem(0o100604)).toContain("others")
    expect(keyfileModeProblem(0o100644)).toContain("group and others")
    expect(keyfileModeProblem(0o100602)).toContain("0602")
  })
  const posix = process.platform !== "win32" ? test : test.skip
  posix("a 0644 keyfile loads with a warning naming chmod 600; a 0600 one loads silently", async () => {
    const open = file("open", 0o644)
    expect(keyfilePermissionProblem(open)).toContain(`chmod 600 ${open}`)
    const warned = await warningsOf("open")
    expect(warned.length).toBe(1)
    expect(warned[0]).toContain("chmod 600")
    file("closed", 0o600)
    expect(keyfilePermissionProblem(join(root, "closed", "hotkeys", "hk"))).toBeUndefined()
    expect(await warningsOf("closed")).toEqual([])
  })
  test("a missing file is not a permission problem (the loader reports it)", () => {
    expect(keyfilePermissionProblem(join(root, "nope"))).toBeUndefined()
  })
})
