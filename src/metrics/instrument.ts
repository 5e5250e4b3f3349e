// Metrics without touching the actors: the validator hands the actors instrumented versions of the store,
// the miner transport, the embedder and the scorer. Stage latencies come from the store's status changes
// (received → running = queue; running → embedding starts = fan-out), the transport (in-flight queries),
// and timing the embed / score / store calls themselves.
import { Effect } from "effect"
import type { MinerTransport } from "../miners/Transport.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import { wrapStore } from "../store/wrapStore.ts"
import type { Metrics } from "./Metrics.ts"

const MAX_TRACKED = 10_000

/** Per-round timestamps (ms) between the stages; bounded so a leak cannot grow it. */
export const makeRoundTracker = () => {
  const received = new Map<string, number>()
  const running = new Map<string, number>()
  const cap = (m: Map<string, number>) => {
    if (m.size > MAX_TRACKED) m.delete(m.keys().next().value as string)
  }
  return {
    received: (id: string, t: number) => {
      received.set(id, t)
      cap(received)
    },
    running: (id: string, t: number): number | null => {
      running.set(id, t)
      cap(running)
      const r = received.get(id)
      received.delete(id)
      return r === undefined ? null : t - r
    },
    /** Fan-out end (scoring starts); null when the round was not seen running (resumed from storage). */
    scoring: (id: string, t: number): number | null => {
      const r = running.get(id)
      return r === undefined ? null : t - r
    },
    done: (id: string) => {
      received.delete(id)
      running.delete(id)
    },
    inFlight: () => running.size
  }
}
export type RoundTracker = ReturnType<typeof makeRoundTracker>

const timed = <A, E>(eff: Effect.Effect<A, E>, record: (seconds: number) => void): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const t0 = performance.now()
    return eff.pipe(Effect.ensuring(Effect.sync(() => record((performance.now() - t0) / 1000))))
  })

export const instrumentStore = (store: StoreShape, m: Metrics, rounds: RoundTracker): StoreShape =>
  wrapStore(store, {
    putChallenge: ([c], call) => call.pipe(Effect.tap(() => Effect.sync(() => rounds.received(c.id, c.now)))),
    setChallengeStatus: ([id, status, now], call) =>
      call.pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            if (status === "running") {
              const queued = rounds.running(id, now)
              if (queued !== null) m.observe("queue", queued / 1000)
            } else if (status === "failed") {
              rounds.done(id)
              m.rounds.inc({ outcome: "skipped" })
            }
          })
        )
      ),
    putResponse: ([, r], call) =>
      timed(call, (s) => m.observe("store", s)).pipe(
        Effect.tap(() => Effect.sync(() => (r.latencyMs === null ? undefined : m.observe("miner", r.latencyMs / 1000))))
      ),
    putEvaluation: ([result], call) =>
      timed(call, (s) => m.observe("store", s)).pipe(Effect.tap(() => Effect.sync(() => rounds.done(result.roundId))))
  })

export const instrumentTransport = (t: MinerTransport, m: Metrics): MinerTransport => ({
  ...t,
  query: (target, request, timeoutMs) =>
    Effect.acquireUseRelease(
      Effect.sync(() => m.inFlightQueries.inc()),
      () => t.query(target, request, timeoutMs),
      () => Effect.sync(() => m.inFlightQueries.dec())
    )
})

export const instrumentEmbed =
  <E>(embed: (round: RoundInput) => Effect.Effect<RoundEmbeddings, E>, m: Metrics, rounds: RoundTracker, now: () => number) =>
  (round: RoundInput): Effect.Effect<RoundEmbeddings, E> =>
    Effect.suspend(() => {
      const fanout = rounds.scoring(round.id, now())
      if (fanout !== null) m.observe("fanout", fanout / 1000)
      const t0 = performance.now()
      return embed(round).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            const s = (performance.now() - t0) / 1000
            const texts = round.responses.length + 1
            m.observe("embed", s)
            m.embeddings.inc(texts)
            if (s > 0) m.embeddingsPerSecond.set(texts / s)
          })
        ),
        // a round whose embedding fails is not scored (the scoring actor logs it)
        Effect.tapError(() => Effect.sync(() => m.rounds.inc({ outcome: "failed" })))
      )
    })

export const instrumentScore =
  <E>(score: (round: RoundInput, emb: RoundEmbeddings) => Effect.Effect<RoundResult, E>, m: Metrics) =>
  (round: RoundInput, emb: RoundEmbeddings): Effect.Effect<RoundResult, E> =>
    Effect.suspend(() => {
      const t0 = performance.now()
      return score(round, emb).pipe(Effect.ensuring(Effect.sync(() => m.observe("score", (performance.now() - t0) / 1000))))
    })

/** Counts a scored round and every answer in it by outcome. */
export const recordScored = (m: Metrics, round: RoundInput, result: RoundResult) => {
  m.rounds.inc({ outcome: "evaluated" })
  const byUid = new Map(result.miners.map((x) => [x.uid, x]))
  for (const r of round.responses) {
    const scored = byUid.get(r.uid)
    const outcome =
      r.error !== undefined ? `error:${r.error}` : scored === undefined ? "unscored" : scored.filtered !== null ? `filtered:${scored.filtered}` : scored.reward > 0 ? "rewarded" : "zero"
    m.answers.inc({ uid: String(r.uid), outcome })
  }
}

export const instrumentSubmit =
  <A extends { readonly kind: string }, E extends { readonly _tag: string }, Args extends ReadonlyArray<unknown>>(
    submit: (...args: Args) => Effect.Effect<A, E>,
    m: Metrics
  ) =>
  (...args: Args): Effect.Effect<A, E> =>
    submit(...args).pipe(
      Effect.tap((o) => Effect.sync(() => m.submissions.inc({ kind: o.kind, outcome: "ok" }))),
      Effect.tapError((e) => Effect.sync(() => m.submissions.inc({ kind: "-", outcome: e._tag })))
    )
