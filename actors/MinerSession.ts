// One actor per miner UID: owns the miner's target, sends it queries through the MinerTransport, and keeps
// its availability from REAL answers (answered / asked over a sliding window), not from /availability pings,
// and its load: the queries in flight to it across rounds (seed 003's load balancing reads it).
import { Clock, Deferred, Effect, FiberSet, Ref, Semaphore } from "effect"
import type { Scope } from "effect"
import type { MinerError, MinerTransport } from "../src/miners/Transport.ts"
import type { InferenceReply, InferenceRequest } from "../src/domain/Inference.ts"
import type { MinerTarget } from "../src/domain/Miner.ts"
import * as Actor from "./internal/Actor.ts"

/** Ask the miner one inference request; the reply slot receives the answer or the typed MinerError. */
export class Query {
  readonly _tag = "Query"
  constructor(
    readonly request: InferenceRequest,
    readonly timeoutMs: number,
    readonly reply: Deferred.Deferred<InferenceReply, MinerError>
  ) {}
}
/** Probe GET /availability (does not count toward the answer window). */
export class Probe {
  readonly _tag = "Probe"
  constructor(readonly timeoutMs: number) {}
}
export type Msg = Query | Probe

export interface Stats {
  readonly asked: number
  readonly answered: number
  /** Outcomes of the last `window` queries, newest last (true = valid answer). */
  readonly recent: ReadonlyArray<boolean>
  readonly lastAnswerAt: number | null
  readonly lastProbeOk: boolean | null
  /** Queries asked and not yet answered (queued or running), across rounds. */
  readonly inFlight: number
}

export interface MinerSession {
  readonly uid: number
  readonly target: MinerTarget
  readonly ref: Actor.ActorRef<Msg>
  readonly stats: Effect.Effect<Stats>
  /** Answered / asked over the recent window; 1 before the first query (no evidence against it). */
  readonly availability: Effect.Effect<number>
  /** Sends one query and waits for its outcome (the transport enforces the deadline). */
  readonly query: (request: InferenceRequest, timeoutMs: number) => Effect.Effect<InferenceReply, MinerError | Actor.AskTimeout | Actor.MailboxClosed>
}

export interface Options {
  readonly window?: number
  /** Queries in flight to this miner at once (each reply is still measured individually). */
  readonly maxInFlight?: number
  readonly mailbox?: number
}

/** Defaults: the answer window, queries in flight per miner, the mailbox, and the ask margin over the deadline. */
export const SESSION_DEFAULTS = { window: 50, maxInFlight: 4, mailbox: 64, askMarginMs: 5_000 } as const

export const availabilityOf = (s: Pick<Stats, "recent">): number =>
  s.recent.length === 0 ? 1 : s.recent.filter((x) => x).length / s.recent.length

export const make = (
  target: MinerTarget,
  transport: MinerTransport,
  options: Options = {}
): Effect.Effect<MinerSession, never, Scope.Scope> =>
  Effect.gen(function* () {
    const window = options.window ?? SESSION_DEFAULTS.window
    const stats = yield* Ref.make<Omit<Stats, "inFlight">>({ asked: 0, answered: 0, recent: [], lastAnswerAt: null, lastProbeOk: null })
    const load = yield* Ref.make(0)
    const inFlight = yield* Semaphore.make(options.maxInFlight ?? SESSION_DEFAULTS.maxInFlight)
    const running = yield* FiberSet.make<void, never>()
    const record = (ok: boolean) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(stats, (s) => ({
          asked: s.asked + 1,
          answered: s.answered + (ok ? 1 : 0),
          recent: [...s.recent, ok].slice(-window),
          lastAnswerAt: ok ? now : s.lastAnswerAt,
          lastProbeOk: s.lastProbeOk
        }))
      )

    const handle = (msg: Msg): Effect.Effect<void> => {
      if (msg._tag === "Probe") {
        return transport.availability(target, msg.timeoutMs).pipe(
          Effect.result,
          Effect.flatMap((r) => Ref.update(stats, (s) => ({ ...s, lastProbeOk: r._tag === "Success" ? r.success : false })))
        )
      }
      // Each query runs in its own fiber (bounded per miner) so a slow miner answer never blocks the mailbox.
      const run = transport.query(target, msg.request, msg.timeoutMs).pipe(
        Effect.exit,
        Effect.tap((exit) => record(exit._tag === "Success")),
        Effect.flatMap((exit) => Deferred.done(msg.reply, exit)),
        inFlight.withPermits(1)
      )
      return FiberSet.run(running, run).pipe(Effect.asVoid)
    }

    const ref = yield* Actor.make<Msg, never, never>(
      { name: `miner-${target.uid}`, capacity: options.mailbox ?? SESSION_DEFAULTS.mailbox },
      handle
    )
    return {
      uid: target.uid,
      target,
      ref,
      stats: Effect.map(Effect.all([Ref.get(stats), Ref.get(load)]), ([s, inFlight]) => ({ ...s, inFlight })),
      availability: Ref.get(stats).pipe(Effect.map(availabilityOf)),
      query: (request: InferenceRequest, timeoutMs: number) =>
        // the ask deadline is the transport deadline plus a margin for queueing in the mailbox; the load counts
        // the query from the ask until its outcome (or the ask's timeout / interruption)
        Ref.update(load, (n) => n + 1).pipe(
          Effect.andThen(
            Actor.ask(ref, (reply: Deferred.Deferred<InferenceReply, MinerError>) => new Query(request, timeoutMs, reply), timeoutMs + SESSION_DEFAULTS.askMarginMs)
          ),
          Effect.ensuring(Ref.update(load, (n) => Math.max(0, n - 1)))
        )
    }
  }).pipe(Effect.annotateLogs({ uid: target.uid, hotkey: target.hotkey }))
