// The metagraph's data: a neuron and its axon, one snapshot, the change events between two snapshots (the
// pure `diffNeurons`) and where to query the serving miners. Plain data and pure functions.
import { Schema } from "effect"
import type { MinerTarget } from "../domain/Miner.ts"
import type { Hyperparams } from "./Hyperparams.ts"

export const Axon = Schema.Struct({
  /** Text address ("0.0.0.0" when not served). */
  ip: Schema.String,
  /** 4, 6, or 0 when never served. */
  ipType: Schema.Number,
  port: Schema.Number,
  protocol: Schema.Number,
  version: Schema.Number,
  /** Block of the last serve_axon. */
  block: Schema.Number
})
export type Axon = typeof Axon.Type

export const Neuron = Schema.Struct({
  uid: Schema.Number,
  hotkey: Schema.String,
  coldkey: Schema.String,
  axon: Axon,
  /** Total alpha staked on this hotkey on this subnet, in alpha (rao / 1e9). */
  stake: Schema.Number,
  /** The same, exact, in rao. */
  stakeRao: Schema.BigInt,
  validatorPermit: Schema.Boolean,
  lastUpdate: Schema.Number,
  active: Schema.Boolean
})
export type Neuron = typeof Neuron.Type

export interface MetagraphSnapshot {
  readonly netuid: number
  readonly block: number
  readonly blockHash: string
  readonly source: "runtimeApi" | "storage"
  /** Sorted by uid. */
  readonly neurons: ReadonlyArray<Neuron>
  readonly hyperparams: Hyperparams
}

/** An axon is served when it has a non-zero address and port. */
export const isServing = (axon: Axon): boolean => axon.port > 0 && axon.ip !== "0.0.0.0" && axon.ip !== "::"

// ---------------------------------------------------------------------------------------------
// Change events and the pure diff

export const MinerAdded = Schema.TaggedStruct("MinerAdded", { uid: Schema.Number, hotkey: Schema.String })
export const HotkeyReplaced = Schema.TaggedStruct("HotkeyReplaced", { uid: Schema.Number, old: Schema.String, new: Schema.String })
export const MinerRemoved = Schema.TaggedStruct("MinerRemoved", { uid: Schema.Number })
export const AxonChanged = Schema.TaggedStruct("AxonChanged", { uid: Schema.Number })
export const MetagraphChange = Schema.Union([MinerAdded, HotkeyReplaced, MinerRemoved, AxonChanged])
export type MetagraphChange = typeof MetagraphChange.Type

const sameAxon = (a: Axon, b: Axon) =>
  a.ip === b.ip && a.ipType === b.ipType && a.port === b.port && a.protocol === b.protocol && a.version === b.version

/**
 * What changed between two neuron lists, by uid, in uid order: a new uid → MinerAdded; same uid,
 * other hotkey → HotkeyReplaced (its axon change is implied); a uid gone → MinerRemoved; same
 * hotkey, other ip/port/protocol/version → AxonChanged. Stake, permit and activity are not events.
 */
export const diffNeurons = (prev: ReadonlyArray<Neuron>, next: ReadonlyArray<Neuron>): ReadonlyArray<MetagraphChange> => {
  const before = new Map(prev.map((n) => [n.uid, n]))
  const after = new Map(next.map((n) => [n.uid, n]))
  const uids = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => a - b)
  const out: Array<MetagraphChange> = []
  for (const uid of uids) {
    const a = before.get(uid)
    const b = after.get(uid)
    if (a === undefined && b !== undefined) out.push(MinerAdded.make({ uid, hotkey: b.hotkey }))
    else if (a !== undefined && b === undefined) out.push(MinerRemoved.make({ uid }))
    else if (a !== undefined && b !== undefined) {
      if (a.hotkey !== b.hotkey) out.push(HotkeyReplaced.make({ uid, old: a.hotkey, new: b.hotkey }))
      else if (!sameAxon(a.axon, b.axon)) out.push(AxonChanged.make({ uid }))
    }
  }
  return out
}

/** Where to query each neuron with a served axon (the validator's own included; filter by hotkey if needed). */
export const toMinerTargets = (
  snapshot: Pick<MetagraphSnapshot, "neurons">,
  options?: { readonly excludeHotkeys?: ReadonlyArray<string> }
): Array<MinerTarget> => {
  const exclude = new Set(options?.excludeHotkeys ?? [])
  return snapshot.neurons
    .filter((n) => isServing(n.axon) && !exclude.has(n.hotkey))
    .map((n) => ({ uid: n.uid, hotkey: n.hotkey, ip: n.axon.ip, port: n.axon.port }))
}
