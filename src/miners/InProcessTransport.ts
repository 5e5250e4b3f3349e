// A MinerTransport that calls simulated miner brains directly (no sockets), for load tests with
// thousands of miner actors. Delays go through Effect's clock (Effect.sleep), so TestClock drives
// them; SimActions map to the same InferenceReply / MinerError outcomes as the HTTP dendrite path.
import { Clock, Effect } from "effect"
import { decodeReplyBody } from "./InferenceSynapse.ts"
import type { SimBrain } from "./sim/Behaviour.ts"
import type { SimHandler } from "./sim/SimAction.ts"
import { MinerError, type MinerTransport } from "./Transport.ts"
import { type InferenceRequest, type MinerFailure } from "../domain/Inference.ts"
import { type MinerTarget } from "../domain/Miner.ts"

export const DEFAULT_IN_PROCESS_MAX_BODY_BYTES = 4 * 1024 * 1024

export interface InProcessMiner {
  readonly handler: SimHandler
  /** false = offline: queries and probes fail with ConnectError (503). */
  readonly online: boolean
}

export interface InProcessOptions {
  /** Finds the simulated miner behind a target (by uid or hotkey); undefined = nothing listens. */
  readonly lookup: (target: MinerTarget) => InProcessMiner | undefined
  /** The validator hotkey the miners see. */
  readonly validatorHotkey: string
  readonly maxBodyBytes?: number
}

/** Fake, unique hotkey for an in-process miner. */
export const inProcessHotkey = (uid: number) => `sim-miner-${uid}`

/** Targets and a lookup for a set of brains (offline brains are registered as not online). */
export const inProcessFromBrains = (brains: ReadonlyArray<SimBrain>) => {
  const byUid = new Map<number, InProcessMiner>(
    brains.map((b) => [b.uid, { handler: b.handler, online: b.behaviour !== "offline" }])
  )
  const targets: Array<MinerTarget> = brains.map((b) => ({
    uid: b.uid,
    hotkey: inProcessHotkey(b.uid),
    ip: "in-process",
    port: 0
  }))
  return { targets, lookup: (t: MinerTarget) => byUid.get(t.uid) }
}

const statusOf: Record<MinerFailure, number> = {
  ConnectError: 503,
  Timeout: 408,
  Unparsable: 422,
  BodyTooLarge: 413,
  Unauthorized: 401,
  HttpStatus: 500,
  ProtocolError: 400,
  ReplyRejected: 422
}

export const makeInProcessTransport = (o: InProcessOptions): MinerTransport => {
  const maxBytes = o.maxBodyBytes ?? DEFAULT_IN_PROCESS_MAX_BODY_BYTES
  const fail = (t: MinerTarget, reason: MinerFailure, message: string, latencyMs: number | null, status?: number) =>
    Effect.fail(
      new MinerError({ uid: t.uid, hotkey: t.hotkey, reason, status: status ?? statusOf[reason], message, latencyMs })
    )

  const query = (target: MinerTarget, request: InferenceRequest, timeoutMs: number) =>
    Effect.gen(function*() {
      const t0 = yield* Clock.currentTimeMillis
      const elapsed = Effect.map(Clock.currentTimeMillis, (t) => t - t0)
      const miner = o.lookup(target)
      if (miner === undefined || !miner.online) {
        return yield* fail(target, "ConnectError", "connection refused (simulated miner offline)", null)
      }
      const { challengeId, ...rest } = request
      const action = yield* Effect.promise(() =>
        miner.handler({ validatorHotkey: o.validatorHotkey, request: { ...rest, challengeId } })
      )
      const timeout = Effect.andThen(
        Effect.sleep(timeoutMs),
        fail(target, "Timeout", `no complete answer within ${timeoutMs} ms`, null)
      )
      /** Deliver `body` with `status` after `ms`, through the same checks as the HTTP path. */
      const deliver = (ms: number, status: number, body: string | Uint8Array) =>
        ms > timeoutMs ? timeout : Effect.gen(function*() {
          yield* Effect.sleep(Math.max(0, ms))
          const latencyMs = yield* elapsed
          const size = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength
          if (size > maxBytes) {
            return yield* fail(target, "BodyTooLarge", `reply exceeded cap of ${maxBytes} bytes`, null)
          }
          const text = typeof body === "string" ? body : new TextDecoder().decode(body)
          if (status !== 200) {
            return yield* fail(
              target,
              status === 401 ? "Unauthorized" : "HttpStatus",
              `miner answered ${status}`,
              latencyMs,
              status
            )
          }
          return yield* decodeReplyBody(target, text, latencyMs, status)
        })
      switch (action.kind) {
        case "drop":
          return yield* fail(target, "ConnectError", "connection closed without an answer", null)
        case "hang":
          return yield* timeout
        case "reply":
          return yield* deliver(action.delayMs, 200, JSON.stringify(action.reply))
        case "raw":
          return yield* deliver(action.delayMs, action.status, action.body)
        case "slow-body":
          return yield* deliver(action.totalMs, 200, JSON.stringify(action.reply))
      }
    }).pipe(Effect.withSpan("InProcess.query"))

  const availability = (target: MinerTarget, _timeoutMs: number) => {
    const miner = o.lookup(target)
    return miner === undefined || !miner.online
      ? fail(target, "ConnectError", "connection refused (simulated miner offline)", null)
      : Effect.succeed(true)
  }

  return { protocol: "dendrite", query, availability }
}
