// The load test's baseline client (started by scripts/loadtest.ts once the warm-up is over): the validator's own
// miner transport (Fiber or dendrite, same signer, same timeouts) alone in its own process, sending bursts of
// challenges to the spare miners of the same miner process while the validator runs. Whatever latency it sees
// beyond the miners' own time is the floor this machine sets (kernel, the miner process, two processes on the
// same cores), measured in the same run as the validator. It first sends one unrecorded challenge to every spare
// miner (their handshakes), then one JSON line per request (--out, the probe's "req" shape); SIGTERM stops the
// bursts, waits for the requests in flight, flushes and exits.
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import { LOCALNET_VALIDATOR_URI } from "../../src/chain/Localnet.ts"
import type { InferenceRequest } from "../../src/domain/Inference.ts"
import type { MinerTarget } from "../../src/domain/Miner.ts"
import { makeDendriteTransport } from "../../src/miners/Dendrite.ts"
import { makeFiberTransport } from "../../src/miners/fiber/FiberTransport.ts"
import { devSigner } from "../../src/miners/Signer.ts"
import type { CorpusFile } from "../../src/challenges/Corpus.ts"

const { values } = parseArgs({
  options: {
    list: { type: "string" },
    corpus: { type: "string" },
    out: { type: "string" },
    per: { type: "string", default: "16" },
    "interval-ms": { type: "string", default: "4000" },
    timeout: { type: "string", default: "12" },
    seed: { type: "string", default: "1" }
  },
  strict: true
})
if (values.list === undefined || values.corpus === undefined || values.out === undefined) throw new Error("--list, --corpus and --out are required")
const list = JSON.parse(readFileSync(values.list, "utf8")) as { protocol: "fiber" | "dendrite"; miners: Array<MinerTarget> }
const corpus = JSON.parse(readFileSync(values.corpus, "utf8")) as CorpusFile
const per = Math.min(list.miners.length, Math.max(1, Math.floor(Number(values.per))))
const intervalMs = Math.max(100, Number(values["interval-ms"]))
const timeoutMs = Number(values.timeout) * 1000
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error("--timeout must be a positive number of seconds")

const signer = await devSigner(LOCALNET_VALIDATOR_URI)
const transport = list.protocol === "fiber" ? makeFiberTransport({ signer }) : makeDendriteTransport({ signer })
const sink = Bun.file(values.out).writer({ highWaterMark: 1 << 16 })
const t0 = performance.now()
let rng = Number(values.seed) >>> 0 || 1
const next = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) / 4294967296)
const inFlight = new Set<Promise<void>>()

const request = (challengeId: string): InferenceRequest => {
  const e = corpus.entries[Math.floor(next() * corpus.entries.length)]!
  return { challengeId, prompt: e.prompt, messages: [{ role: "user", content: e.prompt }], model: null, max_tokens: null, temperature: null, top_p: null, tools: [], tool_choice: null }
}

const burst = () => {
  const c = `baseline-${crypto.randomUUID()}`
  const req = request(c)
  const targets = [...list.miners].map((m) => [next(), m] as const).sort((a, b) => a[0] - b[0]).slice(0, per).map(([, m]) => m)
  for (const target of targets) {
    const start = performance.now() - t0
    const at = Math.round((performance.timeOrigin + performance.now()) * 100) / 100
    const outcome = transport.query(target, req, timeoutMs).pipe(
      Effect.match({ onSuccess: (r) => ({ lat: r.latencyMs }), onFailure: (e) => ({ err: e.reason }) })
    )
    const p = Effect.runPromise(outcome).then((o) => {
      sink.write(JSON.stringify({ k: "req", c, uid: target.uid, t: start, at, ms: performance.now() - t0 - start, ...o }) + "\n")
    })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  }
}

// warm-up, not recorded: one challenge to every spare miner first, so the measured bursts find their sessions
// (handshakes) in place, as the validator's requests after its own warm-up do
const warmStart = performance.now()
await Promise.all(list.miners.map((target) => Effect.runPromise(Effect.ignore(transport.query(target, request(`baseline-warmup-${crypto.randomUUID()}`), timeoutMs)))))
console.log(JSON.stringify({ baseline: true, miners: list.miners.length, per, interval_ms: intervalMs, warmup_ms: Math.round(performance.now() - warmStart) }))
const timer = setInterval(burst, intervalMs)
burst()
let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  void Promise.allSettled([...inFlight])
    .then(() => sink.end())
    .then(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
