// Fiber handshake pieces: Python float rendering (the timestamp quirk), the signed message, and the
// miner-side verification (signature by another hotkey, replay, stale timestamp, allow-list).
// Python is the oracle for `repr(float)` and for RSA-OAEP-SHA256; those parts skip without python3.
import { beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { withSeed } from "../support/property.ts"
import { parseKey } from "../../src/miners/fiber/Fernet.ts"
import {
  handshakeTimestamp,
  keyExchangeJson,
  keyExchangeMessage,
  makeMinerRsaKey,
  type MinerRsaKey,
  prepareKeyExchange,
  pyFloatRepr,
  verifyKeyExchange
} from "../../src/miners/fiber/Handshake.ts"
import { devSigner } from "../../src/miners/Signer.ts"
import type { HotkeySigner } from "../../src/domain/Miner.ts"

const hasPython = (() => {
  try {
    return Bun.spawnSync(["python3", "-c", "pass"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
  } catch {
    return false
  }
})()
const hasPyCryptography = hasPython &&
  Bun.spawnSync(["python3", "-c", "import cryptography"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
if (!hasPyCryptography) console.warn("[skip] Fiber handshake python oracle: python3 with `cryptography` not found")

const py = (script: string, input: unknown): unknown => {
  const r = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(JSON.stringify(input)), stdout: "pipe", stderr: "pipe" })
  if (r.exitCode !== 0) throw new Error(`python failed: ${r.stderr.toString()}`)
  return JSON.parse(r.stdout.toString())
}

let validator: HotkeySigner
let other: HotkeySigner
let rsa: MinerRsaKey
beforeAll(async () => {
  validator = await devSigner("//FiberValidator")
  other = await devSigner("//Mallory")
  rsa = makeMinerRsaKey()
})

describe("pyFloatRepr", () => {
  test("known Python renderings", () => {
    const cases: Array<[number, string]> = [
      [1700000000, "1700000000.0"],
      [1763880000.123456, "1763880000.123456"],
      [0.1, "0.1"],
      [1e16, "1e+16"],
      [1.5e16, "1.5e+16"],
      [123456789012345680, "1.2345678901234568e+17"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [0.00012, "0.00012"],
      [-2.5, "-2.5"],
      [0, "0.0"],
      [-0, "-0.0"],
      [1e22, "1e+22"],
      [Number.POSITIVE_INFINITY, "inf"],
      [Number.NaN, "nan"]
    ]
    for (const [x, s] of cases) expect(pyFloatRepr(x)).toBe(s)
  })

  test.skipIf(!hasPython)("matches python repr() on random doubles and timestamps", () => withSeed((seed) => {
    const xs = [
      ...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 300, seed }),
      ...fc.sample(fc.double({ min: 1.6e9, max: 2e9, noNaN: true }), { numRuns: 200, seed: seed + 1 }),
      ...fc.sample(fc.integer({ min: -1e9, max: 1e9 }), { numRuns: 50, seed: seed + 2 })
    ]
    // JSON cannot carry -0 distinctly; exclude it (covered above)
    const input = xs.filter((x) => !Object.is(x, -0))
    const out = py("import sys, json\nprint(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))", input) as Array<string>
    input.forEach((x, i) => expect(pyFloatRepr(x)).toBe(out[i] ?? ""))
  }))

  test("handshake timestamps are never integral and are now", () => {
    expect(Number.isInteger(handshakeTimestamp(1_763_880_000_000))).toBe(false)
    expect(pyFloatRepr(handshakeTimestamp(1_763_880_000_000))).toBe("1763880000.000001")
    expect(Math.abs(handshakeTimestamp() - Date.now() / 1000)).toBeLessThan(1)
  })
})

describe("key exchange", () => {
  const verifyOpts = (seen = new Set<string>()) => ({
    rsa,
    nowMs: Date.now(),
    maxSkewSeconds: 60,
    claimNonce: (n: string) => (seen.has(n) ? false : (seen.add(n), true))
  })

  test("signed message format and JSON keep the signed timestamp text", () => {
    const p = prepareKeyExchange(rsa.publicKeyPem, validator)
    expect(p.body.signature).toMatch(/^0x[0-9a-f]{128}$/)
    expect(p.body.encrypted_symmetric_key).toMatch(/^[0-9a-f]{512}$/)
    expect(p.body.validator_hotkey_ss58).toBe(validator.ss58)
    const text = keyExchangeJson(p.body)
    expect(text).toContain(`"timestamp":${pyFloatRepr(p.body.timestamp)}`)
    expect(JSON.parse(text)).toEqual(p.body)
    expect(keyExchangeMessage(1700000000, "n", "ss")).toBe("1700000000.0.n.ss")
  })

  test("a valid exchange yields the validator's Fernet key", () => {
    const p = prepareKeyExchange(rsa.publicKeyPem, validator)
    const v = verifyKeyExchange(p.body, verifyOpts())
    expect(v).toEqual({ ok: true, fernetKey: p.fernetKey, validator: validator.ss58, uuid: p.uuid })
    expect(parseKey(p.fernetKey)).not.toBeNull()
  })

  test("a signature by another hotkey is rejected (401)", () => {
    // Mallory signs but claims to be the validator
    const impostor: HotkeySigner = { ss58: validator.ss58, publicKey: validator.publicKey, sign: other.sign }
    const p = prepareKeyExchange(rsa.publicKeyPem, impostor)
    expect(verifyKeyExchange(p.body, verifyOpts())).toMatchObject({ ok: false, status: 401 })
    // and a genuine body whose signature is swapped for Mallory's own is rejected too
    const q = prepareKeyExchange(rsa.publicKeyPem, validator)
    const r = prepareKeyExchange(rsa.publicKeyPem, other)
    expect(verifyKeyExchange({ ...q.body, signature: r.body.signature }, verifyOpts())).toMatchObject({ ok: false, status: 401 })
    // changing the signed timestamp text breaks the signature
    expect(verifyKeyExchange({ ...q.body, timestamp: q.body.timestamp + 0.5 }, verifyOpts())).toMatchObject({
      ok: false,
      status: 401
    })
  })

  test("replayed nonce, stale timestamp, not-allowed validator, foreign RSA key", () => {
    const seen = new Set<string>()
    const p = prepareKeyExchange(rsa.publicKeyPem, validator)
    expect(verifyKeyExchange(p.body, verifyOpts(seen)).ok).toBe(true)
    expect(verifyKeyExchange(p.body, verifyOpts(seen))).toMatchObject({ ok: false, status: 401, message: "nonce already used" })
    const old = prepareKeyExchange(rsa.publicKeyPem, validator, Date.now() - 5 * 60_000)
    expect(verifyKeyExchange(old.body, verifyOpts())).toMatchObject({ ok: false, status: 401 })
    const fresh = prepareKeyExchange(rsa.publicKeyPem, validator)
    expect(verifyKeyExchange(fresh.body, { ...verifyOpts(), allowedValidators: [other.ss58] })).toMatchObject({
      ok: false,
      status: 403
    })
    const foreign = prepareKeyExchange(makeMinerRsaKey().publicKeyPem, validator)
    expect(verifyKeyExchange(foreign.body, verifyOpts())).toMatchObject({ ok: false, status: 400 })
  })

  test("an integral Python float timestamp (sent as 1763880000.0) verifies as Python would render it", () => {
    const p = prepareKeyExchange(rsa.publicKeyPem, validator)
    const ts = 1_763_880_000
    const message = keyExchangeMessage(ts, p.body.nonce, validator.ss58)
    expect(message.startsWith("1763880000.0.")).toBe(true)
    const signature = "0x" + Buffer.from(validator.sign(new TextEncoder().encode(message))).toString("hex")
    const wire = JSON.parse(keyExchangeJson({ ...p.body, timestamp: ts, signature })) as typeof p.body
    expect(verifyKeyExchange(wire, { ...verifyOpts(), nowMs: ts * 1000 }).ok).toBe(true)
    // a JS-style rendering ("1763880000") would not verify
    const jsSig = "0x" + Buffer.from(validator.sign(new TextEncoder().encode(`${ts}.${p.body.nonce}.${validator.ss58}`))).toString("hex")
    expect(verifyKeyExchange({ ...wire, signature: jsSig }, { ...verifyOpts(), nowMs: ts * 1000 }).ok).toBe(false)
  })

  test.skipIf(!hasPyCryptography)("python decrypts the RSA-OAEP(SHA-256) key and uses it as a Fernet key", () => {
    const p = prepareKeyExchange(rsa.publicKeyPem, validator)
    const pem = rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    const out = py(
      `
import sys, json
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.fernet import Fernet
j = json.load(sys.stdin)
k = serialization.load_pem_private_key(j["pem"].encode(), password=None)
key = k.decrypt(bytes.fromhex(j["ct"]), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
Fernet(key)
print(json.dumps({"key": key.decode()}))
`,
      { pem, ct: p.body.encrypted_symmetric_key }
    )
    expect(out).toEqual({ key: p.fernetKey })
  })
})
