// What the validator runs against: who the miners are, how to reach them, who we are, where weights go.
// The `World` service is the one place demo and live differ: the layer provided decides it (Demo.ts:
// simulated miners without a chain; ChainWorld.ts: the local subtensor or the live network; InProcessWorld.ts:
// simulated miner brains without sockets, for tests and benchmarks).
import { Context, Effect, type Stream } from "effect"
import type { MinerInfo } from "../domain/Miner.ts"
import type { SubmitFailure, SubmitOutcome } from "../domain/Weights.ts"
import type { ChainProbe } from "../chain/ChainProbe.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import type { HotkeySigner } from "../domain/Miner.ts"
import { processWeights, toU16 } from "../scoring/weights.ts"
import type { StoreShape } from "../store/Store.ts"

export interface WorldShape {
  readonly signer: HotkeySigner
  readonly transport: MinerTransport
  readonly miners: Effect.Effect<ReadonlyArray<MinerInfo>, { readonly message: string }>
  readonly excludeHotkeys: ReadonlySet<string>
  /** Registration changes (metagraph events), to reconcile miner sessions at once instead of on the schedule. */
  readonly minerChanges?: Stream.Stream<unknown>
  readonly submitWeights: (
    weights: ReadonlyArray<{ readonly uid: number; readonly weight: number }>
  ) => Effect.Effect<SubmitOutcome, SubmitFailure>
  readonly info: Record<string, unknown>
  /** Chain status and validator weights for the operator console (absent without a chain). */
  readonly chain?: ChainProbe
}

export class World extends Context.Service<World, WorldShape>()("quorum/app/World") {}

/**
 * Without a chain: the weights are normalized exactly as they would be emitted (the SDK's rules with
 * min_allowed_weights 1 and no max limit) and stored under `weights:dry-run`, so the operator can inspect
 * them (GET /weights) — nothing claims to be on chain.
 */
export const dryRunWeights =
  (store: StoreShape, n: number) =>
  (weights: ReadonlyArray<{ readonly uid: number; readonly weight: number }>): Effect.Effect<SubmitOutcome, SubmitFailure> =>
    Effect.gen(function* () {
      // Full-length over uids 0..n−1, as the chain path and SDK validators call it.
      const size = Math.max(n, ...weights.map((w) => w.uid + 1))
      const full = new Array<number>(size).fill(0)
      for (const w of weights) if (Number.isInteger(w.uid) && w.uid >= 0) full[w.uid] = w.weight
      const processed = processWeights({
        uids: full.map((_, uid) => uid),
        weights: full,
        n: size,
        minAllowedWeights: 1,
        maxWeightLimit: 1
      })
      const emitted = toU16(processed)
      yield* store.putState("weights:dry-run", { ...emitted, at: Date.now() }, Date.now())
      return { kind: "dry-run", blockHash: null, uids: emitted.uids }
    }).pipe(Effect.mapError((e) => ({ _tag: e._tag, message: e.message })))
