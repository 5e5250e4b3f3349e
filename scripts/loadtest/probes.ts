// The load test's raw records, pure: the validator's probe lines (LOAD_PROBE_FILE), the miners' served lines and
// stall lines, and how a request is matched to what its miner served (the one clock both processes stamp).
export interface ProbeReq { readonly k: "req"; readonly c: string; readonly uid: number; readonly t: number; readonly at?: number; readonly ms: number; readonly lat?: number; readonly err?: string }
export interface ProbePut { readonly k: "put"; readonly c: string; readonly uid: number; readonly ms: number }
export interface ProbeRound { readonly k: "round"; readonly c: string; readonly t: number; readonly ev: string; readonly ms?: number; readonly n?: number; readonly rewards?: ReadonlyArray<readonly [number, number]> }
export interface ProbeSample {
  readonly k: "sample"
  readonly t: number
  readonly rss: number
  readonly heap: number
  readonly lagMax: number
  readonly lagP99: number
  /** Bounded caches' fill (embed_text_cache, novelty_memory), when the validator registered them. */
  readonly gauges?: Readonly<Record<string, number>>
}
export type ProbeLine = ProbeReq | ProbePut | ProbeRound | ProbeSample

/** What a miner did with one request; `c` is null when the protocol does not carry the challenge id (dendrite). */
export interface Served {
  readonly c: string | null
  readonly uid: number
  readonly kind: string
  /** The miner's planned delay (reply) or trickle time (slow-body). */
  readonly delay: number | null
  readonly chars: number
  readonly at?: number
  /** Sequence number in served.jsonl (joins the `ready` line). */
  readonly n?: number
  /** The miner's own time from the request's arrival to a ready response (planned delay + its process's lateness). */
  readonly ready?: number
  /** Epoch ms (0.01 ms) the miner's handler started and its response was ready (the probe's `at` clock). */
  readonly start?: number
  readonly end?: number
  /** Which miner process served it (the load test's shards; absent for one process). */
  readonly shard?: number
}

/** served.jsonl → one record per request: the `{n, ready}` lines the miner process writes when a response is
 *  ready are joined to the request line with the same n. */
export const parseServed = (lines: ReadonlyArray<string>, shard?: number): Array<Served> => {
  const records: Array<Served> = []
  const ready = new Map<number, { readonly ready: number; readonly start?: number; readonly end?: number }>()
  for (const l of lines) {
    if (l === "") continue
    const o = JSON.parse(l) as Served | { readonly n: number; readonly ready: number; readonly start?: number; readonly end?: number } | { readonly stall: Stall }
    if ("stall" in o) continue
    if ("kind" in o) records.push(o)
    else ready.set(o.n, o)
  }
  return records.map((s0) => {
    const s = shard === undefined ? s0 : { ...s0, shard }
    const r = s.n === undefined ? undefined : ready.get(s.n)
    return r === undefined ? s : { ...s, ready: r.ready, ...(r.start === undefined ? {} : { start: r.start }), ...(r.end === undefined ? {} : { end: r.end }) }
  })
}

/** A span (epoch ms) in which a miner process's event loop was blocked (its stall watch, scripts/loadtest/miners.ts). */
export interface Stall { readonly from: number; readonly to: number; readonly shard?: number }

/** A miner process's stalls from its served file's `{stall}` lines. */
export const parseStalls = (lines: ReadonlyArray<string>, shard?: number): Array<Stall> =>
  lines.flatMap((l) => {
    if (!l.startsWith('{"stall"')) return []
    const o = JSON.parse(l) as { readonly stall: Stall }
    return [shard === undefined ? o.stall : { ...o.stall, shard }]
  })

/** Whether a request waited on a stall of the miner process that served it, outside the miner's own measured time:
 *  between the query call and the handler's start, or between the response being ready and the reply parsed. */
export const behindStall = (q: ProbeReq, s: Served | undefined, stalls: ReadonlyArray<Stall>): boolean => {
  if (s === undefined || s.start === undefined || s.end === undefined || q.at === undefined) return false
  const done = q.at + q.ms
  return stalls.some((x) => x.shard === s.shard && ((x.to > q.at! && x.from < s.start!) || (x.to > s.end! && x.from < done)))
}

/** What the miner itself spent on a request: its measured time to a ready response (+ the trickle of a slow
 *  body), or its planned delay when no measurement was written. */
const minerOwnMs = (s: Served): number | null =>
  s.delay === null ? null : s.ready === undefined ? s.delay : s.kind === "slow-body" ? s.ready + s.delay : Math.max(s.delay, s.ready)
/** Uids of the baseline's spare miners in served.jsonl start here (the validator's miners are below it). */
export const SPARE_UID_BASE = 100_000

/** Served records by challenge id and uid. */
export const byRequest = (served: ReadonlyArray<Served>): Map<string, Served> =>
  new Map(served.filter((s) => s.c !== null).map((s) => [`${s.c}|${s.uid}`, s]))

/** Per answered request: its measured latency minus what the miner itself spent (the simulated miners share this
 *  machine, so their own lateness is measured and kept apart, not charged to the client). */
export const overheads = (qs: ReadonlyArray<ProbeReq>, servedBy: ReadonlyMap<string, Served>): Array<number> =>
  qs.flatMap((q) => {
    const s = q.lat === undefined ? undefined : servedBy.get(`${q.c}|${q.uid}`)
    const own = s === undefined ? null : minerOwnMs(s)
    return own === null ? [] : [Math.max(0, q.lat! - own)]
  })

/** Where the overhead goes, on the one clock both processes stamp (epoch ms): from the query call to the miner's
 *  handler starting (encrypting, sending, the kernel, and the miner process getting to the request), and from the
 *  miner's response being ready to the reply decrypted and parsed. Replies only. */
export const legs = (qs: ReadonlyArray<ProbeReq>, servedBy: ReadonlyMap<string, Served>): Array<{ to: number; back: number }> =>
  qs.flatMap((q) => {
    const s = q.lat === undefined ? undefined : servedBy.get(`${q.c}|${q.uid}`)
    return s === undefined || s.start === undefined || s.end === undefined || q.at === undefined || s.kind !== "reply"
      ? []
      : [{ to: Math.max(0, s.start - q.at), back: Math.max(0, q.at + q.ms - s.end) }]
  })

/** How far after the validator sent a request the miner may have seen it and still be matched to it. */
const MATCH_WINDOW_MS = 1000

/**
 * Served records without a challenge id (dendrite carries none) get the id of the validator request to the same
 * miner that started last before the miner saw it (within MATCH_WINDOW_MS); unmatched ones stay null.
 */
export const withChallengeIds = (served: ReadonlyArray<Served>, reqs: ReadonlyArray<ProbeReq>): Array<Served> => {
  const byUid = new Map<number, Array<ProbeReq>>()
  for (const q of reqs) if (q.at !== undefined) (byUid.get(q.uid) ?? byUid.set(q.uid, []).get(q.uid)!).push(q)
  for (const list of byUid.values()) list.sort((a, b) => a.at! - b.at!)
  return served.map((s) => {
    if (s.c !== null || s.at === undefined) return s
    const list = byUid.get(s.uid) ?? []
    let best: ProbeReq | undefined
    for (const q of list) {
      if (q.at! > s.at + 50) break
      if (s.at - q.at! <= MATCH_WINDOW_MS) best = q
    }
    return best === undefined ? s : { ...s, c: best.c }
  })
}
