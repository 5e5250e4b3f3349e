// Metagraph: the neurons of one subnet (read by MetagraphRead.ts, data in Neurons.ts). The service keeps the
// last snapshot in a Ref, refreshes every `refreshBlocks` new heads (or on demand with `refresh`), and
// publishes MinerAdded / HotkeyReplaced / MinerRemoved / AxonChanged events (from the pure `diffNeurons`)
// on a PubSub.
import type { ApiPromise } from "@polkadot/api"
import { Context, Effect, Layer, PubSub, Queue, Ref, Schedule, Semaphore, Stream } from "effect"
import type { Scope } from "effect"
import type { HyperparamsError } from "./Hyperparams.ts"
import { MetagraphError, type ReadOptions, readMetagraph } from "./MetagraphRead.ts"
import { diffNeurons, type MetagraphChange, type MetagraphSnapshot } from "./Neurons.ts"

// ---------------------------------------------------------------------------------------------
// Service

export interface MetagraphConfig extends ReadOptions {
  readonly api: ApiPromise
  /** Refresh when the best head is this many blocks past the snapshot (default: the subnet's tempo; 0 = only on demand). */
  readonly refreshBlocks?: number
}

export interface MetagraphShape {
  readonly netuid: number
  /** The last snapshot (taken when the service started, then on every refresh). */
  readonly snapshot: Effect.Effect<MetagraphSnapshot>
  /** Reads now, stores the snapshot, publishes the changes; returns the new snapshot. */
  readonly refresh: () => Effect.Effect<MetagraphSnapshot, MetagraphError | HyperparamsError>
  /** Changes from refreshes after subscription (scoped: subscribe before the refresh you wait for). */
  readonly subscribe: Effect.Effect<PubSub.Subscription<MetagraphChange>, never, Scope.Scope>
  /** The same as a stream. */
  readonly changes: Stream.Stream<MetagraphChange>
}

/**
 * Builds the metagraph (first read now; a failure fails the build) and, with `refreshBlocks`, a
 * scoped background fiber that refreshes on new heads. Refresh errors are logged and retried
 * on the next heads; the head subscription is re-opened if it drops.
 */
export const makeMetagraph = Effect.fn("Metagraph.make")(function*(
  config: MetagraphConfig
): Effect.fn.Return<MetagraphShape, MetagraphError | HyperparamsError, Scope.Scope> {
  const { api, netuid } = config
  const first = yield* readMetagraph(api, config)
  const ref = yield* Ref.make(first)
  const pubsub = yield* PubSub.unbounded<MetagraphChange>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
  const lock = yield* Semaphore.make(1)

  const refresh = Effect.fn("Metagraph.refresh")(function*() {
    const prev = yield* Ref.get(ref)
    const next = yield* readMetagraph(api, config)
    // a stale read (an older head than the snapshot) never replaces a newer snapshot
    if (next.block < prev.block) return prev
    yield* Ref.set(ref, next)
    const changes = diffNeurons(prev.neurons, next.neurons)
    if (changes.length > 0) {
      yield* Effect.logInfo("metagraph changed").pipe(
        Effect.annotateLogs({ netuid, block: next.block, changes: changes.map((c) => `${c._tag}:${c.uid}`).join(",") })
      )
      yield* PubSub.publishAll(pubsub, changes)
    }
    return next
  }, Semaphore.withPermit(lock))

  const refreshBlocks = config.refreshBlocks ?? first.hyperparams.tempo
  if (refreshBlocks > 0) {
    const heads = Stream.callback<number, MetagraphError>((queue) =>
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => api.rpc.chain.subscribeNewHeads((h) => {
            Queue.offerUnsafe(queue, h.number.toNumber())
          }),
          catch: (cause) => new MetagraphError({ netuid, operation: "subscribeNewHeads", reason: "Rpc", detail: String(cause), cause })
        }),
        (unsub) => Effect.sync(() => unsub())
      )
    )
    const loop = heads.pipe(
      Stream.runForEach((head) =>
        Effect.gen(function*() {
          const last = yield* Ref.get(ref)
          if (head - last.block < refreshBlocks) return
          yield* refresh().pipe(
            Effect.catch((e) => Effect.logWarning("metagraph refresh failed").pipe(Effect.annotateLogs({ netuid, error: e.message })))
          )
        })
      ),
      Effect.tapError((e) => Effect.logWarning("head subscription failed").pipe(Effect.annotateLogs({ netuid, error: e.message }))),
      Effect.retry(Schedule.spaced("2 seconds")),
      Effect.onInterrupt(() => Effect.logDebug("metagraph refresh loop stopped").pipe(Effect.annotateLogs({ netuid })))
    )
    yield* Effect.forkScoped(loop)
  }

  return {
    netuid,
    snapshot: Ref.get(ref),
    refresh,
    subscribe: PubSub.subscribe(pubsub),
    changes: Stream.fromPubSub(pubsub)
  }
})

export class Metagraph extends Context.Service<Metagraph, MetagraphShape>()("quorum/chain/Metagraph") {
  static readonly layer = (config: MetagraphConfig): Layer.Layer<Metagraph, MetagraphError | HyperparamsError> =>
    Layer.effect(Metagraph, makeMetagraph(config))
}
