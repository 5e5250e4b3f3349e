// Fernet against Python's `cryptography.fernet` as an independent oracle, both directions,
// plus tamper / TTL / key checks. The oracle tests skip cleanly without python3 + cryptography.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty, withSeed } from "../support/property.ts"
import { decodeBase64Url, decrypt, encrypt, generateKey, parseKey } from "../../src/miners/fiber/Fernet.ts"

const hasPyCryptography = (() => {
  try {
    const r = Bun.spawnSync(["python3", "-c", "import cryptography.fernet"], { stdout: "ignore", stderr: "ignore" })
    return r.exitCode === 0
  } catch {
    return false
  }
})()
if (!hasPyCryptography) console.warn("[skip] Fernet python oracle: python3 with `cryptography` not found")

/** Runs a python snippet with a JSON job on stdin; returns its stdout JSON. */
const py = (script: string, input: unknown): unknown => {
  const r = Bun.spawnSync(["python3", "-c", script], {
    stdin: Buffer.from(JSON.stringify(input)),
    stdout: "pipe",
    stderr: "pipe"
  })
  if (r.exitCode !== 0) throw new Error(`python failed: ${r.stderr.toString()}`)
  return JSON.parse(r.stdout.toString())
}

const PY_DECRYPT = `
import sys, json, base64
from cryptography.fernet import Fernet, InvalidToken
jobs = json.load(sys.stdin)
out = []
for j in jobs:
    try:
        pt = Fernet(j["key"].encode()).decrypt(j["token"].encode(), ttl=j.get("ttl"))
        out.append({"ok": True, "b64": base64.b64encode(pt).decode()})
    except InvalidToken:
        out.append({"ok": False})
print(json.dumps(out))
`

const PY_ENCRYPT = `
import sys, json, base64
from cryptography.fernet import Fernet
jobs = json.load(sys.stdin)
out = []
for j in jobs:
    key = j.get("key") or Fernet.generate_key().decode()
    tok = Fernet(key.encode()).encrypt(base64.b64decode(j["b64"])).decode()
    out.append({"key": key, "token": tok})
print(json.dumps(out))
`

const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64")

describe("Fernet (pure)", () => {
  test("round trip, any plaintext", () => {
    assertProperty(
      fc.property(fc.uint8Array({ maxLength: 300 }), (pt) => {
        const key = generateKey()
        const r = decrypt(key, encrypt(key, pt), { ttlSeconds: 60 })
        expect(r.ok).toBe(true)
        if (r.ok) expect(b64(r.plaintext)).toBe(b64(pt))
      }),
      { numRuns: 100 }
    )
  })

  test("keys are 44-char base64url of 32 bytes; malformed keys are refused", () => {
    const key = generateKey()
    expect(key).toHaveLength(44)
    expect(parseKey(key)).not.toBeNull()
    expect(parseKey("short")).toBeNull()
    expect(parseKey(Buffer.alloc(32).toString("base64").replace(/=+$/, "") + "+/")).toBeNull()
    expect(decrypt("nope", encrypt(key, "x"))).toEqual({ ok: false, reason: "BadKey" })
  })

  test("any flipped byte is rejected; wrong key is rejected", () => {
    const key = generateKey()
    const token = encrypt(key, "the challenge body")
    const raw = decodeBase64Url(token)
    expect(raw).not.toBeNull()
    if (raw === null) return
    for (let i = 0; i < raw.length; i++) {
      const t = Buffer.from(raw)
      t[i] = (t[i] ?? 0) ^ 0x01
      expect(decrypt(key, t.toString("base64url")).ok).toBe(false)
    }
    expect(decrypt(generateKey(), token)).toEqual({ ok: false, reason: "BadMac" })
    expect(decrypt(key, "%%%not-base64")).toEqual({ ok: false, reason: "BadEncoding" })
    expect(decrypt(key, "")).toMatchObject({ ok: false })
  })

  test("ttl: old tokens expire, far-future tokens are refused, no ttl means no age check", () => {
    const key = generateKey()
    const now = 1_763_880_000
    const token = encrypt(key, "hello", { nowSeconds: now - 100 })
    expect(decrypt(key, token, { ttlSeconds: 60, nowSeconds: now })).toEqual({ ok: false, reason: "Expired" })
    expect(decrypt(key, token, { ttlSeconds: 200, nowSeconds: now }).ok).toBe(true)
    expect(decrypt(key, token, { nowSeconds: now + 1e6 }).ok).toBe(true)
    const future = encrypt(key, "hello", { nowSeconds: now + 120 })
    expect(decrypt(key, future, { ttlSeconds: 60, nowSeconds: now })).toEqual({ ok: false, reason: "FromTheFuture" })
  })

  test("known layout: version byte, big-endian timestamp, IV", () => {
    const key = generateKey()
    const iv = Uint8Array.from({ length: 16 }, (_, i) => i)
    const raw = decodeBase64Url(encrypt(key, "abc", { nowSeconds: 0x01020304, iv }))
    expect(raw?.[0]).toBe(0x80)
    expect(raw?.readBigUInt64BE(1)).toBe(0x01020304n)
    expect(Array.from(raw?.subarray(9, 25) ?? [])).toEqual(Array.from(iv))
    // 3 bytes of plaintext pad to one AES block; total = 25 + 16 + 32
    expect(raw?.length).toBe(73)
  })
})

describe.skipIf(!hasPyCryptography)("Fernet vs python cryptography", () => {
  test("TS encrypt → python decrypt (including ttl)", () => withSeed((seed) => {
    const cases = fc.sample(fc.uint8Array({ maxLength: 200 }), { numRuns: 40, seed }).concat([new Uint8Array(0)])
    const jobs = cases.map((pt) => {
      const key = generateKey()
      return { key, token: encrypt(key, pt), ttl: 60, pt }
    })
    const tampered = jobs.slice(0, 5).map((j) => {
      const raw = decodeBase64Url(j.token) ?? Buffer.alloc(0)
      raw[raw.length - 40] = (raw[raw.length - 40] ?? 0) ^ 0x80
      return { key: j.key, token: raw.toString("base64url"), ttl: null }
    })
    const expired = { key: jobs[0]?.key ?? "", token: encrypt(jobs[0]?.key ?? "", "old", { nowSeconds: 1000 }), ttl: 60 }
    const out = py(PY_DECRYPT, [
      ...jobs.map(({ key, token, ttl }) => ({ key, token, ttl })),
      ...tampered,
      expired
    ]) as Array<{ ok: boolean; b64?: string }>
    jobs.forEach((j, i) => {
      expect(out[i]).toEqual({ ok: true, b64: b64(j.pt) })
    })
    for (let i = 0; i < tampered.length; i++) expect(out[jobs.length + i]?.ok).toBe(false)
    expect(out[jobs.length + tampered.length]?.ok).toBe(false)
  }))

  test("python encrypt → TS decrypt; TS rejects python tokens under the wrong key", () => withSeed((seed) => {
    const cases = fc.sample(fc.uint8Array({ maxLength: 200 }), { numRuns: 40, seed })
    const myKey = generateKey()
    const out = py(PY_ENCRYPT, cases.map((pt, i) => ({ b64: b64(pt), ...(i % 2 === 0 ? { key: myKey } : {}) }))) as Array<{
      key: string
      token: string
    }>
    out.forEach((o, i) => {
      const r = decrypt(o.key, o.token, { ttlSeconds: 60 })
      expect(r.ok).toBe(true)
      if (r.ok) {
        expect(b64(r.plaintext)).toBe(b64(cases[i] ?? new Uint8Array(0)))
        expect(Math.abs(r.timestamp - Date.now() / 1000)).toBeLessThan(30)
      }
      if (i % 2 === 1) expect(decrypt(myKey, o.token).ok).toBe(false)
    })
  }))
})
