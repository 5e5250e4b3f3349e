// Load-test instrumentation (LOAD_PROBE_FILE): wraps the validator's injected parts — miner transport, store,
// embedRound, score — with timers and writes JSON lines that `bun run loadtest` turns into its report:
//   {k:"req",   c, uid, t, at, ms, lat, err}   one miner request: start (ms since the probe started; `at` epoch ms, 0.01 ms), wall
//                                              time around the transport call, the reply's latency, error tag
//   {k:"put",   c, uid, ms}                    storing one answer
//   {k:"round", c, t, ...}                     round events: created, running, embedMs, scoreMs, evalMs, done
//   {k:"sample",t, rss, heap, lagMax, lagP99, gauges}  every second: memory, event-loop lag (timer drift, 20 ms
//                                              tick) and the registered gauges (bounded caches' fill)
// Nothing here changes behaviour: every wrapped call returns what the original returns. Without
// LOAD_PROBE_FILE the `LoadProbe` service's wrappers are the identity.
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import { wrapStore } from "../store/wrapStore.ts"

export interface LoadProbeShape {
  readonly transport: (t: MinerTransport) => MinerTransport
  readonly store: (s: StoreShape) => StoreShape
  readonly embedRound: <E>(f: (r: RoundInput) => Effect.Effect<RoundEmbeddings, E>) => (r: RoundInput) => Effect.Effect<RoundEmbeddings, E>
  readonly score: <E>(f: (r: RoundInput, e: RoundEmbeddings) => Effect.Effect<RoundResult, E>) => (r: RoundInput, e: RoundEmbeddings) => Effect.Effect<RoundResult, E>
  /** A number sampled every second beside RSS (e.g. a bounded cache's fill), written in the sample's `gauges`. */
  readonly gauge: (name: string, read: () => number | Promise<number>) => void
}

const TICK_MS = 20

export const makeLoadProbe = (path: string): Effect.Effect<LoadProbeShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const t0 = performance.now()
    const since = () => Math.round((performance.now() - t0) * 10) / 10
    const sink = Bun.file(path).writer({ highWaterMark: 1 << 20 })
    const write = (o: Record<string, unknown>) => {
      sink.write(JSON.stringify(o) + "\n")
    }
    // event-loop lag: how late a 20 ms timer fires, summarized every second
    let lags: Array<number> = []
    let expected = performance.now() + TICK_MS
    const tick = setInterval(() => {
      const now = performance.now()
      lags.push(Math.max(0, now - expected))
      expected = now + TICK_MS
    }, TICK_MS)
    // gauges: the last value each read gave (an async read lands in a later sample)
    const gauges = new Map<string, () => number | Promise<number>>()
    const lastGauge: Record<string, number> = {}
    const sample = setInterval(() => {
      for (const [name, read] of gauges) {
        try {
          const v = read()
          if (typeof v === "number") lastGauge[name] = v
          else v.then((x) => (lastGauge[name] = x), () => undefined)
        } catch {
          // a gauge that cannot be read is left out of this sample
        }
      }
      const m = process.memoryUsage()
      const sorted = lags.sort((a, b) => a - b)
      write({
        k: "sample",
        t: since(),
        rss: m.rss,
        heap: m.heapUsed,
        lagMax: sorted[sorted.length - 1] ?? 0,
        lagP99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
        ...(gauges.size === 0 ? {} : { gauges: { ...lastGauge } })
      })
      lags = []
      void sink.flush()
    }, 1000)
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        clearInterval(tick)
        clearInterval(sample)
        await sink.end()
      })
    )

    const timed = <A, E, R>(eff: Effect.Effect<A, E, R>, done: (ms: number, ok: A | null) => void) =>
      Effect.suspend(() => {
        const s = performance.now()
        return eff.pipe(
          Effect.onExit((exit) => Effect.sync(() => done(performance.now() - s, exit._tag === "Success" ? exit.value : null)))
        )
      })

    const transport = (t: MinerTransport): MinerTransport => ({
      ...t,
      query: (target, request, timeoutMs) => {
        const start = since()
        // epoch ms with sub-ms precision: the miner process stamps its side on the same clock
        const at = Math.round((performance.timeOrigin + performance.now()) * 100) / 100
        return t.query(target, request, timeoutMs).pipe(
          Effect.tapError((e) => Effect.sync(() => write({ k: "req", c: request.challengeId, uid: target.uid, t: start, at, ms: since() - start, err: e.reason }))),
          Effect.tap((r) => Effect.sync(() => write({ k: "req", c: request.challengeId, uid: target.uid, t: start, at, ms: since() - start, lat: r.latencyMs })))
        )
      }
    })

    const store = (s: StoreShape): StoreShape =>
      wrapStore(s, {
        putChallenge: ([c], call) => call.pipe(Effect.tap(() => Effect.sync(() => write({ k: "round", c: c.id, t: since(), ev: "created" })))),
        setChallengeStatus: ([id, status], call) => call.pipe(Effect.tap(() => Effect.sync(() => write({ k: "round", c: id, t: since(), ev: status })))),
        putResponse: ([c, r], call) => timed(call, (ms) => write({ k: "put", c, uid: r.uid, ms, ok: r.error === undefined })),
        putEvaluation: ([result], call) => timed(call, (ms) => write({ k: "round", c: result.roundId, t: since(), ev: "stored", ms }))
      })

    const embedRound = <E>(f: (r: RoundInput) => Effect.Effect<RoundEmbeddings, E>) => (r: RoundInput) =>
      timed(f(r), (ms) => write({ k: "round", c: r.id, t: since(), ev: "embedded", ms, n: r.responses.length }))

    const score = <E>(f: (r: RoundInput, e: RoundEmbeddings) => Effect.Effect<RoundResult, E>) => (r: RoundInput, e: RoundEmbeddings) =>
      Effect.suspend(() => {
        const s = performance.now()
        return f(r, e).pipe(
          Effect.tap((out) =>
            Effect.sync(() => write({ k: "round", c: r.id, t: since(), ev: "scored", ms: performance.now() - s, rewards: out.miners.map((m) => [m.uid, m.reward]) }))
          )
        )
      })
    return { transport, store, embedRound, score, gauge: (name: string, read: () => number | Promise<number>) => void gauges.set(name, read) }
  })

/** No probe: every part is returned as it is. */
export const noProbe: LoadProbeShape = { transport: (t) => t, store: (s) => s, embedRound: (f) => f, score: (f) => f, gauge: () => undefined }

export class LoadProbe extends Context.Service<LoadProbe, LoadProbeShape>()("quorum/app/LoadProbe") {
  /** LOAD_PROBE_FILE set: the probe writes its JSON lines there (closed with the layer); unset: no probe. */
  static readonly layer = Layer.effect(
    LoadProbe,
    Effect.flatMap(Effect.service(AppConfig), (config) => (config.LOAD_PROBE_FILE === undefined ? Effect.succeed(noProbe) : makeLoadProbe(config.LOAD_PROBE_FILE)))
  )
  static readonly none = Layer.succeed(LoadProbe, noProbe)
}
