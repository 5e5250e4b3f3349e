// The supervisor's side of miner selection: each session's state (availability from answers, the last probe,
// queries in flight) and the aggregate's performance record of its hotkey become the candidates the pure
// policy (src/scoring/selection.ts) chooses from. The groups policy asks the AggregateActor for its next
// group among the miners below their in-flight cap.
import { Effect } from "effect"
import type { MinerInfo } from "../../src/domain/Miner.ts"
import type { PerformanceState } from "../../src/scoring/performance.ts"
import { eligible, type SelectionCandidate, type SelectionPolicy, selectMiners } from "../../src/scoring/selection.ts"
import * as MinerSession from "../MinerSession.ts"

export interface SelectableChild {
  readonly info: MinerInfo
  readonly session: Pick<MinerSession.MinerSession, "stats">
}

export interface SelectionDeps {
  readonly policy: SelectionPolicy
  /** The aggregate's performance records as last published (absent: every miner is new). */
  readonly performance?: Effect.Effect<PerformanceState>
  /** The groups policy's next group among the eligible uids (AggregateActor.pickGroup). */
  readonly group?: (available: ReadonlyArray<number>, max: number) => Effect.Effect<ReadonlyArray<number>, { readonly message: string }>
}

export const candidatesOf = (
  children: ReadonlyArray<SelectableChild>,
  stats: ReadonlyArray<MinerSession.Stats>,
  performance: PerformanceState
): Array<SelectionCandidate> => {
  const maxStake = Math.max(0, ...children.map((c) => (Number.isFinite(c.info.stake) ? c.info.stake! : 0)))
  return children.map((c, i) => {
    const s = stats[i]!
    const rec = performance.miners[String(c.info.uid)]
    const stake = c.info.stake ?? 0
    return {
      uid: c.info.uid,
      availability: MinerSession.availabilityOf(s),
      probeOk: s.lastProbeOk,
      inFlight: s.inFlight,
      ...(rec !== undefined && rec.hotkey === c.info.hotkey ? { record: rec } : {}),
      stakeShare: maxStake > 0 && stake > 0 ? stake / maxStake : 0
    }
  })
}

/** The children a round asks (at most `max`) and how many were skipped at their in-flight cap. */
export const choose = <C extends SelectableChild>(deps: SelectionDeps, all: ReadonlyArray<C>, max: number, taskType: string, random: () => number) =>
  Effect.gen(function* () {
    const stats = yield* Effect.forEach(all, (c) => c.session.stats)
    const performance = deps.performance === undefined ? { miners: {} } : yield* deps.performance
    const cands = candidatesOf(all, stats, performance)
    const open = eligible(cands, deps.policy.maxConcurrentTasks)
    const grouped =
      deps.policy.kind === "groups" && deps.group !== undefined
        ? yield* deps.group(open.map((c) => c.uid), max).pipe(
            Effect.catch((e) => Effect.logWarning("group selection failed; sampling instead", { message: e.message }).pipe(Effect.as(null)))
          )
        : null
    const uids = grouped ?? selectMiners(cands, max, taskType, deps.policy, random)
    const byUid = new Map(all.map((c) => [c.info.uid, c]))
    return { selected: uids.flatMap((u) => byUid.get(u) ?? []), atCap: cands.length - open.length }
  })
