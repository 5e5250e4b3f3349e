// Bittensor dendrite nonces: nanoseconds since the epoch, strictly increasing per (hotkey, uuid).
// The axon keeps the last nonce per `hotkey:uuid` and rejects anything ≤ it; the first nonce must
// be newer than now − 4 s − timeout. JS runs this synchronously, so `next` is atomic even when
// thousands of fibers ask at once.

/** Wall-clock nanoseconds: Date.now() anchored once, advanced with the monotonic hrtime. */
const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint()
export const wallClockNs = (): bigint => anchorNs + process.hrtime.bigint()

export interface NonceSource {
  /** A nonce strictly greater than every nonce this source returned before for the same key. */
  readonly next: (hotkey: string, uuid: string) => bigint
}

/** max(now_ns, last + 1) per key. `now` is injectable for tests. */
export const makeNonceSource = (now: () => bigint = wallClockNs): NonceSource => {
  const last = new Map<string, bigint>()
  return {
    next: (hotkey, uuid) => {
      const key = `${hotkey}:${uuid}`
      const prev = last.get(key)
      const t = now()
      const n = prev !== undefined && t <= prev ? prev + 1n : t
      last.set(key, n)
      return n
    }
  }
}

/** An RFC 4122 version-1 uuid (time-based, random node id with the multicast bit set). */
export const uuid1 = (): string => {
  const ts = wallClockNs() / 100n + 0x01b21dd213814000n // 100 ns ticks since 1582-10-15
  const timeLow = Number(ts & 0xffffffffn)
  const timeMid = Number((ts >> 32n) & 0xffffn)
  const timeHi = Number((ts >> 48n) & 0x0fffn) | 0x1000
  const rnd = crypto.getRandomValues(new Uint8Array(8))
  const clockSeq = ((((rnd[0] ?? 0) << 8) | (rnd[1] ?? 0)) & 0x3fff) | 0x8000
  const node = Array.from(rnd.subarray(2), (b, i) => (i === 0 ? b | 0x01 : b))
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0")
  return `${hex(timeLow, 8)}-${hex(timeMid, 4)}-${hex(timeHi, 4)}-${hex(clockSeq, 4)}-${node.map((b) => hex(b, 2)).join("")}`
}
