// Who the miners and the validator are, as every layer sees them: the signing identity, where a miner is
// served, and a miner as the metagraph (or the simulated registry) describes it.

/** Signs with the validator's hotkey (sr25519). Never exposes the secret. */
export interface HotkeySigner {
  readonly ss58: string
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array
  /** sr25519 signature (64 bytes) over the message bytes. */
  readonly sign: (message: Uint8Array) => Uint8Array
}

/** Where a miner is served, from the metagraph (or the simulated miner registry). */
export interface MinerTarget {
  readonly uid: number
  readonly hotkey: string
  readonly ip: string
  readonly port: number
}

/** A miner as the metagraph describes it. */
export interface MinerInfo extends MinerTarget {
  readonly coldkey: string
  /** Alpha staked on the hotkey on this subnet, when the source knows it (the stake share of selection, the stake blend). */
  readonly stake?: number
}
