// Commit-reveal v2 (hash) and the chain's epoch arithmetic, as in subtensor
// (pallets/subtensor/src/subnets/weights.rs: do_commit_weights / do_reveal_weights,
// get_epoch_index, get_reveal_blocks, is_reveal_block_range, is_commit_expired).
// Pure: no Effect, no I/O.
import { compactToU8a, u8aConcat } from "@polkadot/util"
import { blake2AsU8a } from "@polkadot/util-crypto"

const u16le = (v: number) => {
  const out = new Uint8Array(2)
  new DataView(out.buffer).setUint16(0, v, true)
  return out
}
const u64le = (v: bigint) => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, v, true)
  return out
}

/** SCALE Vec<u16>: compact length + little-endian u16s. */
export const encodeVecU16 = (xs: ReadonlyArray<number>): Uint8Array =>
  u8aConcat(compactToU8a(xs.length), ...xs.map(u16le))

/** SCALE Vec<u8>. */
export const encodeBytes = (bytes: Uint8Array): Uint8Array => u8aConcat(compactToU8a(bytes.length), bytes)

export const encodeU64 = (v: number | bigint): Uint8Array => u64le(BigInt(v))

export interface HashCommitInput {
  /** The committing hotkey's 32-byte public key (AccountId32). */
  readonly publicKey: Uint8Array
  readonly netuid: number
  readonly uids: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
  readonly salt: ReadonlyArray<number>
  readonly versionKey: number | bigint
}

/** SCALE(pubkey32, netuid u16, uids Vec<u16>, values Vec<u16>, salt Vec<u16>, version_key u64). */
export const encodeCommitPreimage = (c: HashCommitInput): Uint8Array => {
  if (c.publicKey.length !== 32) throw new RangeError(`publicKey must be 32 bytes, got ${c.publicKey.length}`)
  return u8aConcat(
    c.publicKey,
    u16le(c.netuid),
    encodeVecU16(c.uids),
    encodeVecU16(c.values),
    encodeVecU16(c.salt),
    u64le(BigInt(c.versionKey))
  )
}

/** blake2b-256 of the preimage: the `commit_hash: H256` argument of `commit_weights`. */
export const commitHash = (c: HashCommitInput): Uint8Array => blake2AsU8a(encodeCommitPreimage(c), 256)

/** A fresh random salt of `length` u16s (the SDK uses 8). */
export const randomSalt = (length = 8): Array<number> => {
  const buf = new Uint16Array(length)
  crypto.getRandomValues(buf)
  return Array.from(buf)
}

// ---------------------------------------------------------------------------------------------
// Epoch arithmetic

export interface EpochParams {
  readonly netuid: number
  readonly tempo: number
  readonly revealPeriodEpochs: number
}

/** get_epoch_index: (block + netuid + 1) / (tempo + 1), integer division. */
export const epochIndex = (netuid: number, tempo: number, block: number): number =>
  Math.floor((block + netuid + 1) / (tempo + 1))

/** The block range in which `reveal_weights` for a commit made at `commitBlock` succeeds. */
export const revealWindow = (p: EpochParams, commitBlock: number): { firstBlock: number; lastBlock: number } => {
  const revealEpoch = epochIndex(p.netuid, p.tempo, commitBlock) + p.revealPeriodEpochs
  const firstBlock = Math.max(0, revealEpoch * (p.tempo + 1) - (p.netuid + 1))
  return { firstBlock, lastBlock: firstBlock + p.tempo }
}

export type RevealState = "too_early" | "open" | "expired"

/** is_reveal_block_range / is_commit_expired for a commit at `commitBlock`, seen at `block`. */
export const revealState = (p: EpochParams, commitBlock: number, block: number): RevealState => {
  const commitEpoch = epochIndex(p.netuid, p.tempo, commitBlock)
  const currentEpoch = epochIndex(p.netuid, p.tempo, block)
  const target = commitEpoch + p.revealPeriodEpochs
  return currentEpoch < target ? "too_early" : currentEpoch === target ? "open" : "expired"
}

/**
 * should_run_epoch / blocks_until_next_epoch == 0: the subnet's epoch (and, on spec-293-era runtimes,
 * `reveal_crv3_commits`) runs in the block where (block + netuid + 1) % (tempo + 1) == tempo, i.e. the
 * LAST block of epoch `epochIndex(block)`, not the first block of the next one.
 */
export const isEpochRunBlock = (netuid: number, tempo: number, block: number): boolean =>
  tempo > 0 && (block + netuid + 1) % (tempo + 1) === tempo

/**
 * Block in which a spec-293-era runtime (pallets/subtensor/src/coinbase/reveal_commits.rs,
 * `reveal_crv3_commits`, run from run_coinbase when should_run_epoch) decrypts a `commit_crv3_weights`
 * commit included at `commitBlock`:
 * - the commit is stored under epoch k = epochIndex(commitBlock), or k + 1 when the commit block is
 *   itself an epoch-run block (do_commit_crv3_weights);
 * - the run block of epoch e reveals the commits keyed e - (revealPeriodEpochs - 1), and drops older
 *   ones; so the commit is revealed in the run block of epoch k + revealPeriodEpochs - 1, which is
 *   block (k + revealPeriodEpochs) * (tempo + 1) - netuid - 2.
 * The drand pulse of the commit's round must be in Drand.Pulses by then, or the commit is dropped.
 * (Newer runtimes key commits by the SubnetEpochIndex counter and reveal `cur_epoch - reveal_period`;
 * this function describes the spec-293 rule only.)
 */
export const crv3RevealBlock = (p: EpochParams, commitBlock: number): number => {
  const k = epochIndex(p.netuid, p.tempo, commitBlock) + (isEpochRunBlock(p.netuid, p.tempo, commitBlock) ? 1 : 0)
  const revealEpoch = k + Math.max(0, p.revealPeriodEpochs - 1)
  return (revealEpoch + 1) * (p.tempo + 1) - p.netuid - 2
}
