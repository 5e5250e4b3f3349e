// Interop oracle: FiberTransport against a minimal *Python* Fiber miner written with `cryptography`
// (stdlib http.server), following the Loosh miner v1.2 wire shape: pydantic-like float timestamp,
// hex RSA-OAEP(SHA-256) key holding the Fernet key text, Fernet challenge/reply, 400 on an unknown key.
// The Python side re-renders the signed message as f"{timestamp}.{nonce}.{ss58}"; the test verifies
// the validator's sr25519 signature over exactly that text. Skips without python3 + cryptography.
import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Subprocess } from "bun"
import { Effect } from "effect"
import { makeFiberTransport } from "../../src/miners/fiber/FiberTransport.ts"
import { devSigner, verifyHotkeySignature } from "../../src/miners/Signer.ts"
import type { HotkeySigner, MinerTarget } from "../../src/domain/Miner.ts"

const hasPyCryptography = (() => {
  try {
    return Bun.spawnSync(["python3", "-c", "import cryptography.fernet"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
  } catch {
    return false
  }
})()
if (!hasPyCryptography) console.warn("[skip] Fiber python miner oracle: python3 with `cryptography` not found")

const MINER = String.raw`
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography.hazmat.primitives.asymmetric import rsa, padding
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.fernet import Fernet, InvalidToken

priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
keys = {}
log = {"messages": [], "signatures": [], "challenges": [], "handshakes": 0}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status); self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        if self.path == "/fiber/public-key": return self.send(200, {"public_key": pem})
        if self.path == "/availability": return self.send(200, {"available": True})
        if self.path == "/debug": return self.send(200, log)
        if self.path == "/forget": keys.clear(); return self.send(200, {})
        self.send(404, {"detail": "Not Found"})
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/fiber/key-exchange":
            p = json.loads(body)
            ts = float(p["timestamp"])  # pydantic float field
            log["messages"].append(f"{ts}.{p['nonce']}.{p['validator_hotkey_ss58']}")
            log["signatures"].append(p["signature"])
            k = priv.decrypt(bytes.fromhex(p["encrypted_symmetric_key"]), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
            keys[(p["validator_hotkey_ss58"], p["symmetric_key_uuid"])] = Fernet(k)
            log["handshakes"] += 1
            return self.send(200, {"success": True, "message": "Symmetric key exchanged"})
        if self.path == "/fiber/challenge":
            f = keys.get((self.headers.get("x-fiber-validator-hotkey-ss58"), self.headers.get("x-fiber-symmetric-key-uuid")))
            if f is None: return self.send(400, {"detail": "Failed to decrypt challenge payload or key expired/invalid."})
            try: c = json.loads(f.decrypt(body, ttl=3600))
            except InvalidToken: return self.send(400, {"detail": "Failed to decrypt challenge payload or key expired/invalid."})
            log["challenges"].append(c)
            r = {"response_text": "py says: " + (c.get("prompt") or ""), "response_time_ms": 3, "tool_calls": None,
                 "finish_reason": "stop", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, "metadata": {}}
            return self.send(200, f.encrypt(json.dumps(r).encode()), "application/octet-stream")
        self.send(404, {"detail": "Not Found"})

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined
let port = 0
let validator: HotkeySigner

beforeAll(async () => {
  validator = await devSigner("//FiberValidator")
  if (!hasPyCryptography) return
  proc = Bun.spawn(["python3", "-c", MINER], { stdin: "ignore", stdout: "pipe", stderr: "pipe" })
  const reader = proc.stdout.getReader()
  const { value } = await Promise.race([
    reader.read(),
    Bun.sleep(10_000).then(() => ({ value: undefined }))
  ])
  reader.releaseLock()
  port = Number(new TextDecoder().decode(value ?? new Uint8Array()).trim())
  if (!(port > 0)) throw new Error("python miner did not start")
}, 15_000)

afterAll(() => {
  proc?.kill()
})

test.skipIf(!hasPyCryptography)("client ↔ Python Fiber miner: handshake, signature over Python's message, re-handshake on 400", async () => {
  const t = makeFiberTransport({ signer: validator })
  const tg: MinerTarget = { uid: 1, hotkey: "5PythonMiner", ip: "127.0.0.1", port }
  const a = await Effect.runPromise(t.query(tg, {
    challengeId: "c1",
    prompt: "hello",
    messages: [{ role: "user", content: "hello" }],
    model: null,
    max_tokens: null,
    temperature: null,
    top_p: null,
    tools: [],
    tool_choice: null
  }, 5_000))
  expect(a.responseText).toBe("py says: hello")
  expect(a.toolCalls).toEqual([])
  expect(a.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 })

  // the miner forgets keys (restart) and answers 400 like the v1.2 reference → one re-handshake
  await fetch(`http://127.0.0.1:${port}/forget`)
  const b = await Effect.runPromise(t.query(tg, {
    challengeId: "c2",
    prompt: "again",
    messages: [],
    model: null,
    max_tokens: null,
    temperature: null,
    top_p: null,
    tools: [],
    tool_choice: null
  }, 5_000))
  expect(b.responseText).toBe("py says: again")

  const log = (await (await fetch(`http://127.0.0.1:${port}/debug`)).json()) as {
    messages: Array<string>
    signatures: Array<string>
    challenges: Array<Record<string, unknown>>
    handshakes: number
  }
  expect(log.handshakes).toBe(2)
  expect(log.messages).toHaveLength(2)
  log.messages.forEach((m, i) => {
    expect(m.endsWith(`.${validator.ss58}`)).toBe(true)
    expect(verifyHotkeySignature(m, log.signatures[i] ?? "", validator.ss58)).toBe(true)
  })
  expect(log.challenges[0]).toMatchObject({ id: "c1", prompt: "hello" })
  expect(log.challenges[1]).toMatchObject({ id: "c2", prompt: "again" })
}, 20_000)
