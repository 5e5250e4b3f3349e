// Starts N simulated miners on 127.0.0.1: real HTTP servers (bittensor axon, or the Fiber front)
// driven by seeded behaviours. Offline miners get a port where nothing listens.
import type { KeyringPair } from "@polkadot/keyring/types"
import { generateKeyPairSync } from "node:crypto"
import { pairFromUri } from "../Signer.ts"
import type { MinerTarget } from "../../domain/Miner.ts"
import { startFiberMiner } from "./FiberServer.ts"
import { startAxon } from "./AxonServer.ts"
import {
  AnswerBoard,
  type BehaviourName,
  type BehaviourOptions,
  type LatencySpec,
  makeSimBrains,
  type Mix
} from "./Behaviour.ts"
import type { CorpusFile } from "../../challenges/Corpus.ts"
import type { SimAction, SimHandler, SimRequest } from "./SimAction.ts"

export interface SimMinersOptions {
  readonly count: number
  readonly protocol: "dendrite" | "fiber"
  /** First port (uid i listens on portBase + i); 0 = ephemeral ports. */
  readonly portBase?: number
  readonly mix: Mix
  readonly seed: number
  readonly latency?: Partial<Record<BehaviourName, LatencySpec>>
  readonly host?: string
  /** Axon blacklist: only these validator hotkeys are served (dendrite only). */
  readonly allowedValidators?: ReadonlySet<string>
  readonly corpus?: CorpusFile
  readonly behaviourOptions?: Omit<BehaviourOptions, "uid" | "seed" | "corpus" | "board" | "latency">
  /** Fiber only: one RSA-2048 key for all miners (fast start for large counts). Default: count > 8. */
  readonly fiberShareRsaKey?: boolean
  /** Sees every verified request and what the miner decided (load tests count answers with it). */
  readonly observe?: (uid: number, req: SimRequest, action: SimAction) => void
  /** Sees every response when it is ready, with the miner's own time since the request arrived. */
  readonly replied?: (uid: number, req: SimRequest, action: SimAction, elapsedMs: number) => void
  /** Start only these uids' servers (a shard of the miners, one process each); behaviours stay those of all
   *  `count` miners, so a uid behaves the same whichever process serves it. Default: every uid. */
  readonly only?: (uid: number) => boolean
}

export interface SimMiner {
  readonly uid: number
  readonly hotkey: string
  readonly port: number
  readonly behaviour: BehaviourName
  readonly keypair: KeyringPair
  /** The MinerTarget a transport uses to reach this miner. */
  readonly target: MinerTarget
}

export interface SimMiners {
  readonly miners: ReadonlyArray<SimMiner>
  readonly board: AnswerBoard
  readonly stop: () => Promise<void>
}

/** A port on `host` where nothing listens (bound then released), for offline miners. */
const closedPort = (host: string): number => {
  const l = Bun.listen({ hostname: host, port: 0, socket: { data() {} } })
  const port = l.port
  l.stop(true)
  return port
}

/** Derives the miner hotkeys deterministically from the seed: `//SimMiner/{seed}/{uid}`. */
export const simMinerUri = (seed: number, uid: number) => `//SimMiner/${seed}/${uid}`

export const startSimMiners = async (o: SimMinersOptions): Promise<SimMiners> => {
  const host = o.host ?? "127.0.0.1"
  const portBase = o.portBase ?? 0
  const board = new AnswerBoard()
  const brains = makeSimBrains({
    count: o.count,
    mix: o.mix,
    seed: o.seed,
    board,
    ...(o.latency !== undefined ? { latency: o.latency } : {}),
    ...(o.corpus !== undefined ? { corpus: o.corpus } : {}),
    ...(o.behaviourOptions !== undefined ? { behaviourOptions: o.behaviourOptions } : {})
  })
  const startFiber = o.protocol === "fiber" ? startFiberMiner : undefined
  const sharedRsaPem = startFiber !== undefined && (o.fiberShareRsaKey ?? o.count > 8)
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    : undefined
  const observed = (uid: number, handler: SimHandler): SimHandler => {
    const observe = o.observe
    if (observe === undefined) return handler
    return async (req) => {
      const action = await handler(req)
      observe(uid, req, action)
      return action
    }
  }
  const replied = o.replied === undefined ? undefined : (uid: number) => (req: SimRequest, action: SimAction, ms: number) => o.replied!(uid, req, action, ms)
  const stops: Array<() => Promise<void> | void> = []
  const miners: Array<SimMiner> = []
  try {
    for (const brain of brains) {
      if (o.only !== undefined && !o.only(brain.uid)) continue
      const keypair = await pairFromUri(simMinerUri(o.seed, brain.uid))
      const wanted = portBase === 0 ? 0 : portBase + brain.uid
      let port: number
      if (brain.behaviour === "offline") {
        port = wanted === 0 ? closedPort(host) : wanted
      } else if (startFiber !== undefined) {
        const h = await startFiber({
          keypair,
          host,
          port: wanted,
          handler: observed(brain.uid, brain.handler),
          ...(replied === undefined ? {} : { onReplied: replied(brain.uid) }),
          ...(o.allowedValidators !== undefined ? { allowedValidators: [...o.allowedValidators] } : {}),
          ...(sharedRsaPem !== undefined ? { rsaPrivateKeyPem: sharedRsaPem } : {})
        })
        stops.push(() => h.stop())
        port = h.port
      } else {
        const h = await startAxon({
          keypair,
          handler: observed(brain.uid, brain.handler),
          ...(replied === undefined ? {} : { onReplied: replied(brain.uid) }),
          host,
          port: wanted,
          ...(o.allowedValidators !== undefined ? { allowedValidators: o.allowedValidators } : {})
        })
        stops.push(h.stop)
        port = h.port
      }
      miners.push({
        uid: brain.uid,
        hotkey: keypair.address,
        port,
        behaviour: brain.behaviour,
        keypair,
        target: { uid: brain.uid, hotkey: keypair.address, ip: host, port }
      })
    }
  } catch (e) {
    await Promise.allSettled(stops.map((s) => s()))
    throw e
  }
  return {
    miners,
    board,
    stop: async () => {
      await Promise.allSettled(stops.map((s) => s()))
    }
  }
}
