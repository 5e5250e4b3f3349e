// Round scoring: RoundInput + RoundEmbeddings + config (+ the novelty memory) → RoundResult. Pure and
// deterministic; the only state it touches is the optional NoveltyMemory, which it reads and then extends.
//
// Pipeline (every step in canonical uid order, so the result does not depend on the order of responses):
//  1. filters, first match wins: error → empty → invalid_tool_calls → irrelevant (cos to prompt < floor)
//     → low_quality (too short / junk text) → copy (of a faster answer this round, or of another hotkey's
//     earlier answer to this prompt). What is left are the valid answers.
//  2. consensus: average-linkage clustering of the valid answers (1 − agreement, cut at consensusDistance).
//     Miners sharing an IP or coldkey form one entity; a cluster's mass is the number of entities in it
//     (an entity split across clusters counts fractionally), so a sybil farm counts once. The heaviest
//     cluster wins (ties: the more relevant/accurate cluster, then the lowest uid) and is a consensus only
//     if it holds ≥ minConsensusEntities distinct entities. Valid answers outside it: out_of_consensus.
//     With no consensus (one valid answer, or nobody agrees) every valid answer is judged on its own
//     (against the prompt, and the reference when there is one) and the consensus axis is skipped.
//  3. axes (registry) → weighted score with the task type's weights, renormalized over the axes that apply.
//  4. rewards: filtered answers earn exactly 0; the rest share 1 in proportion to their score, miners of one
//     entity splitting one share (a lone valid answer earns 1). Rewards sum to 1 or are all 0.
import { clamp01, textQuality, toolAgreement, validateToolCalls, visibleChars, type AnswerKind, type AxisContext, type ConsensusInfo } from "./axes.ts"
import { averageLinkage } from "./cluster.ts"
import { taskProfile, type ScoringConfig } from "./config.ts"
import { detectRoundCopies, normalizeText, NoveltyMemory, promptKey, textHash, type MemoryEntry } from "./novelty.ts"
import { DEFAULT_AXES, type AxisRegistry } from "./registry.ts"
import { dotRows } from "./similarity.ts"
import type { FilterReason, MinerResponse, MinerScore, RoundEmbeddings, RoundInput, RoundResult } from "./types.ts"

export { NoveltyMemory } from "./novelty.ts"

export interface ScoreRoundOptions {
  /** Axis registry (default DEFAULT_AXES). */
  readonly registry?: AxisRegistry
}

/** A NoveltyMemory sized by the config. */
export const makeNoveltyMemory = (config: ScoringConfig): NoveltyMemory =>
  new NoveltyMemory({ capacity: config.novelty.capacity, perPrompt: config.novelty.perPrompt })

const EPS = 1e-9

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Canonical order: by uid, then hotkey (then input position, only for duplicate uid+hotkey). */
const canonicalOrder = (responses: ReadonlyArray<MinerResponse>): Array<number> =>
  responses
    .map((_, k) => k)
    .sort((a, b) => responses[a]!.uid - responses[b]!.uid || compareStrings(responses[a]!.hotkey, responses[b]!.hotkey) || a - b)

/**
 * Whether an IP identifies an operator. Loopback addresses (and the in-process transport's marker) do not:
 * they only occur in local simulations, where every miner shares the host — on a real subnet a miner
 * served on loopback cannot be reached by any validator.
 */
export const isIdentityIp = (ip: string): boolean => {
  const x = ip.trim().toLowerCase()
  return x !== "" && x !== "in-process" && x !== "localhost" && x !== "::1" && !x.startsWith("127.") && !x.startsWith("::ffff:127.")
}

/** Union-find entities over the valid answers: a shared identifying IP or a shared coldkey joins two miners. */
const entities = (responses: ReadonlyArray<MinerResponse>, valid: ReadonlyArray<boolean>, enabled: boolean) => {
  const n = responses.length
  const parent = Int32Array.from({ length: n }, (_, i) => i)
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!
      x = parent[x]!
    }
    return x
  }
  if (enabled) {
    const seen = new Map<string, number>()
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue
      const r = responses[i]!
      for (const key of [isIdentityIp(r.ip) ? `ip:${r.ip.trim()}` : null, r.coldkey.trim() === "" ? null : `ck:${r.coldkey.trim()}`]) {
        if (key === null) continue
        const j = seen.get(key)
        if (j === undefined) seen.set(key, i)
        else {
          const a = find(i)
          const b = find(j)
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
        }
      }
    }
  }
  const entity = new Int32Array(n).fill(-1)
  const count = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue
    const root = find(i)
    entity[i] = root
    count.set(root, (count.get(root) ?? 0) + 1)
  }
  const weight = new Float64Array(n)
  for (let i = 0; i < n; i++) if (entity[i]! >= 0) weight[i] = 1 / count.get(entity[i]!)!
  return { entity, weight }
}

/**
 * Scores one round. `memory` (optional) is consulted for copies of other hotkeys' earlier answers and then
 * extended with this round's valid answers. Throws RangeError only on embeddings that do not fit the input.
 */
export const scoreRound = (
  input: RoundInput,
  emb: RoundEmbeddings,
  config: ScoringConfig,
  memory?: NoveltyMemory,
  options: ScoreRoundOptions = {}
): RoundResult => {
  const registry = options.registry ?? DEFAULT_AXES
  const n = input.responses.length
  const dim = emb.dim
  if (emb.responses.length < n * dim) throw new RangeError(`scoreRound: ${emb.responses.length} response floats, need ${n}×${dim}`)
  if (emb.similarity.length < n * n) throw new RangeError(`scoreRound: ${emb.similarity.length} similarity entries, need ${n}×${n}`)
  if (emb.prompt.length < dim) throw new RangeError(`scoreRound: prompt vector has ${emb.prompt.length} floats, need ${dim}`)
  const profile = taskProfile(config, input.taskType)
  const th = config.thresholds

  const order = canonicalOrder(input.responses)
  const responses = order.map((k) => input.responses[k]!)
  const round: RoundInput = { ...input, responses }
  const rowOf = (i: number) => order[i]! * dim
  const sim = (i: number, j: number) => emb.similarity[order[i]! * n + order[j]!]!

  // ---- 1. per-response facts and filters
  const kinds: Array<AnswerKind> = responses.map((r) =>
    r.error !== undefined ? "none" : r.toolCalls.length > 0 ? "tool" : r.text.trim() !== "" ? "text" : "none"
  )
  const promptCos = new Float64Array(n)
  const referenceCos = emb.reference !== null && input.reference !== null ? new Float64Array(n) : null
  const quality = new Float64Array(n)
  const toolValid: Array<boolean> = []
  const filtered: Array<FilterReason | null> = []
  const notes: Array<string | undefined> = []
  for (let i = 0; i < n; i++) {
    const r = responses[i]!
    const kind = kinds[i]!
    promptCos[i] = kind === "none" ? 0 : dotRows(emb.prompt, 0, emb.responses, rowOf(i), dim)
    if (referenceCos !== null && emb.reference !== null) {
      referenceCos[i] = kind === "none" ? 0 : dotRows(emb.reference, 0, emb.responses, rowOf(i), dim)
    }
    const toolError = kind === "tool" ? validateToolCalls(r.toolCalls, input.tools) : null
    toolValid.push(toolError === null)
    quality[i] = kind === "tool" ? 1 : kind === "text" ? textQuality(r.text) : 0
    const chars = visibleChars(r.text)
    let reason: FilterReason | null = null
    let note: string | undefined
    if (r.error !== undefined) [reason, note] = ["error", r.error]
    else if (kind === "none") [reason, note] = ["empty", "no text and no tool calls"]
    else if (toolError !== null) [reason, note] = ["invalid_tool_calls", toolError]
    else if (kind === "text" && promptCos[i]! < th.relevanceFloor) {
      ;[reason, note] = ["irrelevant", `cos(prompt) ${promptCos[i]!.toFixed(3)} < ${th.relevanceFloor}`]
    } else if (kind === "text" && chars < th.minAnswerChars) {
      ;[reason, note] = ["low_quality", `${chars} characters < ${th.minAnswerChars}`]
    } else if (kind === "text" && quality[i]! < th.qualityFloor) {
      ;[reason, note] = ["low_quality", `text quality ${quality[i]!.toFixed(3)} < ${th.qualityFloor}`]
    }
    filtered.push(reason)
    notes.push(note)
  }

  // copies: L1 hash / L2 cosine, against earlier answers of other hotkeys and faster answers this round.
  // Tool-call answers are exempt: the right call (and its short lead-in text) is the same for every honest
  // miner; they are judged by tool-call validity and agreement instead.
  const hashes: Array<string | null> = responses.map((r, i) => {
    if (kinds[i] !== "text") return null
    const norm = normalizeText(r.text)
    return norm.length >= th.copyMinChars ? textHash(norm) : null
  })
  const pk = promptKey(input.prompt)
  const memoryCos = memory === undefined ? null : new Float64Array(n).fill(-1)
  const memoryCopy = new Map<number, string>()
  if (memory !== undefined && memoryCos !== null) {
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!
      if (h === null || filtered[i] !== null) continue
      const vec = emb.responses.subarray(rowOf(i), rowOf(i) + dim)
      const hit = memory.lookup(pk, responses[i]!.hotkey, h, vec)
      memoryCos[i] = hit.exact !== null ? 1 : hit.cosine
      if (hit.exact !== null) memoryCopy.set(i, `same text as uid ${hit.exact.uid} (${hit.exact.hotkey}) in round ${hit.exact.roundId}`)
      else if (hit.nearest !== null && hit.cosine >= th.copyCosine) {
        memoryCopy.set(i, `cos ${hit.cosine.toFixed(3)} to uid ${hit.nearest.uid} (${hit.nearest.hotkey}) in round ${hit.nearest.roundId}`)
      }
    }
  }
  // memory copies first: a replayed answer must not make its (slower) original author a copy this round
  for (const [i, m] of memoryCopy) [filtered[i], notes[i]] = ["copy", `copy of an earlier answer: ${m}`]
  const roundCopies = detectRoundCopies(
    responses.flatMap((r, i) => (filtered[i] === null && kinds[i] === "text" ? [{ index: i, uid: r.uid, latencyMs: r.latencyMs, hash: hashes[i]! }] : [])),
    sim,
    th.copyCosine
  )
  for (const [i, c] of roundCopies) {
    filtered[i] = "copy"
    notes[i] = `copy of faster uid ${responses[c.of]!.uid}: ${c.match === "exact" ? "same text" : `cos ${c.match.toFixed(3)}`}`
  }
  // Tool-call answers: the same call is expected from every honest miner, but a call id is minted per
  // completion — a faster miner's call ids returned verbatim are a replayed answer (exact match only).
  const toolCopies = detectRoundCopies(
    responses.flatMap((r, i) =>
      filtered[i] === null && kinds[i] === "tool" && r.toolCalls.every((t) => t.id !== undefined && t.id.length >= 4)
        ? [{ index: i, uid: r.uid, latencyMs: r.latencyMs, hash: `ids:${r.toolCalls.map((t) => t.id).join(",")}` }]
        : []
    ),
    () => -Infinity,
    th.copyCosine
  )
  for (const [i, c] of toolCopies) {
    filtered[i] = "copy"
    notes[i] = `copy of faster uid ${responses[c.of]!.uid}: same tool-call ids`
  }
  const valid = filtered.map((f) => f === null)

  // ---- 2. agreement, clustering, consensus
  const agreement = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    agreement[i * n + i] = 1
    for (let j = i + 1; j < n; j++) {
      const a =
        kinds[i] === "text" && kinds[j] === "text"
          ? sim(i, j)
          : kinds[i] === "tool" && kinds[j] === "tool"
            ? toolAgreement(responses[i]!.toolCalls, responses[j]!.toolCalls)
            : 0
      agreement[i * n + j] = a
      agreement[j * n + i] = a
    }
  }
  const validIdx = valid.flatMap((v, i) => (v ? [i] : []))
  const labels = new Int32Array(n).fill(-1)
  let consensus: ConsensusInfo | null = null
  if (validIdx.length >= 2) {
    labels.set(averageLinkage(agreement, n, th.consensusDistance, valid))
    const { entity, weight } = entities(responses, valid, config.entityWeighting)
    const groups = new Map<number, Array<number>>()
    for (const i of validIdx) {
      const g = groups.get(labels[i]!)
      if (g === undefined) groups.set(labels[i]!, [i])
      else g.push(i)
    }
    const judge = referenceCos ?? promptCos
    const stats = [...groups.values()].map((members) => ({
      members,
      mass: members.reduce((s, i) => s + weight[i]!, 0),
      entities: new Set(members.map((i) => entity[i]!)).size,
      judged: members.reduce((s, i) => s + judge[i]!, 0) / members.length,
      minUid: Math.min(...members.map((i) => responses[i]!.uid))
    }))
    stats.sort((a, b) =>
      Math.abs(a.mass - b.mass) > EPS
        ? b.mass - a.mass
        : Math.abs(a.judged - b.judged) > EPS
          ? b.judged - a.judged
          : a.minUid - b.minUid
    )
    const top = stats[0]!
    if (top.entities >= th.minConsensusEntities) {
      consensus = { members: top.members, entity, weight }
      const inside = new Set(top.members)
      for (const i of validIdx) {
        if (inside.has(i)) continue
        filtered[i] = "out_of_consensus"
        notes[i] = `cluster of ${groups.get(labels[i]!)!.length} answer(s) vs the dominant cluster of ${top.members.length} (${top.entities} entities)`
      }
    }
  }

  // speed is relative to the median of the answers still eligible (valid and, when there is one, in consensus)
  const latencies = filtered
    .flatMap((f, i) => (f === null ? [responses[i]!.latencyMs] : []))
    .filter((t): t is number => t !== null && Number.isFinite(t))
    .sort((a, b) => a - b)
  const medianLatencyMs =
    latencies.length === 0
      ? null
      : latencies.length % 2 === 1
        ? latencies[(latencies.length - 1) / 2]!
        : (latencies[latencies.length / 2 - 1]! + latencies[latencies.length / 2]!) / 2

  // ---- 3. axes and weighted score
  const ctx: AxisContext = {
    input: round,
    n,
    config,
    profile,
    kinds,
    promptCos,
    referenceCos,
    agreement,
    toolValid,
    quality,
    valid,
    consensus,
    medianLatencyMs,
    memoryCos
  }
  const values = new Map<string, Float64Array>()
  for (const [name, axis] of registry) {
    const v = axis(ctx)
    if (v !== null) values.set(name, v)
  }
  const raw: Record<string, number> = {}
  for (const name of values.keys()) {
    const w = profile.weights[name] ?? 0
    if (w > 0) raw[name] = w
  }
  const accW = profile.weights["accuracy"] ?? 0
  const fb = config.accuracyFallback
  if (!values.has("accuracy") && accW > 0 && fb !== null && values.has(fb)) raw[fb] = (raw[fb] ?? 0) + accW
  const totalW = Object.values(raw).reduce((s, w) => s + w, 0)
  const weights: Record<string, number> = {}
  for (const [k, w] of Object.entries(raw)) weights[k] = totalW > 0 ? w / totalW : 0
  const scores = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (const [k, w] of Object.entries(weights)) s += w * values.get(k)![i]!
    scores[i] = clamp01(s)
  }

  // ---- 4. rewards
  const rewards = new Float64Array(n)
  const paid = filtered.flatMap((f, i) => (f === null ? [i] : []))
  if (paid.length === 1) rewards[paid[0]!] = 1
  else {
    // entity shares: paid miners of one entity (shared IP or coldkey) split one miner's share, so running
    // k hotkeys earns no more than running one
    const share = entities(responses, filtered.map((f) => f === null), config.entityWeighting).weight
    const sum = paid.reduce((s, i) => s + scores[i]! * share[i]!, 0)
    if (sum > 0) for (const i of paid) rewards[i] = (scores[i]! * share[i]!) / sum
  }

  if (memory !== undefined) {
    const entries: Array<MemoryEntry> = []
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!
      if (!valid[i] || h === null) continue
      const r = responses[i]!
      entries.push({ hotkey: r.hotkey, uid: r.uid, roundId: input.id, hash: h, vec: emb.responses.subarray(rowOf(i), rowOf(i) + dim) })
    }
    memory.record(pk, entries)
  }

  // ---- result, in input order
  const byInput: Array<MinerScore> = new Array(n)
  const clusters: Array<number> = new Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const r = responses[i]!
    const axes: Record<string, number> = {}
    for (const [k, v] of values) axes[k] = v[i]!
    const note = notes[i]
    byInput[order[i]!] = {
      uid: r.uid,
      hotkey: r.hotkey,
      reward: rewards[i]!,
      axes,
      score: scores[i]!,
      filtered: filtered[i]!,
      ...(note === undefined ? {} : { note })
    }
    clusters[order[i]!] = labels[i]!
  }
  let best: number | null = null
  let bestReward = 0
  for (let i = 0; i < n; i++) {
    const rw = rewards[i]!
    const uid = responses[i]!.uid
    if (rw <= 0) continue
    if (best === null || rw > bestReward + EPS || (Math.abs(rw - bestReward) <= EPS && uid < best)) {
      best = uid
      bestReward = rw
    }
  }
  const consensusUids = consensus === null ? (paid.length === 1 ? [responses[paid[0]!]!.uid] : []) : consensus.members.map((i) => responses[i]!.uid)
  return {
    roundId: input.id,
    taskType: profile.name,
    miners: byInput,
    consensus: consensusUids.sort((a, b) => a - b),
    clusters,
    best,
    weights
  }
}

const fmt = (x: number) => x.toFixed(3)

/** Human-readable lines: the header, one line per miner (best first), and the consensus. */
export const explain = (result: RoundResult): Array<string> => {
  const lines: Array<string> = []
  const w = result.weights
  lines.push(
    `round ${result.roundId} (${result.taskType}): ${result.miners.length} responses, best ${result.best === null ? "none" : `uid ${result.best}`}`
  )
  if (w !== undefined) {
    lines.push(`weights: ${Object.entries(w).map(([k, v]) => `${k}=${fmt(v)}`).join(" ") || "(none)"}`)
  }
  const sorted = [...result.miners].sort((a, b) => b.reward - a.reward || b.score - a.score || a.uid - b.uid)
  for (const m of sorted) {
    const axes = Object.entries(m.axes).map(([k, v]) => `${k}=${fmt(v)}`).join(" ")
    const tail = m.filtered === null ? "" : ` FILTERED ${m.filtered}${m.note === undefined ? "" : ` (${m.note})`}`
    lines.push(`uid ${m.uid}: reward ${fmt(m.reward)} score ${fmt(m.score)} | ${axes}${tail}`)
  }
  lines.push(result.consensus.length === 0 ? "consensus: none" : `consensus: uids ${result.consensus.join(", ")}`)
  return lines
}
