// The validator's hotkey, loaded from a btcli wallet:
//   <walletPath>/<wallet>/hotkeys/<hotkey>   (walletPath: option, else $BT_WALLET_PATH, else ~/.bittensor/wallets)
// The keyfile is JSON {accountId, publicKey, privateKey, secretPhrase, secretSeed, ss58Address}; btcli writes
// hotkeys unencrypted by default. The key is rebuilt as sr25519 (ss58 prefix 42) from secretPhrase (BIP39, the
// substrate mini-secret derivation btcli uses) or else secretSeed (32-byte mini secret), and its address is
// checked against ss58Address when the file has one. Errors name the path and what to do; they never carry
// file contents (a secret might be in them).
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { hexToU8a, isHex, u8aToHex } from "@polkadot/util"
import { cryptoWaitReady, decodeAddress, mnemonicValidate } from "@polkadot/util-crypto"
import { Context, Effect, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"
import { homedir } from "node:os"
import { join, resolve } from "node:path"
import { keyfilePermissionProblem } from "./KeyfilePermissions.ts"

export const SS58_PREFIX = 42
export const DEFAULT_WALLET_PATH = join(homedir(), ".bittensor", "wallets")

export class WalletNotFound extends Schema.TaggedError<WalletNotFound>()("WalletNotFound", {
  path: Schema.String,
  wallet: Schema.String,
  hotkey: Schema.String
}) {
  override get message(): string {
    return `hotkey file not found at ${this.path}. Next: create it with \`btcli wallet new_hotkey --wallet.name ${this.wallet} --wallet.hotkey ${this.hotkey}\`, or set WALLET_NAME / HOTKEY_NAME / WALLET_PATH (BT_WALLET_PATH) to an existing wallet`
  }
}

export class WalletEncrypted extends Schema.TaggedError<WalletEncrypted>()("WalletEncrypted", {
  path: Schema.String,
  format: Schema.String
}) {
  override get message(): string {
    return `hotkey file ${this.path} is encrypted (${this.format}). Next: provide an unencrypted hotkey (btcli creates hotkeys unencrypted by default; regenerate it with \`btcli wallet regen_hotkey\` without --use-password)`
  }
}

export class WalletMalformed extends Schema.TaggedError<WalletMalformed>()("WalletMalformed", {
  path: Schema.String,
  problem: Schema.String
}) {
  override get message(): string {
    return `hotkey file ${this.path} is not usable: ${this.problem}. Next: regenerate the hotkey with btcli or point WALLET_PATH / WALLET_NAME / HOTKEY_NAME at a valid one`
  }
}

export type WalletError = WalletNotFound | WalletEncrypted | WalletMalformed

export interface HotkeyOptions {
  readonly wallet: string
  readonly hotkey: string
  /** Wallets root; default $BT_WALLET_PATH, else ~/.bittensor/wallets. `~` is expanded. */
  readonly path?: string
}

export interface Hotkey {
  readonly pair: KeyringPair
  /** ss58 (prefix 42) */
  readonly address: string
  readonly publicKey: string
  /** Where it came from: the keyfile path, or `dev:<name>` (never the dev URI itself). */
  readonly source: string
}

const expandHome = (p: string): string => (p === "~" ? homedir() : p.startsWith("~/") ? join(homedir(), p.slice(2)) : p)

/** `<root>/<wallet>/hotkeys/<hotkey>` with the root from the option, $BT_WALLET_PATH, or the btcli default. */
export const hotkeyPath = (opts: HotkeyOptions, env: Readonly<Record<string, string | undefined>> = process.env): string => {
  const envRoot = env["BT_WALLET_PATH"]
  const root = opts.path ?? (envRoot !== undefined && envRoot.length > 0 ? envRoot : DEFAULT_WALLET_PATH)
  return resolve(expandHome(root), opts.wallet, "hotkeys", opts.hotkey)
}

/** The keyfile's fields (all optional; which ones are usable is checked after decoding). */
const KeyfileJson = Schema.Struct({
  accountId: Schema.optional(Schema.String),
  publicKey: Schema.optional(Schema.String),
  secretPhrase: Schema.optional(Schema.String),
  secretSeed: Schema.optional(Schema.String),
  ss58Address: Schema.optional(Schema.String)
})
type KeyfileJson = typeof KeyfileJson.Type

const ENCRYPTED_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ["$NACL", "NaCl secretbox (btcli --use-password)"],
  ["$BT", "bittensor keyfile encryption"],
  ["$ANSIBLE_VAULT", "ansible-vault"],
  ["gAAAAA", "legacy Fernet encryption"]
]

const detectEncryption = (text: string): string | undefined => {
  const head = text.trimStart()
  return ENCRYPTED_PREFIXES.find(([prefix]) => head.startsWith(prefix))?.[1]
}

const keyring = () => new Keyring({ type: "sr25519", ss58Format: SS58_PREFIX })

const fieldKind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v)

/** Builds the pair from decoded keyfile fields; pure apart from the (ready) crypto. */
export const pairFromKeyfile = (path: string, raw: unknown): Effect.Effect<KeyringPair, WalletMalformed> =>
  Effect.gen(function*() {
    const malformed = (problem: string) => new WalletMalformed({ path, problem })
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return yield* malformed(`expected a JSON object, found ${fieldKind(raw)}`)
    }
    const decoded = Schema.decodeUnknownExit(KeyfileJson)(raw)
    if (decoded._tag === "Failure") {
      // Name the offending fields and their kinds only: Schema issues would echo values (secrets).
      const rec = raw as Record<string, unknown>
      const bad = ["accountId", "publicKey", "secretPhrase", "secretSeed", "ss58Address"]
        .filter((k) => rec[k] !== undefined && typeof rec[k] !== "string")
        .map((k) => `${k} is ${fieldKind(rec[k])}, expected a string`)
      return yield* malformed(bad.length > 0 ? bad.join("; ") : "unexpected field types")
    }
    const file: KeyfileJson = decoded.value
    const kr = keyring()
    let pair: KeyringPair
    if (file.secretPhrase !== undefined && file.secretPhrase.trim().length > 0) {
      const phrase = file.secretPhrase.trim().split(/\s+/).join(" ")
      if (!mnemonicValidate(phrase)) return yield* malformed("secretPhrase is not a valid BIP39 mnemonic")
      pair = kr.addFromMnemonic(phrase)
    } else if (file.secretSeed !== undefined && file.secretSeed.length > 0) {
      const seed = file.secretSeed.startsWith("0x") ? file.secretSeed : `0x${file.secretSeed}`
      if (!isHex(seed) || hexToU8a(seed).length !== 32) {
        return yield* malformed("secretSeed is not 32 bytes of hex")
      }
      pair = kr.addFromSeed(hexToU8a(seed))
    } else {
      return yield* malformed("it has neither secretPhrase nor secretSeed (a public-only keyfile cannot sign)")
    }
    if (file.ss58Address !== undefined && file.ss58Address.length > 0) {
      const expected = yield* Effect.try({
        try: () => u8aToHex(decodeAddress(file.ss58Address ?? "")),
        catch: () => malformed("ss58Address is not a valid ss58 address")
      })
      if (expected !== u8aToHex(pair.publicKey)) {
        return yield* malformed(`the key derives ${pair.address}, but ss58Address says ${file.ss58Address}`)
      }
    }
    return pair
  })

const toHotkey = (pair: KeyringPair, source: string): Hotkey => ({
  pair,
  address: pair.address,
  publicKey: u8aToHex(pair.publicKey),
  source
})

/** Loads and checks a btcli hotkey file. */
export const loadHotkey = Effect.fn("Wallet.loadHotkey")(function*(
  opts: HotkeyOptions,
  env: Readonly<Record<string, string | undefined>> = process.env
): Effect.fn.Return<Hotkey, WalletError> {
  const path = hotkeyPath(opts, env)
  const text = yield* Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (e): WalletError => {
      const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : ""
      return code === "ENOENT" || code === "ENOTDIR"
        ? new WalletNotFound({ path, wallet: opts.wallet, hotkey: opts.hotkey })
        : new WalletMalformed({ path, problem: `cannot read it (${code.length > 0 ? code : "read error"})` })
    }
  })
  const encryption = detectEncryption(text)
  if (encryption !== undefined) return yield* new WalletEncrypted({ path, format: encryption })
  // as ssh does for private keys: a secret readable by group or others is reported (not refused)
  const exposed = keyfilePermissionProblem(path)
  if (exposed !== undefined) yield* Effect.logWarning(`hotkey file is readable by others: ${exposed}`).pipe(Effect.annotateLogs({ path }))
  const raw = yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: () => new WalletMalformed({ path, problem: "it is not valid JSON" })
  })
  yield* Effect.promise(() => cryptoWaitReady())
  const pair = yield* pairFromKeyfile(path, raw)
  yield* Effect.logInfo("hotkey loaded").pipe(Effect.annotateLogs({ path, address: pair.address }))
  return toHotkey(pair, path)
})

/** A development key from a secret URI such as `//Alice` (local demo chains only). */
export const devWallet = Effect.fn("Wallet.devWallet")(function*(uri: string): Effect.fn.Return<Hotkey, WalletMalformed> {
  yield* Effect.promise(() => cryptoWaitReady())
  const name = /^\/\/[A-Za-z0-9_-]+(\/\/?[A-Za-z0-9_-]+)*$/.test(uri) ? uri.slice(2) : "custom"
  const source = `dev:${name}`
  const pair = yield* Effect.try({
    try: () => keyring().addFromUri(uri),
    catch: () => new WalletMalformed({ path: source, problem: "the development URI is not a valid secret URI" })
  })
  return toHotkey(pair, source)
})

/** The validator's signing hotkey. */
export class Wallet extends Context.Service<Wallet, Hotkey>()("quorum/chain/Wallet") {
  /** From a btcli wallet on disk. */
  static readonly layer = (opts: HotkeyOptions) => Layer.effect(Wallet, Effect.map(loadHotkey(opts), (h) => Wallet.of(h)))
  /** From a development URI (`//Alice`); local chains only. */
  static readonly layerDev = (uri: string) => Layer.effect(Wallet, Effect.map(devWallet(uri), (h) => Wallet.of(h)))
}
