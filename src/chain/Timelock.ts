// Drand-quicknet timelock encryption of weight payloads (commit-reveal v3 `commit_crv3_weights`,
// v4 `commit_timelocked_weights`), through @ideallabs/timelock_wasm_wrapper (the Rust `timelock`
// crate the chain itself uses to decrypt: TLECiphertext<TinyBLS381>, AES-GCM, compressed arkworks
// serialization). Identity = sha256(round as u64 big-endian); quicknet public key in G2 (96 bytes).
// Pure apart from the one-time wasm load and the random ephemeral key.
import * as tlock from "@ideallabs/timelock_wasm_wrapper"
import { hexToU8a, u8aConcat } from "@polkadot/util"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
// a file import: the package's path in source runs, the embedded copy in dist/quorum
import timelockWasm from "@ideallabs/timelock_wasm_wrapper/timelock_wasm_wrapper_bg.wasm" with { type: "file" }
import { encodeBytes, encodeU64, encodeVecU16 } from "./CommitReveal.ts"

/** drand quicknet (bls-unchained-g1-rfc9380) constants. */
export const QUICKNET = {
  chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  publicKey:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  genesisTime: 1692803367,
  periodSeconds: 3
} as const

/** Rounds the SDK keeps between the reveal block's wall time and the target round (legacy model). */
export const SUBTENSOR_PULSE_DELAY = 24

const CURVE = "bls12_381"

let loaded = false
/** Loads the wasm once (synchronously, from the installed package or the binary; nothing is downloaded). */
export const ensureTimelockLoaded = (): void => {
  if (loaded) return
  tlock.initSync({ module: readFileSync(timelockWasm) })
  loaded = true
}

const toBytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return v
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return Uint8Array.from(v)
  throw new TypeError("timelock wrapper returned an unexpected value")
}

/** IBE identity of a drand round: sha256(u64 big-endian round). */
export const roundIdentity = (round: number | bigint): Uint8Array => {
  const be = new Uint8Array(8)
  new DataView(be.buffer).setBigUint64(0, BigInt(round), false)
  return new Uint8Array(createHash("sha256").update(be).digest())
}

/**
 * Encrypts `message` so that it can be decrypted with the drand quicknet signature of `round`.
 * Returns the compressed TLECiphertext bytes the chain deserializes. `ephemeralKey` (32 bytes) is
 * random unless given (tests).
 */
export const encryptForRound = (
  message: Uint8Array,
  round: number | bigint,
  ephemeralKey?: Uint8Array,
  publicKeyHex: string = QUICKNET.publicKey
): Uint8Array => {
  ensureTimelockLoaded()
  const esk = ephemeralKey ?? crypto.getRandomValues(new Uint8Array(32))
  if (esk.length !== 32) throw new RangeError("ephemeral key must be 32 bytes")
  const pk = hexToU8a(publicKeyHex.startsWith("0x") ? publicKeyHex : `0x${publicKeyHex}`)
  return toBytes(
    tlock.tle(Array.from(roundIdentity(round)), Array.from(message), Array.from(esk), Array.from(pk), CURVE)
  )
}

/** Decrypts with the round's BLS signature (48-byte compressed G1, as in a drand pulse). Throws if wrong. */
export const decryptWithSignature = (ciphertext: Uint8Array, signature: Uint8Array): Uint8Array => {
  ensureTimelockLoaded()
  return toBytes(tlock.tld(Array.from(ciphertext), Array.from(signature), CURVE))
}

/** Decrypts with the ephemeral key used at encryption (bypasses the timelock; tests and audits). */
export const decryptWithEphemeralKey = (ciphertext: Uint8Array, ephemeralKey: Uint8Array): Uint8Array => {
  ensureTimelockLoaded()
  return toBytes(tlock.decrypt(Array.from(ciphertext), Array.from(ephemeralKey), CURVE))
}

// ---------------------------------------------------------------------------------------------
// Payloads

export interface TimelockPayload {
  readonly uids: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
  readonly versionKey: number | bigint
}

/** v3 (commit_crv3_weights, spec ≤ ~300): SCALE{uids Vec<u16>, values Vec<u16>, version_key u64}. */
export const encodePayloadV3 = (p: TimelockPayload): Uint8Array =>
  u8aConcat(encodeVecU16(p.uids), encodeVecU16(p.values), encodeU64(p.versionKey))

/** v4 (commit_timelocked_weights): SCALE{hotkey Vec<u8>, uids Vec<u16>, values Vec<u16>, version_key u64}. */
export const encodePayloadV4 = (hotkey: Uint8Array, p: TimelockPayload): Uint8Array =>
  u8aConcat(encodeBytes(hotkey), encodeVecU16(p.uids), encodeVecU16(p.values), encodeU64(p.versionKey))

// ---------------------------------------------------------------------------------------------
// Reveal round

export interface RevealRoundInput {
  readonly netuid: number
  readonly tempo: number
  readonly currentBlock: number
  readonly revealPeriodEpochs: number
  /** Seconds per block (12 on mainnet). */
  readonly blockTimeSeconds: number
  /** Wall clock, unix seconds (pass Clock time; never read here). */
  readonly nowSeconds: number
  /** Drand.LastStoredRound on chain, if known: the result is never at or below it. */
  readonly lastStoredRound?: number
}

/**
 * The drand round the chain will have stored when the reveal epoch starts, as the bittensor SDK's
 * legacy model computes it: first block of epoch (current + revealPeriod) — pushed one epoch later
 * while it is closer than SUBTENSOR_PULSE_DELAY rounds — converted to wall time, then to a quicknet
 * round, minus the pulse delay.
 */
export const computeRevealRound = (i: RevealRoundInput): { round: number; revealBlock: number; revealEpoch: number } => {
  const tempoPlusOne = i.tempo + 1
  const netuidPlusOne = i.netuid + 1
  const currentEpoch = Math.floor((i.currentBlock + netuidPlusOne) / tempoPlusOne)
  let revealEpoch = currentEpoch + i.revealPeriodEpochs
  let revealBlock = revealEpoch * tempoPlusOne - netuidPlusOne
  let secondsUntil = (revealBlock - i.currentBlock) * i.blockTimeSeconds
  const minSeconds = SUBTENSOR_PULSE_DELAY * QUICKNET.periodSeconds
  while (secondsUntil < minSeconds) {
    revealEpoch += 1
    revealBlock = revealEpoch * tempoPlusOne - netuidPlusOne
    secondsUntil = (revealBlock - i.currentBlock) * i.blockTimeSeconds
  }
  const revealTime = i.nowSeconds + secondsUntil
  let round = Math.ceil((revealTime - QUICKNET.genesisTime) / QUICKNET.periodSeconds) - SUBTENSOR_PULSE_DELAY
  if (i.lastStoredRound !== undefined && round <= i.lastStoredRound) round = i.lastStoredRound + 1
  return { round: Math.max(1, round), revealBlock, revealEpoch }
}
