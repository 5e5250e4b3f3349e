// Stable miner identities and latency profiles for the evaluation harness, derived from a miner's name only:
// the same model keeps its uid, keys, IP and speed in every round and every run.
import { hash32, mulberry32, type Rng } from "../domain/random.ts"

export interface Identity {
  readonly name: string
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
const ss58Like = (rng: Rng): string => `5${Array.from({ length: 47 }, () => B58[Math.floor(rng() * B58.length)]).join("")}`

/**
 * One identity per name. Uids are 1.. in the order of the names' hashes, so a uid says nothing about a
 * miner's quality or kind (the scorer breaks ties by uid); IPs are distinct because they carry the uid.
 */
export const assignIdentities = (names: ReadonlyArray<string>): Map<string, Identity> => {
  const unique = [...new Set(names)].sort((a, b) => hash32(a) - hash32(b) || (a < b ? -1 : 1))
  return new Map(
    unique.map((name, k) => {
      const uid = k + 1
      const h = hash32(name)
      return [
        name,
        {
          name,
          uid,
          hotkey: ss58Like(mulberry32(hash32(`hotkey:${name}`))),
          coldkey: ss58Like(mulberry32(hash32(`coldkey:${name}`))),
          ip: `10.${16 + (h % 200)}.${uid >> 8}.${uid & 255}`
        }
      ]
    })
  )
}

export interface SpeedProfile {
  /** Time to first token, ms (300–1200). */
  readonly ttftMs: number
  /** Generation time per character, ms (2–8). */
  readonly msPerChar: number
}

export const speedProfile = (name: string): SpeedProfile => {
  const rng = mulberry32(hash32(`speed:${name}`))
  return { ttftMs: 300 + 900 * rng(), msPerChar: 2 + 6 * rng() }
}

/** Latency of an answer of `chars` characters: ttft + chars × ms/char, times a ±15% jitter from `rng`. */
export const latencyMs = (profile: SpeedProfile, chars: number, rng: Rng): number =>
  Math.round((profile.ttftMs + chars * profile.msPerChar) * (0.85 + 0.3 * rng()))
