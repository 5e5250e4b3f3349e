// The operator console's live state: pause/resume, the last chain status (block, our last update, blocks to
// the activity cutoff), the Yuma consensus and our vtrust estimate per poll, the history of weights, and when
// the last round was scored. Background loops keep it current and feed the Prometheus gauges.
import { Effect, Ref, Schedule } from "effect"
import type { Scope } from "effect"
import type { ChainProbe, ChainStatus } from "../chain/ChainProbe.ts"
import type { Metrics } from "../metrics/Metrics.ts"
import { type Consensus, yumaConsensus } from "../scoring/yuma.ts"

export interface VtrustSample {
  readonly value: number | null
  readonly validators: number
  readonly at: number
}

export interface WeightsSample {
  readonly at: number
  readonly weights: ReadonlyArray<{ readonly uid: number; readonly weight: number }>
}

export interface ConsoleOptions {
  readonly chain: ChainProbe | null
  readonly metrics: Metrics
  readonly now: () => number
  readonly chainPollMs: number
  readonly vtrustPollMs: number
  readonly weights: () => ReadonlyArray<{ readonly uid: number; readonly weight: number }>
  /** Called with each new vtrust estimate (alerts). */
  readonly onVtrust?: (sample: VtrustSample, previous: VtrustSample | null) => Effect.Effect<void>
}

const HISTORY = 240

export const makeConsole = (o: ConsoleOptions) =>
  Effect.gen(function* () {
    const running = yield* Ref.make(true)
    const chain = yield* Ref.make<ChainStatus | null>(null)
    const vtrust = yield* Ref.make<VtrustSample | null>(null)
    const consensus = yield* Ref.make<Consensus | null>(null)
    const stakes = yield* Ref.make<ReadonlyMap<number, number>>(new Map())
    const history = yield* Ref.make<ReadonlyArray<WeightsSample>>([])
    const lastRoundAt = yield* Ref.make<number | null>(null)
    /** When the best block last moved (the watchdog's "no new block" clock). */
    const blockMovedAt = yield* Ref.make<number>(o.now())

    const recordWeights = (weights: WeightsSample["weights"]) =>
      Ref.update(history, (h) => [...h, { at: o.now(), weights }].slice(-HISTORY))

    const pollChain = (probe: ChainProbe) =>
      probe.status.pipe(
        Effect.tap((s) =>
          Effect.gen(function* () {
            const prev = yield* Ref.get(chain)
            if (s.bestBlock !== null && s.bestBlock !== prev?.bestBlock) yield* Ref.set(blockMovedAt, o.now())
            yield* Ref.set(chain, s)
            o.metrics.chainConnected.set(s.connected ? 1 : 0)
            if (s.bestBlock !== null) o.metrics.bestBlock.set(s.bestBlock)
            if (s.blocksSinceUpdate !== null) o.metrics.blocksSinceUpdate.set(s.blocksSinceUpdate)
            if (s.blocksToCutoff !== null) o.metrics.blocksToCutoff.set(s.blocksToCutoff)
          })
        ),
        Effect.catch((e) =>
          Ref.update(chain, (c) => (c === null ? c : { ...c, connected: false, at: o.now() })).pipe(
            Effect.tap(() => Effect.sync(() => o.metrics.chainConnected.set(0))),
            Effect.tap(() => Effect.logWarning("chain status not read", { message: e.message }))
          )
        )
      )

    const pollVtrust = (probe: ChainProbe) =>
      probe.validatorWeights.pipe(
        Effect.tap((rows) =>
          Effect.gen(function* () {
            const c = yumaConsensus(rows)
            const sample: VtrustSample = { value: c.trust.get(probe.ourUid) ?? null, validators: rows.length, at: o.now() }
            const previous = yield* Ref.get(vtrust)
            yield* Ref.set(consensus, c)
            yield* Ref.set(vtrust, sample)
            yield* Ref.set(stakes, yield* probe.stakes)
            if (sample.value !== null) o.metrics.vtrust.set(sample.value)
            yield* Effect.logInfo("vtrust estimate", { vtrust: sample.value === null ? "-" : sample.value.toFixed(4), validators: rows.length })
            if (o.onVtrust !== undefined) yield* o.onVtrust(sample, previous)
          })
        ),
        Effect.catch((e) => Effect.logWarning("vtrust not estimated", { message: e.message }))
      )

    const start: Effect.Effect<void, never, Scope.Scope> = Effect.gen(function* () {
      o.metrics.chainConnected.set(0)
      // suspended: the weights are read at each tick, not once when the loop is built
      yield* Effect.forkScoped(Effect.suspend(() => recordWeights(o.weights())).pipe(Effect.repeat(Schedule.spaced("30 seconds"))))
      const probe = o.chain
      if (probe === null) return
      yield* Effect.forkScoped(pollChain(probe).pipe(Effect.repeat(Schedule.spaced(`${o.chainPollMs} millis`))))
      yield* Effect.forkScoped(pollVtrust(probe).pipe(Effect.delay("3 seconds"), Effect.repeat(Schedule.spaced(`${o.vtrustPollMs} millis`))))
    })

    return {
      start,
      running: Ref.get(running),
      setRunning: (on: boolean) => Ref.set(running, on),
      chain: Ref.get(chain),
      vtrust: Ref.get(vtrust),
      consensus: Ref.get(consensus),
      stakes: Ref.get(stakes),
      history: Ref.get(history),
      recordWeights,
      /** A weights sample after a scored round, at most one per 5 s (the chart's points). */
      sampleWeights: Effect.gen(function* () {
        const h = yield* Ref.get(history)
        const last = h[h.length - 1]
        if (last === undefined || o.now() - last.at >= 5_000) yield* recordWeights(o.weights())
      }),
      lastRoundAt: Ref.get(lastRoundAt),
      roundScored: Ref.set(lastRoundAt, o.now()),
      blockMovedAt: Ref.get(blockMovedAt),
      hasChain: o.chain !== null,
      reconnect: o.chain === null ? Effect.void : o.chain.reconnect,
      pollChainNow: o.chain === null ? Effect.void : pollChain(o.chain)
    }
  })

export type ConsoleState = Effect.Success<ReturnType<typeof makeConsole>>
