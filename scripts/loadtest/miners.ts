// The load test's miner process (started by scripts/loadtest.ts): N simulated miners as real HTTP servers
// (dendrite axons or Fiber fronts) answering from real LLM answers (alpacaeval-dev) with latencies those
// answers' lengths imply. Writes the miner list for the validator (--list) and one JSON line per request a
// miner handled (--served: challenge id, uid, what it did, its own delay, answer length). With --spare N, N more
// honest miners the validator is not told about (--spare-list) serve the baseline client. With --shards N --shard K
// this process serves only the uids u with u % N = K (of both sets): the load test runs N such processes, as the
// miners of a subnet are separate machines rather than one event loop taking a burst's requests one by one.
// SIGTERM flushes and exits.
import { writeFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { LOCALNET_VALIDATOR_URI } from "../../src/chain/Localnet.ts"
import { ALPACA_DIR, hasAlpaca, latencyFromLengths, loadAlpaca } from "../../src/miners/sim/AlpacaCorpus.ts"
import { parseMix } from "../../src/miners/sim/Behaviour.ts"
import type { SimAction, SimRequest } from "../../src/miners/sim/SimAction.ts"
import { startSimMiners } from "../../src/miners/sim/SimMiners.ts"
import { pairFromUri } from "../../src/miners/Signer.ts"
import { SPARE_UID_BASE } from "./probes.ts"

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "256" },
    protocol: { type: "string", default: "fiber" },
    mix: { type: "string", default: "honest=70,fast-junk=10,copycat=10,slow=5,flaky=5" },
    seed: { type: "string", default: "1" },
    list: { type: "string" },
    served: { type: "string" },
    // honest miners the validator is not told about, for the baseline client (scripts/loadtest/baseline.ts)
    spare: { type: "string", default: "0" },
    "spare-list": { type: "string" },
    "chars-per-second": { type: "string", default: "400" },
    shard: { type: "string", default: "0" },
    shards: { type: "string", default: "1" }
  },
  strict: true
})
const count = Number(values.count)
const protocol = values.protocol
if (!Number.isInteger(count) || count < 1) throw new Error("--count must be a positive integer")
if (protocol !== "fiber" && protocol !== "dendrite") throw new Error("--protocol must be fiber or dendrite")
if (values.list === undefined || values.served === undefined) throw new Error("--list and --served are required")
if (!hasAlpaca()) throw new Error(`alpacaeval-dev not found at ${ALPACA_DIR}: the load test needs real answers`)
const seed = Number(values.seed)
const spare = Number(values.spare)
if (!Number.isInteger(spare) || spare < 0) throw new Error("--spare must be a non-negative integer")
if (spare > 0 && values["spare-list"] === undefined) throw new Error("--spare needs --spare-list")
const shards = Number(values.shards)
const shard = Number(values.shard)
if (!Number.isInteger(shards) || shards < 1) throw new Error("--shards must be a positive integer")
if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new Error("--shard must be an integer in 0..shards-1")
const mine = (uid: number) => uid % shards === shard

const alpaca = loadAlpaca()
const answerLatency = latencyFromLengths(alpaca.lengths, Number(values["chars-per-second"]))
const validator = await pairFromUri(LOCALNET_VALIDATOR_URI)
const sink = Bun.file(values.served).writer({ highWaterMark: 1 << 20 })
let served = 0
const seq = new WeakMap<object, number>()
const delayOf = (a: SimAction) => (a.kind === "reply" || a.kind === "raw" ? a.delayMs : a.kind === "slow-body" ? a.totalMs : null)

const observe = (uid: number, req: SimRequest, action: SimAction) => {
  const text = action.kind === "reply" || action.kind === "slow-body" ? action.reply.response_text : ""
  const n = ++served
  seq.set(req, n)
  sink.write(JSON.stringify({ n, c: req.request.challengeId ?? null, uid, kind: action.kind, delay: delayOf(action), chars: text.length, at: Date.now() }) + "\n")
}
// the miner's own time from the request's arrival to a ready response (its planned delay + this process's
// lateness), joined to the line above by n; `start`/`end`: the handler's start and the ready response in epoch
// ms (0.01 ms, the clock the validator's probe stamps its requests with)
const replied = (req: SimRequest, ms: number) => {
  const n = seq.get(req)
  const end = performance.timeOrigin + performance.now()
  const r2 = (x: number) => Math.round(x * 100) / 100
  if (n !== undefined) sink.write(JSON.stringify({ n, ready: Math.round(ms * 10) / 10, start: r2(end - ms), end: r2(end) }) + "\n")
}
const common = {
  protocol,
  corpus: alpaca.corpus,
  allowedValidators: new Set([validator.address])
} as const
const sim = await startSimMiners({
  ...common,
  count,
  mix: parseMix(values.mix),
  seed,
  // honest, copycat and flaky miners generate like an LLM server; slow ones keep their own (long) profile
  latency: { honest: answerLatency, copycat: answerLatency, flaky: answerLatency },
  observe,
  replied: (_uid, req, _action, ms) => replied(req, ms),
  only: mine
})
// the baseline's miners: honest, in this same process, their served lines under uids from SPARE_UID_BASE
const spareSim = spare === 0
  ? null
  : await startSimMiners({
      ...common,
      count: spare,
      mix: parseMix("honest=100"),
      seed: seed + 1_000_000,
      latency: { honest: answerLatency },
      observe: (uid, req, action) => observe(SPARE_UID_BASE + uid, req, action),
      replied: (_uid, req, _action, ms) => replied(req, ms),
      only: mine
    })
if (spareSim !== null) {
  writeFileSync(values["spare-list"]!, JSON.stringify({ protocol, miners: spareSim.miners.map((m) => ({ uid: SPARE_UID_BASE + m.uid, hotkey: m.hotkey, ip: m.target.ip, port: m.port })) }))
}
const flush = setInterval(() => void sink.flush(), 500)
// this process's own stalls (its event loop blocked ≥ STALL_MS by whatever it is doing; its heap collections
// log far shorter cycles): requests that reach it meanwhile wait, and the report keeps that wait apart from the
// validator's overhead
const STALL_MS = 20
let tick = performance.timeOrigin + performance.now()
const stallWatch = setInterval(() => {
  const now = performance.timeOrigin + performance.now()
  if (now - tick >= STALL_MS + 5) sink.write(JSON.stringify({ stall: { from: Math.round(tick * 100) / 100, to: Math.round(now * 100) / 100 } }) + "\n")
  tick = now
}, 5)
writeFileSync(
  values.list,
  JSON.stringify({
    protocol,
    seed,
    latency: answerLatency,
    miners: sim.miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey, ip: m.target.ip, port: m.port, behaviour: m.behaviour }))
  })
)
console.log(JSON.stringify({ ready: true, shard, shards, miners: sim.miners.length, latency: answerLatency }))

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  clearInterval(flush)
  clearInterval(stallWatch)
  void Promise.resolve(sink.end())
    .then(() => Promise.all([sim.stop(), spareSim?.stop()]))
    .then(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
