// bun run localnet [--miners N] [--port P] [--tempo T] [--axon ip:port ...] [--validator-axon ip:port]
//                  [--block-ms MS] [--json]
// Starts the real subtensor runtime (spec 293, ../shared/fixtures/subtensor) under chopsticks on
// 127.0.0.1, creates a subnet, registers the validator (uid 0, staked, validator permit) and N miner
// hotkeys, serves the miners' axons (--axon addresses in order), prints the endpoint, netuid and keys
// (one JSON line with --json), builds a block every --block-ms (Manual mode; 0 = never), and stops
// cleanly on SIGINT/SIGTERM. Keys are well-known dev derivations (//Alice//quorum-validator,
// //Bob//quorum-miner-i), never use them anywhere else.
import { Effect } from "effect"
import { parseArgs } from "node:util"
import { type AxonAddress, LOCALNET_VALIDATOR_URI, localnetMinerUri, startLocalnet, SubtensorFixtureMissing } from "../src/chain/Localnet.ts"
import { readMetagraph } from "../src/chain/MetagraphRead.ts"

const usage = `usage: bun run localnet [--miners N] [--port P (0 = any)] [--tempo T] [--axon ip:port ...]
  [--validator-axon ip:port] [--block-ms MS (default 1000, 0 = no automatic blocks)] [--json]
  IPv6 axons as [2001:db8::1]:8091. The chain refuses 127.0.0.1 as an axon ip (use e.g. 192.0.2.1).`

const parseAxon = (s: string): AxonAddress => {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s)
  const port = Number(m?.[2])
  if (m === null || m[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`bad axon "${s}" (want ip:port or [ipv6]:port)\n${usage}`)
  }
  return { ip: m[1], port, protocol: 4 }
}

const int = (name: string, v: string, min: number): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}\n${usage}`)
  return n
}

const main = async () => {
  const { values } = parseArgs({
    options: {
      miners: { type: "string", default: "3" },
      port: { type: "string", default: "0" },
      tempo: { type: "string", default: "10" },
      axon: { type: "string", multiple: true, default: [] },
      "validator-axon": { type: "string" },
      "block-ms": { type: "string", default: "1000" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false }
    },
    strict: true
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const miners = int("miners", values.miners, 0)
  const port = int("port", values.port, 0)
  const tempo = int("tempo", values.tempo, 1)
  const blockMs = int("block-ms", values["block-ms"], 0)
  const minerAxons = values.axon.map(parseAxon)
  if (minerAxons.length > miners) throw new Error(`${minerAxons.length} --axon given for ${miners} miners\n${usage}`)
  const validatorAxon = values["validator-axon"] === undefined ? undefined : parseAxon(values["validator-axon"])

  const t0 = performance.now()
  const ln = await startLocalnet({
    miners,
    port,
    tempo,
    minerAxons,
    ...(validatorAxon === undefined ? {} : { validatorAxon })
  })
  const mg = await Effect.runPromise(readMetagraph(ln.api, { netuid: ln.netuid }))
  const uidOf = new Map(mg.neurons.map((n) => [n.hotkey, n] as const))
  const info = {
    endpoint: ln.endpoint,
    netuid: ln.netuid,
    tempo: ln.tempo,
    block: mg.block,
    startMs: Math.round(performance.now() - t0),
    validator: {
      uid: uidOf.get(ln.validator.address)?.uid ?? null,
      hotkey: ln.validator.address,
      hotkeyUri: LOCALNET_VALIDATOR_URI,
      coldkey: ln.sudo.address,
      validatorPermit: uidOf.get(ln.validator.address)?.validatorPermit ?? false
    },
    miners: ln.miners.map((m, i) => {
      const n = uidOf.get(m.address)
      return {
        uid: n?.uid ?? null,
        hotkey: m.address,
        hotkeyUri: localnetMinerUri(i),
        coldkey: ln.minerColdkey.address,
        axon: n !== undefined && n.axon.port > 0 ? { ip: n.axon.ip, port: n.axon.port } : null
      }
    })
  }
  if (values.json) console.log(JSON.stringify(info))
  else {
    console.log(`subtensor localnet (spec 293) at ${info.endpoint}, netuid ${info.netuid}, tempo ${tempo}, block ${info.block}`)
    console.log(`validator uid ${info.validator.uid} ${info.validator.hotkey} (${info.validator.hotkeyUri}) permit=${info.validator.validatorPermit}`)
    for (const m of info.miners) {
      console.log(`miner uid ${m.uid} ${m.hotkey} (${m.hotkeyUri}) axon ${m.axon ? `${m.axon.ip}:${m.axon.port}` : "-"}`)
    }
    console.log(blockMs > 0 ? `building a block every ${blockMs} ms; Ctrl-C to stop` : "no automatic blocks; Ctrl-C to stop")
  }

  // Manual block mode: one block at a time, the next `blockMs` after the previous one finished.
  let stopping = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<unknown> = Promise.resolve()
  const tick = () => {
    if (stopping) return
    inFlight = ln.newBlock().catch((e: unknown) => {
      if (!stopping) console.error(`block production failed: ${e instanceof Error ? e.message : String(e)}`)
    })
    void inFlight.then(() => {
      if (!stopping) timer = setTimeout(tick, blockMs)
    })
  }
  if (blockMs > 0) timer = setTimeout(tick, blockMs)

  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    if (timer !== undefined) clearTimeout(timer)
    const force = setTimeout(() => process.exit(1), 5000)
    await inFlight
    await ln.close()
    clearTimeout(force)
    if (!values.json) console.log(`stopped (${signal})`)
    process.exit(0)
  }
  process.on("SIGINT", () => void stop("SIGINT"))
  process.on("SIGTERM", () => void stop("SIGTERM"))
}

main().catch((e: unknown) => {
  console.error(e instanceof SubtensorFixtureMissing ? e.message : e instanceof Error ? e.message : String(e))
  process.exit(e instanceof SubtensorFixtureMissing ? 2 : 1)
})
