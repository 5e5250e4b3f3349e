// Seeded randomness shared by simulations, synthetic challenges, benchmarks and tests: reproducible from a seed.

export type Rng = () => number

/** FNV-1a 32-bit of a string (the pure one in src/scoring): stable seeds from names. */
export { hash32 } from "../scoring/lexical.ts"

/** mulberry32: small, fast, good enough for simulations (not for anything secret). */
export const mulberry32 = (seed: number): Rng => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
