// Entities: miners that share an identifying IP or a coldkey are one operator. They count once in every
// agreement (a sybil farm does not make a consensus) and split one reward share. Pure.
import type { MinerResponse } from "./types.ts"

/**
 * Whether an IP identifies an operator. Loopback addresses (and the in-process transport's marker) do not:
 * they only occur in local simulations, where every miner shares the host — on a real subnet a miner
 * served on loopback cannot be reached by any validator.
 */
export const isIdentityIp = (ip: string): boolean => {
  const x = ip.trim().toLowerCase()
  return x !== "" && x !== "in-process" && x !== "localhost" && x !== "::1" && !x.startsWith("127.") && !x.startsWith("::ffff:127.")
}

export interface Entities {
  /** Entity id (the lowest member index) per response; −1 for responses not included. */
  readonly entity: Int32Array
  /** 1 / (members of the entity among the included responses); 0 when not included. */
  readonly weight: Float64Array
}

/** Union-find entities over the included responses: a shared identifying IP or a shared coldkey joins two. */
export const entitiesOf = (responses: ReadonlyArray<MinerResponse>, included: ReadonlyArray<boolean>, enabled: boolean): Entities => {
  const n = responses.length
  const parent = Int32Array.from({ length: n }, (_, i) => i)
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!
      x = parent[x]!
    }
    return x
  }
  if (enabled) {
    const seen = new Map<string, number>()
    for (let i = 0; i < n; i++) {
      if (!included[i]) continue
      const r = responses[i]!
      for (const key of [isIdentityIp(r.ip) ? `ip:${r.ip.trim()}` : null, r.coldkey.trim() === "" ? null : `ck:${r.coldkey.trim()}`]) {
        if (key === null) continue
        const j = seen.get(key)
        if (j === undefined) seen.set(key, i)
        else {
          const a = find(i)
          const b = find(j)
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
        }
      }
    }
  }
  const entity = new Int32Array(n).fill(-1)
  const count = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    if (!included[i]) continue
    const root = find(i)
    entity[i] = root
    count.set(root, (count.get(root) ?? 0) + 1)
  }
  const weight = new Float64Array(n)
  for (let i = 0; i < n; i++) if (entity[i]! >= 0) weight[i] = 1 / count.get(entity[i]!)!
  return { entity, weight }
}
