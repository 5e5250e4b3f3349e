// bun run simulate-miners --count N --protocol dendrite|fiber --port-base P
//                         --mix honest=0.6,copycat=0.1,... --seed S [--latency honest=800:300,slow=9000:3000]
//                         [--host 127.0.0.1] [--allow <validator ss58>[,<ss58>...]]
// Starts N simulated miners, prints one JSON line per miner, runs until SIGINT/SIGTERM.
import { parseArgs } from "node:util"
import { BEHAVIOURS, isBehaviourName, type LatencySpec, parseMix, type BehaviourName } from "../src/miners/sim/Behaviour.ts"
import { startSimMiners } from "../src/miners/sim/SimMiners.ts"

const usage = `usage: bun run simulate-miners --count N [--protocol dendrite|fiber] [--port-base P (0 = ephemeral)]
  [--mix honest=0.6,fast-junk=0.1,copycat=0.1,slow=0.1,flaky=0.05,malformed=0.03,offline=0.02]
  [--seed S] [--latency behaviour=meanMs:sdMs,...] [--host 127.0.0.1] [--allow ss58,...]
behaviours: ${BEHAVIOURS.join(", ")}`

const parseLatency = (spec: string): Partial<Record<BehaviourName, LatencySpec>> => {
  const out: Partial<Record<BehaviourName, LatencySpec>> = {}
  for (const part of spec.split(",").filter((s) => s.trim() !== "")) {
    const [k, v] = part.split("=")
    const [m, s] = (v ?? "").split(":").map(Number)
    if (k === undefined || !isBehaviourName(k) || m === undefined || !Number.isFinite(m) || m < 0) {
      throw new Error(`bad --latency entry "${part}"`)
    }
    out[k] = { meanMs: m, sdMs: s !== undefined && Number.isFinite(s) ? s : m / 3 }
  }
  return out
}

const main = async () => {
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "8" },
      protocol: { type: "string", default: "dendrite" },
      "port-base": { type: "string", default: "0" },
      mix: { type: "string", default: "honest=1" },
      seed: { type: "string", default: "1" },
      latency: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      allow: { type: "string" },
      help: { type: "boolean", default: false }
    },
    strict: true
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const count = Number(values.count)
  const portBase = Number(values["port-base"])
  const seed = Number(values.seed)
  const protocol = values.protocol
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer\n${usage}`)
  if (!Number.isInteger(portBase) || portBase < 0 || portBase + count > 65535) throw new Error(`bad --port-base\n${usage}`)
  if (!Number.isFinite(seed)) throw new Error(`bad --seed\n${usage}`)
  if (protocol !== "dendrite" && protocol !== "fiber") throw new Error(`--protocol must be dendrite or fiber\n${usage}`)

  const sim = await startSimMiners({
    count,
    protocol,
    portBase,
    mix: parseMix(values.mix),
    seed,
    host: values.host,
    ...(values.latency !== undefined ? { latency: parseLatency(values.latency) } : {}),
    ...(values.allow !== undefined ? { allowedValidators: new Set(values.allow.split(",")) } : {})
  })
  for (const m of sim.miners) {
    console.log(JSON.stringify({ uid: m.uid, hotkey: m.hotkey, ip: m.target.ip, port: m.port, protocol, behaviour: m.behaviour }))
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.error(`[simulate-miners] ${signal}: stopping ${sim.miners.length} miners`)
    void sim.stop().then(() => process.exit(0))
  }
  process.on("SIGINT", () => stop("SIGINT"))
  process.on("SIGTERM", () => stop("SIGTERM"))
  console.error(`[simulate-miners] ${sim.miners.length} ${protocol} miners up; Ctrl-C to stop`)
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e))
  process.exit(1)
})
