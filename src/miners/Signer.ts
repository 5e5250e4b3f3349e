// HotkeySigner backed by a @polkadot/keyring sr25519 pair, plus verification helpers used by
// the simulated axon (and anything else that checks a bittensor-style signature).
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { u8aToHex } from "@polkadot/util"
import { cryptoWaitReady, signatureVerify } from "@polkadot/util-crypto"
import type { HotkeySigner } from "../domain/Miner.ts"

/** Wraps an sr25519 keyring pair; the secret never leaves the pair. */
export const signerFromPair = (pair: KeyringPair): HotkeySigner => ({
  ss58: pair.address,
  publicKey: pair.publicKey,
  sign: (message) => pair.sign(message)
})

/** Waits for the wasm crypto, then derives an sr25519 pair from a URI (e.g. "//Validator"). ss58 prefix 42. */
export const pairFromUri = async (uri: string): Promise<KeyringPair> => {
  await cryptoWaitReady()
  return new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(uri)
}

/** Dev helper: a signer for a dev URI such as "//Validator" (tests, local demo). */
export const devSigner = async (uri: string): Promise<HotkeySigner> => signerFromPair(await pairFromUri(uri))

/** `0x` + 128 lowercase hex chars, as the bittensor header carries it. */
export const signatureHex = (signer: HotkeySigner, message: string): string =>
  u8aToHex(signer.sign(new TextEncoder().encode(message)))

/** True when `signature` (0x-hex) is a valid sr25519 signature by `ss58` over the UTF-8 message. */
export const verifyHotkeySignature = (message: string, signature: string, ss58: string): boolean => {
  try {
    return signatureVerify(message, signature, ss58).isValid
  } catch {
    return false
  }
}
