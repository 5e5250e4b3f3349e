// Aggregation of round rewards into chain weights. Pure, no I/O; states are plain JSON-serializable objects
// (uids are object keys as decimal strings) so they can be persisted as they are.
//
// Two aggregators, selectable through the `kind` field:
// - "ema": exponential moving average of round rewards. Unlike the reference (where a miner that is not
//   sampled keeps its stale score forever), a miner absent from a round decays toward 0 by (1 − decay).
// - "tournament": seed 004's group tournament ranking. Miners are ranked by a score that is an EMA of the
//   global rank position they earned inside their group; queries go to overlapping groups of adjacent ranks;
//   weights are (1/2)^rank, normalized.
// Both reset a uid whose hotkey changed (deregistered and replaced) and forget uids no longer registered.

export interface MinerEntry {
  readonly hotkey: string
  /** ema: the moving average of rewards (≥ 0). tournament: EMA of the rank position (lower is better), null = unranked. */
  readonly score: number | null
}

export interface EmaState {
  readonly kind: "ema"
  readonly miners: Readonly<Record<string, MinerEntry>>
}

export interface TournamentState {
  readonly kind: "tournament"
  readonly miners: Readonly<Record<string, MinerEntry>>
}

export type AggregateState = EmaState | TournamentState

export const emptyEma = (): EmaState => ({ kind: "ema", miners: {} })
export const emptyTournament = (): TournamentState => ({ kind: "tournament", miners: {} })

const entries = (miners: Readonly<Record<string, MinerEntry>>): Array<[number, MinerEntry]> =>
  Object.entries(miners).map(([k, v]) => [Number(k), v])

const fromEntries = (es: Iterable<readonly [number, MinerEntry]>): Record<string, MinerEntry> => {
  const out: Record<string, MinerEntry> = {}
  // Insert in uid order so the serialized form is canonical (independent of update order).
  for (const [uid, e] of [...es].sort((a, b) => a[0] - b[0])) out[String(uid)] = e
  return out
}

const finiteNonNeg = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0)

/**
 * Reconciles a state with the registered set (uid → hotkey): uids not registered are dropped, a uid whose
 * hotkey changed starts over (ema: score 0; tournament: unranked). Tournament states also gain every
 * registered uid as unranked so it can be put in a group.
 */
export const syncRegistered = <S extends AggregateState>(state: S, registered: ReadonlyMap<number, string>): S => {
  const out: Array<[number, MinerEntry]> = []
  for (const [uid, e] of entries(state.miners)) {
    const hk = registered.get(uid)
    if (hk === undefined) continue
    out.push([uid, hk === e.hotkey ? e : { hotkey: hk, score: state.kind === "ema" ? 0 : null }])
  }
  if (state.kind === "tournament") {
    for (const [uid, hk] of registered) if (state.miners[String(uid)] === undefined) out.push([uid, { hotkey: hk, score: null }])
  }
  return { ...state, miners: fromEntries(out) }
}

// ---------------------------------------------------------------------------------------------
// EMA with decay

export interface EmaOptions {
  /** Weight of the new round's reward, in (0, 1]. */
  readonly alpha: number
  /** Per-round decay of miners absent from the round, in [0, 1]: score ← score · (1 − decay). */
  readonly decay: number
  /** Registered uid → hotkey; when given, the state is reconciled first (see syncRegistered). */
  readonly hotkeys?: ReadonlyMap<number, string>
  /** Scores below this are dropped from the state (keeps it bounded). Default 1e-12. */
  readonly floor?: number
}

/** One round: seen miners move toward their reward by alpha, absent miners decay toward 0. */
export const emaUpdate = (state: EmaState, rewards: ReadonlyMap<number, number>, options: EmaOptions): EmaState => {
  const { alpha, decay } = options
  const floor = options.floor ?? 1e-12
  const base = options.hotkeys === undefined ? state : syncRegistered(state, options.hotkeys)
  const next = new Map<number, MinerEntry>(entries(base.miners))
  for (const [uid, e] of next) {
    if (rewards.has(uid)) continue
    const s = (e.score ?? 0) * (1 - decay)
    if (s < floor) next.delete(uid)
    else next.set(uid, { hotkey: e.hotkey, score: s })
  }
  for (const [uid, r] of rewards) {
    if (options.hotkeys !== undefined && !options.hotkeys.has(uid)) continue // not registered
    const prev = next.get(uid)
    const hotkey = prev?.hotkey ?? options.hotkeys?.get(uid) ?? ""
    const s = alpha * finiteNonNeg(r) + (1 - alpha) * (prev?.score ?? 0)
    next.set(uid, { hotkey, score: s })
  }
  return { kind: "ema", miners: fromEntries(next) }
}

// ---------------------------------------------------------------------------------------------
// Group tournament (seed 004)

/** Current ranking: ranked uids by score ascending (ties: lower uid), then unranked uids by uid. */
export const tournamentRanking = (state: TournamentState): Array<number> => {
  const es = entries(state.miners)
  const ranked = es.filter(([, e]) => e.score !== null).sort((a, b) => a[1].score! - b[1].score! || a[0] - b[0])
  const unranked = es.filter(([, e]) => e.score === null).sort((a, b) => a[0] - b[0])
  return [...ranked, ...unranked].map(([uid]) => uid)
}

export interface TournamentGroup {
  /** Position in the ranking of the group's first member. */
  readonly start: number
  readonly uids: ReadonlyArray<number>
}

/**
 * Overlapping groups of adjacent ranks (seed 004 get_miner_groups): size G = min(#miners, groupSize),
 * starts 0, ⌊G/2⌋, 2⌊G/2⌋, … while a full group fits. Fix over the seed: when the last full group does not
 * reach the bottom of the ranking, one more group ending at the last rank is added, so every miner can be asked.
 */
export const tournamentGroups = (state: TournamentState, groupSize: number): Array<TournamentGroup> =>
  rankGroups(tournamentRanking(state), groupSize)

/** The groups of adjacent ranks (see tournamentGroups) over any ranking, best first. */
export const rankGroups = (ranking: ReadonlyArray<number>, groupSize: number): Array<TournamentGroup> => {
  const len = ranking.length
  if (len === 0) return []
  const g = Math.max(1, Math.min(len, Math.floor(groupSize)))
  const step = Math.max(1, Math.floor(g / 2))
  const starts: Array<number> = []
  for (let i = 0; i < len - g + 1; i += step) starts.push(i)
  if (starts[starts.length - 1]! + g < len) starts.push(len - g)
  return starts.map((start) => ({ start, uids: ranking.slice(start, start + g) }))
}

/**
 * In-group ranks (seed 004 rank_responses): higher reward is better, rank 0 is the best; ties go to the
 * lower uid. Miners with a zero, missing or non-finite reward are not ranked by the seed; here they all
 * take the group's last place (so not answering is never better than answering badly).
 */
export const rankInGroup = (group: ReadonlyArray<number>, rewards: ReadonlyMap<number, number>): Map<number, number> => {
  const scored = group
    .map((uid) => [uid, finiteNonNeg(rewards.get(uid) ?? 0)] as const)
    .filter(([, r]) => r > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
  const out = new Map<number, number>()
  scored.forEach(([uid], rank) => out.set(uid, rank))
  for (const uid of group) if (!out.has(uid)) out.set(uid, group.length - 1)
  return out
}

export interface TournamentOptions {
  /** EMA weight of the newly earned rank position (seed: neuron.moving_average_alpha). */
  readonly alpha: number
}

/**
 * One round for one queried group: each member's in-group rank r is mapped to the r-th best of the
 * group's current global positions, and its score moves toward that position by alpha. A newly ranked
 * miner starts from the middle of the ranked field (seed: ⌊#ranked/2⌋). Miners outside the group keep
 * their score. Group members unknown to the state are added.
 */
export const tournamentUpdate = (
  state: TournamentState,
  group: ReadonlyArray<number>,
  rewards: ReadonlyMap<number, number>,
  options: TournamentOptions
): TournamentState => {
  const { alpha } = options
  const members = [...new Set(group)]
  if (members.length === 0) return state
  const ranking = tournamentRanking(state)
  const pos = new Map(ranking.map((uid, i) => [uid, i]))
  let extra = ranking.length
  const positions = members.map((uid) => pos.get(uid) ?? extra++).sort((a, b) => a - b)
  const ranks = rankInGroup(members, rewards)
  const rankedCount = Object.values(state.miners).filter((e) => e.score !== null).length
  const next = new Map<number, MinerEntry>(entries(state.miners))
  for (const uid of members) {
    const target = positions[ranks.get(uid)!]!
    const prev = next.get(uid)
    const score = prev?.score == null
      ? alpha * target + (1 - alpha) * Math.floor(rankedCount / 2)
      : alpha * target + (1 - alpha) * prev.score
    next.set(uid, { hotkey: prev?.hotkey ?? "", score })
  }
  return { kind: "tournament", miners: fromEntries(next) }
}

// ---------------------------------------------------------------------------------------------
// Weights

/** uid → weight pairs scaled to sum 1; non-positive weights dropped; empty when nothing is positive. */
export const normalizeWeights = (raw: Iterable<readonly [number, number]>): Map<number, number> => {
  const pairs = [...raw]
  let total = 0
  for (const [, w] of pairs) total += w
  const out = new Map<number, number>()
  if (!(total > 0) || !Number.isFinite(total)) return out
  for (const [uid, w] of pairs) if (w > 0) out.set(uid, w / total)
  return out
}

/** EMA weights: scores normalized to sum 1 (empty when all are 0). */
export const emaWeights = (state: EmaState): Map<number, number> =>
  normalizeWeights(entries(state.miners).map(([uid, e]) => [uid, finiteNonNeg(e.score ?? 0)] as const))

/** Tournament weights: the i-th ranked miner gets (1/2)^i, normalized; unranked miners get nothing. */
export const tournamentWeights = (state: TournamentState): Map<number, number> => {
  const ranked = tournamentRanking(state).filter((uid) => state.miners[String(uid)]?.score != null)
  return normalizeWeights(ranked.map((uid, i) => [uid, Math.pow(0.5, i)] as const))
}

/** Weights of either aggregator: uid → weight, summing to 1, or empty. */
export const weights = (state: AggregateState): Map<number, number> =>
  state.kind === "ema" ? emaWeights(state) : tournamentWeights(state)
