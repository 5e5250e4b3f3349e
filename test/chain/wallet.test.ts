// btcli hotkey files in temp dirs: mnemonic and seed-only keyfiles (addresses checked against an independent
// @polkadot/util-crypto derivation), encrypted, malformed, missing and mismatched files. Error messages must
// never contain the secret.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { u8aToHex } from "@polkadot/util"
import {
  cryptoWaitReady,
  encodeAddress,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  sr25519PairFromSeed
} from "@polkadot/util-crypto"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { devWallet, hotkeyPath, loadHotkey, Wallet, type WalletError } from "../../src/chain/Wallet.ts"

let root: string
let mnemonic: string
let seedHex: string
let expectedAddress: string
let otherAddress: string

const writeHotkey = (wallet: string, hotkey: string, content: string) => {
  const dir = join(root, wallet, "hotkeys")
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, hotkey), content, { mode: 0o600 }) // owner-only, as btcli writes it
}
const keyfile = (fields: Record<string, unknown>) => JSON.stringify(fields)

const load = (wallet: string, hotkey: string) => Effect.runPromise(loadHotkey({ wallet, hotkey, path: root }))
const loadError = (wallet: string, hotkey: string) =>
  Effect.runPromise(Effect.flip(loadHotkey({ wallet, hotkey, path: root }))) as Promise<WalletError>

const expectNoSecret = (e: WalletError) => {
  const rendered = `${e.message} ${JSON.stringify(e)} ${String(e)}`
  expect(rendered).not.toContain(mnemonic)
  expect(rendered).not.toContain(seedHex.slice(2, 34))
  // a run of three mnemonic words would be a leak (single dictionary words are not)
  const words = mnemonic.split(" ")
  for (let i = 0; i + 3 <= words.length; i++) expect(rendered).not.toContain(words.slice(i, i + 3).join(" "))
}

beforeAll(async () => {
  await cryptoWaitReady()
  root = mkdtempSync(join(tmpdir(), "quorum-wallet-"))
  mnemonic = mnemonicGenerate(12)
  const mini = mnemonicToMiniSecret(mnemonic)
  seedHex = u8aToHex(mini)
  const pair = sr25519PairFromSeed(mini)
  expectedAddress = encodeAddress(pair.publicKey, 42)
  otherAddress = encodeAddress(sr25519PairFromSeed(mnemonicToMiniSecret(mnemonicGenerate(12))).publicKey, 42)
  const full = {
    accountId: u8aToHex(pair.publicKey),
    publicKey: u8aToHex(pair.publicKey),
    privateKey: u8aToHex(pair.secretKey),
    secretPhrase: mnemonic,
    secretSeed: seedHex,
    ss58Address: expectedAddress
  }
  writeHotkey("good", "default", keyfile(full))
  writeHotkey("seedonly", "hk", keyfile({ secretSeed: seedHex, publicKey: full.publicKey }))
  writeHotkey("enc", "nacl", `$NACL${Buffer.from("ciphertext-bytes").toString("base64")}`)
  writeHotkey("enc", "bt", `$BTWALLET${Buffer.from("ciphertext-bytes").toString("base64")}`)
  writeHotkey("enc", "vault", "$ANSIBLE_VAULT;1.1;AES256\n3866356238\n")
  writeHotkey("bad", "notjson", `{"secretPhrase": "${mnemonic}"`)
  writeHotkey("bad", "array", JSON.stringify([mnemonic]))
  writeHotkey("bad", "wrongtype", keyfile({ secretPhrase: 42, ss58Address: expectedAddress }))
  writeHotkey("bad", "public", keyfile({ ss58Address: expectedAddress, publicKey: full.publicKey }))
  writeHotkey("bad", "badphrase", keyfile({ secretPhrase: `${mnemonic.split(" ").slice(0, 11).join(" ")} zzzz` }))
  writeHotkey("bad", "shortseed", keyfile({ secretSeed: seedHex.slice(0, 40) }))
  writeHotkey("bad", "badaddress", keyfile({ secretPhrase: mnemonic, ss58Address: "not-an-address" }))
  writeHotkey("mismatch", "hk", keyfile({ secretPhrase: mnemonic, ss58Address: otherAddress }))
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("loadHotkey", () => {
  test("a full btcli keyfile (mnemonic) gives the sr25519 key btcli derives", async () => {
    const h = await load("good", "default")
    expect(h.address).toBe(expectedAddress)
    expect(h.pair.type).toBe("sr25519")
    expect(h.source).toBe(join(root, "good", "hotkeys", "default"))
    // it signs, and the signature verifies for that address
    const msg = new TextEncoder().encode("quorum")
    expect(h.pair.verify(msg, h.pair.sign(msg), h.pair.publicKey)).toBe(true)
  })

  test("a keyfile with only secretSeed gives the same key", async () => {
    const h = await load("seedonly", "hk")
    expect(h.address).toBe(expectedAddress)
    expect(h.publicKey).toBe(u8aToHex(sr25519PairFromSeed(mnemonicToMiniSecret(mnemonic)).publicKey))
  })

  test("the wallets root comes from the option, else BT_WALLET_PATH, else ~/.bittensor/wallets", async () => {
    expect(hotkeyPath({ wallet: "w", hotkey: "h" }, {})).toBe(join(homedir(), ".bittensor", "wallets", "w", "hotkeys", "h"))
    expect(hotkeyPath({ wallet: "w", hotkey: "h" }, { BT_WALLET_PATH: "/srv/wallets" })).toBe("/srv/wallets/w/hotkeys/h")
    expect(hotkeyPath({ wallet: "w", hotkey: "h", path: "~/x" }, { BT_WALLET_PATH: "/srv/wallets" })).toBe(join(homedir(), "x", "w", "hotkeys", "h"))
    const viaEnv = await Effect.runPromise(loadHotkey({ wallet: "good", hotkey: "default" }, { BT_WALLET_PATH: root }))
    expect(viaEnv.address).toBe(expectedAddress)
  })

  test("encrypted keyfiles are refused with what to do", async () => {
    for (const hk of ["nacl", "bt", "vault"]) {
      const e = await loadError("enc", hk)
      expect(e._tag).toBe("WalletEncrypted")
      expect(e.message).toContain("unencrypted hotkey")
      expect(e.message).toContain(join(root, "enc", "hotkeys", hk))
      expect(e.message).not.toContain("ciphertext")
    }
  })

  test("malformed keyfiles say what is wrong without echoing the secret", async () => {
    const cases: Array<[string, string]> = [
      ["notjson", "not valid JSON"],
      ["array", "expected a JSON object, found array"],
      ["wrongtype", "secretPhrase is number, expected a string"],
      ["public", "neither secretPhrase nor secretSeed"],
      ["badphrase", "not a valid BIP39 mnemonic"],
      ["shortseed", "secretSeed is not 32 bytes of hex"],
      ["badaddress", "ss58Address is not a valid ss58 address"]
    ]
    for (const [hk, problem] of cases) {
      const e = await loadError("bad", hk)
      expect(e._tag).toBe("WalletMalformed")
      expect(e.message).toContain(problem)
      expectNoSecret(e)
    }
  })

  test("a missing hotkey names the path and the btcli command", async () => {
    const e = await loadError("nowallet", "nohotkey")
    expect(e._tag).toBe("WalletNotFound")
    expect(e.message).toContain(join(root, "nowallet", "hotkeys", "nohotkey"))
    expect(e.message).toContain("btcli wallet new_hotkey --wallet.name nowallet --wallet.hotkey nohotkey")
  })

  test("an ss58Address that does not match the key is refused, naming both addresses", async () => {
    const e = await loadError("mismatch", "hk")
    expect(e._tag).toBe("WalletMalformed")
    expect(e.message).toContain(expectedAddress)
    expect(e.message).toContain(otherAddress)
    expectNoSecret(e)
  })
})

describe("devWallet / Wallet layers", () => {
  test("//Alice is the well-known dev account, and the source does not carry a raw URI", async () => {
    const h = await Effect.runPromise(devWallet("//Alice"))
    expect(h.address).toBe("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
    expect(h.source).toBe("dev:Alice")
    const custom = await Effect.runPromise(devWallet(`${mnemonic}//hard`))
    expect(custom.source).toBe("dev:custom")
    const e = await Effect.runPromise(Effect.flip(devWallet("not a valid uri //x/y//")))
    expect(e._tag).toBe("WalletMalformed")
  })

  const addressOf = Effect.gen(function*() {
    return (yield* Wallet).address
  })
  test("Wallet.layer provides the hotkey from disk; Wallet.layerDev from a URI", async () => {
    const fromDisk = await Effect.runPromise(
      addressOf.pipe(Effect.provide(Wallet.layer({ wallet: "good", hotkey: "default", path: root })))
    )
    expect(fromDisk).toBe(expectedAddress)
    const dev = await Effect.runPromise(addressOf.pipe(Effect.provide(Wallet.layerDev("//Bob"))))
    expect(dev).toBe("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty")
  })
})
