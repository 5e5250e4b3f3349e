// The axon ip codec: the chain stores an axon ip as a u128 (IPv4 = a<<24|b<<16|c<<8|d with ip_type 4;
// IPv6 with ip_type 6). Text ↔ u128, as the Python SDK's ip_to_int / int_to_ip.
import { Schema } from "effect"


export class InvalidIpAddress extends Schema.TaggedError<InvalidIpAddress>()("InvalidIpAddress", {
  ip: Schema.String
}) {
  override get message(): string {
    return `not an IPv4 or IPv6 address: ${JSON.stringify(this.ip)}`
  }
}

const parseIpv4 = (s: string): bigint | undefined => {
  const parts = s.split(".")
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

const parseIpv6 = (s: string): bigint | undefined => {
  let text = s
  let tail: Array<number> = []
  // embedded IPv4 tail (::ffff:192.0.2.1, 64:ff9b::192.0.2.1)
  const lastColon = text.lastIndexOf(":")
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)]
    text = text.slice(0, lastColon + 1)
    if (!text.endsWith("::")) text = text.slice(0, -1)
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN)
  const head = halves[0] === "" ? [] : halves[0]!.split(":").map(group)
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":").map(group)) : []
  const given = head.length + rest.length + tail.length
  if (halves.length === 1 && given !== 8) return undefined
  if (halves.length === 2 && given > 7) return undefined
  const groups = [...head, ...Array.from({ length: 8 - given }, () => 0), ...rest, ...tail]
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
}

/** Parses an IPv4 or IPv6 text address into the chain's u128 form and ip_type. */
export const parseIp = (ip: string): { readonly value: bigint; readonly ipType: 4 | 6 } | undefined => {
  const v4 = parseIpv4(ip)
  if (v4 !== undefined) return { value: v4, ipType: 4 }
  if (!ip.includes(":")) return undefined
  const v6 = parseIpv6(ip)
  return v6 === undefined ? undefined : { value: v6, ipType: 6 }
}

/** Like parseIp, throwing InvalidIpAddress (for setup code). */
export const encodeIp = (ip: string): { readonly value: bigint; readonly ipType: 4 | 6 } => {
  const r = parseIp(ip)
  if (r === undefined) throw new InvalidIpAddress({ ip })
  return r
}

const formatIpv4 = (value: bigint): string => [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join(".")

const formatIpv6 = (value: bigint): string => {
  // IPv4-mapped (::ffff:a.b.c.d) in mixed notation, as RFC 5952 §5 and Python's netaddr print it
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn))
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on ties
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(":")
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`
}

/**
 * The text form of a chain axon ip. ip_type 6 → IPv6 (RFC 5952 compressed); otherwise a value
 * that fits 32 bits → dotted IPv4, a larger one → IPv6 (what the Python SDK's int_to_ip does).
 */
export const decodeIp = (value: bigint, ipType: number): string => {
  if (value < 0n || value >= 1n << 128n) throw new RangeError(`ip ${value} out of u128 range`)
  if (ipType !== 6 && value < 1n << 32n) return formatIpv4(value)
  return formatIpv6(value)
}
