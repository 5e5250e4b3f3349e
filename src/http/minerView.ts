// The /miners rows the operator reads: identity and entity (hotkey, coldkey, ip), our rank by weight, stake and
// chain-consensus trust (when a chain is there), the aggregate score, the weight, availability from real
// answers, the queries in flight (seed 003's load), seed 003's performance record and tier, the hotkey's copy
// record across rounds (clean, copier, astray), the last answer and why answers were filtered (24 h). Timestamps are ISO-8601.
import type { Database } from "bun:sqlite"
import type { RecordSummary } from "../scoring/copyRecord.ts"
import { historicalAverage, type PerformanceState, recentAverage, tierOfRecord } from "../scoring/performance.ts"

export interface MinerIdentity {
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
}

export interface MinerViewInput {
  readonly sessions: ReadonlyArray<{ readonly uid: number; readonly availability: number; readonly inFlight?: number }>
  readonly identities: ReadonlyArray<MinerIdentity>
  readonly weights: ReadonlyArray<{ readonly uid: number; readonly weight: number }>
  /** uid → aggregate (EMA score, or the tournament's rank score). */
  readonly aggregate: ReadonlyMap<number, number | null>
  readonly stakes: ReadonlyMap<number, number>
  readonly trust: ReadonlyMap<number, number>
  readonly totals: ReadonlyArray<{ readonly uid: number; readonly rounds: number; readonly earned: number; readonly total_reward: number; readonly filtered: number; readonly last_seen: number }>
  readonly filterReasons: ReadonlyMap<number, Record<string, number>>
  /** Each hotkey's copy record in the scoring memory (src/scoring/copyRecord.ts); absent: none known. */
  readonly records?: ReadonlyMap<string, RecordSummary>
  /** Seed 003's per-miner records (the AggregateActor's); absent: no performance columns known. */
  readonly performance?: PerformanceState
}

/** Seed 003's cumulative tracking of one miner as /miners shows it (points on the 0–500 scale). */
const performanceRow = (state: PerformanceState | undefined, uid: number, hotkey: string | null) => {
  const r = state?.miners[String(uid)]
  if (r === undefined || (hotkey !== null && r.hotkey !== hotkey)) return { tier: null, performance: null }
  return {
    tier: tierOfRecord(r),
    performance: {
      tasks: r.count,
      total: r.total,
      average: historicalAverage(r),
      recent_average: recentAverage(r),
      recent_rounds: r.recent.length,
      by_task: Object.fromEntries(Object.entries(r.byTask).map(([t, x]) => [t, { tasks: x.count, average: x.count === 0 ? 0 : x.total / x.count }]))
    }
  }
}

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString()

/** Filter reasons per uid since `since` (one grouped query on the rewards index). */
export const filterReasonsSince = (db: Database, since: number): Map<number, Record<string, number>> => {
  const rows = db
    .query("SELECT uid, filtered, COUNT(*) AS n FROM rewards WHERE created_at >= $since AND filtered IS NOT NULL GROUP BY uid, filtered")
    .all({ since }) as Array<{ uid: number; filtered: string; n: number }>
  const out = new Map<number, Record<string, number>>()
  for (const r of rows) {
    const rec = out.get(r.uid) ?? {}
    rec[r.filtered] = r.n
    out.set(r.uid, rec)
  }
  return out
}

export const minerRows = (i: MinerViewInput) => {
  const weight = new Map(i.weights.map((w) => [w.uid, w.weight]))
  const ids = new Map(i.identities.map((m) => [m.uid, m]))
  const totals = new Map(i.totals.map((t) => [t.uid, t]))
  // rank 1 = the largest weight; miners without weight share the last rank
  const ranked = [...i.sessions].map((s) => s.uid).sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0) || a - b)
  const rank = new Map<number, number>()
  let r = 0
  for (const uid of ranked) rank.set(uid, (weight.get(uid) ?? 0) > 0 ? ++r : ranked.filter((u) => (weight.get(u) ?? 0) > 0).length + 1)
  return i.sessions
    .map((s) => {
      const id = ids.get(s.uid)
      const t = totals.get(s.uid)
      return {
        uid: s.uid,
        hotkey: id?.hotkey ?? null,
        coldkey: id?.coldkey ?? null,
        ip: id?.ip ?? null,
        rank: rank.get(s.uid) ?? null,
        stake: i.stakes.get(s.uid) ?? null,
        trust: i.trust.get(s.uid) ?? null,
        aggregate: i.aggregate.get(s.uid) ?? null,
        weight: weight.get(s.uid) ?? 0,
        availability: s.availability,
        in_flight: s.inFlight ?? 0,
        ...performanceRow(i.performance, s.uid, id?.hotkey ?? null),
        record: id === undefined ? null : (i.records?.get(id.hotkey) ?? null),
        last_answer_at: iso(t?.last_seen),
        filter_reasons: i.filterReasons.get(s.uid) ?? {},
        last24h: t === undefined ? null : { rounds: t.rounds, earned: t.earned, total_reward: t.total_reward, filtered: t.filtered, last_seen_at: iso(t.last_seen) }
      }
    })
    .sort((a, b) => a.uid - b.uid)
}
