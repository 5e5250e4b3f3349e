// The policies side by side (issue 14, deliverable 5): the demo's simulated miners under one selection ×
// aggregation pair, in virtual time (no HTTP, no sleeping). Each round the pure selection policy (or the
// aggregator's group, for the groups policy) picks who is asked, the behaviours answer with their virtual
// latencies, a round completes when its last answer (or timeout) is in, and then it is scored with the real
// scoreRound (real embeddings, cached by text) and fed to the real aggregator (src/domain/AggregationState.ts).
// The load (queries in flight across rounds) and the availability window follow the answers' virtual times,
// as MinerSession keeps them. Same seed → same challenges, answers and selection draws for every pair.
import { makeAggregator } from "../domain/AggregationState.ts"
import type { CorpusFile } from "../challenges/Corpus.ts"
import { makeSyntheticSource } from "../challenges/Synthetic.ts"
import { hash32, mulberry32 } from "../domain/random.ts"
import { AnswerBoard, type BehaviourName, makeBehaviour } from "../miners/sim/Behaviour.ts"
import type { SimAction } from "../miners/sim/SimAction.ts"
import type { AggregationKind, ScoringConfig } from "../scoring/config.ts"
import type { PerformanceState } from "../scoring/performance.ts"
import { makeNoveltyMemory, scoreRound } from "../scoring/round.ts"
import { eligible, type SelectionCandidate, type SelectionKind, selectMiners } from "../scoring/selection.ts"
import type { MinerResponse, RoundInput, RoundResult } from "../scoring/types.ts"
import { roundEmbeddingsOf, roundTexts } from "./EmbeddingCache.ts"

/** The strategies measured: the demo's behaviours, plus the sybil entity (honest answers from k hotkeys of one coldkey/IP). */
export const STRATEGIES = ["honest", "slow", "junk", "copycat", "flaky", "sybil"] as const
export type Strategy = (typeof STRATEGIES)[number]

const BEHAVIOUR_OF: Readonly<Record<Strategy, BehaviourName>> = {
  honest: "honest",
  slow: "slow",
  junk: "fast-junk",
  copycat: "copycat",
  flaky: "flaky",
  sybil: "honest"
}

/** A miner's role in the measurement: one of the identical honest miners (the CV set), the low-stake honest one, the newcomer. */
export type Role = "identical" | "small" | "newcomer" | "whale" | "other"

export interface SimMiner {
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
  readonly strategy: Strategy
  readonly role: Role
  /** The round it registers in (0: from the start). */
  readonly joinRound: number
  /** Its stake (alpha), read by the stake blend and the performance policy's stake share. */
  readonly stake: number
}

export interface PopulationOptions {
  /** Identical honest miners (stake `stake.honest`). */
  readonly honest: number
  /** An extra honest miner with a tiny stake (stake blend: what it does to an honest small miner). */
  readonly smallHonest: boolean
  readonly slow: number
  /** Fast-junk miners; the first is a whale (stake `stake.whale`) when `stake.whale` > 0. */
  readonly junk: number
  readonly copycat: number
  readonly flaky: number
  /** Hotkeys of the one sybil entity (0: none). */
  readonly sybil: number
  /** Round in which one more honest miner registers (null: none). */
  readonly newcomerAt: number | null
  readonly stake: { readonly honest: number; readonly small: number; readonly whale: number; readonly newcomer: number }
}

/** The default population: 24 miners for 8 slots per round. Stakes: everyone 100 alpha, except as noted. */
export const DEFAULT_POPULATION: PopulationOptions = {
  honest: 8,
  smallHonest: true,
  slow: 2,
  junk: 3,
  copycat: 3,
  flaky: 3,
  sybil: 3,
  newcomerAt: 30,
  stake: { honest: 100, small: 1, whale: 5000, newcomer: 10 }
}

/** The population's miners in uid order (distinct coldkeys and IPs, except the sybil's hotkeys, which share both). */
export const makePopulation = (p: PopulationOptions): Array<SimMiner> => {
  const out: Array<SimMiner> = []
  const add = (strategy: Strategy, role: Role, stake: number, joinRound = 0) => {
    const uid = out.length
    const sybil = strategy === "sybil"
    out.push({
      uid,
      hotkey: `hk-${strategy}-${uid}`,
      coldkey: sybil ? "ck-sybil" : `ck-${uid}`,
      ip: sybil ? "10.9.9.9" : `10.0.${uid}.1`,
      strategy,
      role,
      joinRound,
      stake
    })
  }
  for (let k = 0; k < p.honest; k++) add("honest", "identical", p.stake.honest)
  if (p.smallHonest) add("honest", "small", p.stake.small)
  for (let k = 0; k < p.slow; k++) add("slow", "other", p.stake.honest)
  for (let k = 0; k < p.junk; k++) add("junk", k === 0 && p.stake.whale > 0 ? "whale" : "other", k === 0 && p.stake.whale > 0 ? p.stake.whale : p.stake.honest)
  for (let k = 0; k < p.copycat; k++) add("copycat", "other", p.stake.honest)
  for (let k = 0; k < p.flaky; k++) add("flaky", "other", p.stake.honest)
  for (let k = 0; k < p.sybil; k++) add("sybil", "other", p.stake.honest)
  if (p.newcomerAt !== null) add("honest", "newcomer", p.stake.newcomer, p.newcomerAt)
  return out
}

export interface PairSpec {
  readonly selection: SelectionKind
  readonly aggregation: AggregationKind
  readonly stakeBlend: boolean
}

export const pairName = (p: PairSpec): string => `${p.selection}×${p.aggregation}${p.stakeBlend ? "+stake" : ""}`

/** Every pair the comparison runs: 3 selections × (4 aggregations + ema and blend with the stake blend). */
export const ALL_PAIRS: ReadonlyArray<PairSpec> = (["availability", "groups", "performance"] as const).flatMap((selection) => [
  ...(["ema", "tournament", "cumulative", "blend"] as const).map((aggregation) => ({ selection, aggregation, stakeBlend: false })),
  { selection, aggregation: "ema" as const, stakeBlend: true },
  { selection, aggregation: "blend" as const, stakeBlend: true }
])

/** Vectors by text (EmbeddingCache fits) and the embedder of the texts not held yet. */
export interface TextVectors {
  readonly dim: number
  get(text: string): Float32Array | undefined
  put(text: string, vec: Float32Array): void
}
export type EmbedTexts = (texts: ReadonlyArray<string>) => Promise<Float32Array>

export interface SimOptions {
  readonly seed: number
  readonly rounds: number
  /** Miners asked per round (MAX_MINERS). */
  readonly maxPerRound: number
  /** Virtual time between round starts and the answer deadline (the demo: 3 s and 12 s). */
  readonly intervalMs: number
  readonly timeoutMs: number
  /** EMA step and decay, tournament group size (the validator's defaults: 0.3, 0.02, 25). */
  readonly alpha: number
  readonly decay: number
  readonly groupSize: number
  /** Score with the novelty memory (copies of earlier answers, constant answers), as the validator does. */
  readonly memory: boolean
}

export const DEFAULT_SIM: SimOptions = { seed: 1, rounds: 120, maxPerRound: 8, intervalMs: 3000, timeoutMs: 12_000, alpha: 0.3, decay: 0.02, groupSize: 25, memory: true }

export interface PairRun {
  readonly pair: PairSpec
  /** After each round r (0-based): each miner's weight, aligned with the population (0 when unweighted). */
  readonly weights: ReadonlyArray<ReadonlyArray<number>>
  /** The uids asked in each round. */
  readonly asked: ReadonlyArray<ReadonlyArray<number>>
  /** Per miner: answers scored above 0 / answers filtered or missing, over the run. */
  readonly paid: ReadonlyArray<number>
  readonly zeroed: ReadonlyArray<number>
}

interface Outcome {
  readonly at: number
  readonly ok: boolean
}

/** An answer the way the transport delivers it: text and latency, or an error at the time it is known. */
const deliver = (action: SimAction, timeoutMs: number): { readonly ms: number; readonly reply: Extract<SimAction, { reply: unknown }>["reply"] | null; readonly error?: string } => {
  switch (action.kind) {
    case "drop":
      return { ms: 1, reply: null, error: "ConnectError" }
    case "hang":
      return { ms: timeoutMs, reply: null, error: "Timeout" }
    case "raw":
      return { ms: Math.min(action.delayMs, timeoutMs), reply: null, error: action.delayMs > timeoutMs ? "Timeout" : "Decode" }
    case "reply":
    case "slow-body": {
      const ms = action.kind === "reply" ? action.delayMs : action.totalMs
      return ms > timeoutMs ? { ms: timeoutMs, reply: null, error: "Timeout" } : { ms, reply: action.reply }
    }
  }
}

/** The candidates the supervisor would build (actors/internal/selection.ts candidatesOf), from the virtual sessions. */
const candidates = (
  miners: ReadonlyArray<SimMiner>,
  outcomes: ReadonlyArray<ReadonlyArray<Outcome>>,
  now: number,
  performance: PerformanceState
): Array<SelectionCandidate> => {
  const maxStake = Math.max(0, ...miners.map((m) => m.stake))
  return miners.map((m) => {
    const done = outcomes[m.uid]!.filter((o) => o.at <= now).slice(-50)
    const rec = performance.miners[String(m.uid)]
    return {
      uid: m.uid,
      availability: done.length === 0 ? 1 : done.filter((o) => o.ok).length / done.length,
      probeOk: true,
      inFlight: outcomes[m.uid]!.filter((o) => o.at > now).length,
      ...(rec !== undefined && rec.hotkey === m.hotkey ? { record: rec } : {}),
      stakeShare: maxStake > 0 ? m.stake / maxStake : 0
    }
  })
}

/** Runs one pair over the population. `config.policies` gives the selection/aggregation parameters; the pair picks the kinds. */
export const runPair = async (
  pair: PairSpec,
  population: ReadonlyArray<SimMiner>,
  corpus: CorpusFile,
  config: ScoringConfig,
  o: SimOptions,
  vectors: TextVectors,
  embed: EmbedTexts,
  onRound?: (input: RoundInput, result: RoundResult) => void
): Promise<PairRun> => {
  let now = 0
  const board = new AnswerBoard(() => now)
  const handlers = population.map((m) => makeBehaviour(BEHAVIOUR_OF[m.strategy], { uid: m.uid, seed: o.seed, corpus, board }))
  const source = makeSyntheticSource(corpus, { seed: o.seed })
  const random = mulberry32(hash32(`select|${o.seed}`))
  const selection = { ...config.policies.selection, kind: pair.selection }
  const agg = makeAggregator({
    kind: pair.aggregation,
    alpha: o.alpha,
    decay: o.decay,
    groupSize: o.groupSize,
    policy: { ...config.policies.aggregation, stakeBlend: { ...config.policies.aggregation.stakeBlend, enabled: pair.stakeBlend } },
    tierWindow: config.policies.tiers.window
  })
  const memory = o.memory ? makeNoveltyMemory(config) : undefined
  const outcomes: Array<Array<Outcome>> = population.map(() => [])
  const pending: Array<{ readonly at: number; readonly input: RoundInput }> = []
  const paid = population.map(() => 0)
  const zeroed = population.map(() => 0)
  const weights: Array<Array<number>> = []
  const asked: Array<Array<number>> = []

  /** Scores and aggregates, in completion order, every round whose last answer is in by `t`. */
  const settle = async (t: number) => {
    pending.sort((a, b) => a.at - b.at)
    while (pending.length > 0 && pending[0]!.at <= t) {
      const { input } = pending.shift()!
      const missing = [...new Set(roundTexts(input))].filter((x) => vectors.get(x) === undefined)
      if (missing.length > 0) {
        const data = await embed(missing)
        missing.forEach((x, k) => vectors.put(x, data.subarray(k * vectors.dim, (k + 1) * vectors.dim)))
      }
      const result = scoreRound(input, roundEmbeddingsOf(input, (x) => vectors.get(x)!, vectors.dim), config, memory)
      for (const m of result.miners) {
        if (m.reward > 0) paid[m.uid]!++
        else zeroed[m.uid]!++
      }
      agg.update(result)
      onRound?.(input, result)
    }
  }

  for (let r = 0; r < o.rounds; r++) {
    now = r * o.intervalMs
    const registered = population.filter((m) => m.joinRound <= r)
    agg.sync(new Map(registered.map((m) => [m.uid, m.hotkey])), new Map(registered.map((m) => [m.uid, m.stake])))
    const challenge = source.next(`sim-${o.seed}-${r}`)
    const cands = candidates(registered, outcomes, now, agg.performance())
    const uids =
      pair.selection === "groups"
        ? [...agg.pickGroup(eligible(cands, selection.maxConcurrentTasks).map((c) => c.uid), o.maxPerRound)]
        : selectMiners(cands, o.maxPerRound, challenge.taskType, selection, random)
    asked.push([...uids].sort((a, b) => a - b))
    // copycats decide last: every answer of the round is on the board (their strongest case)
    const order = [...uids].sort((a, b) => Number(population[a]!.strategy === "copycat") - Number(population[b]!.strategy === "copycat") || a - b)
    const availability = new Map(cands.map((c) => [c.uid, c.availability]))
    const responses: Array<MinerResponse> = []
    let last = now
    for (const uid of order) {
      const m = population[uid]!
      const { challengeId, ...request } = challenge.request
      const action = await handlers[uid]!({ validatorHotkey: "validator", request: { ...request, challengeId } })
      const d = deliver(action, o.timeoutMs)
      outcomes[uid]!.push({ at: now + d.ms, ok: d.reply !== null })
      last = Math.max(last, now + d.ms)
      const base = { uid, hotkey: m.hotkey, coldkey: m.coldkey, ip: m.ip, availability: availability.get(uid) ?? 1 }
      responses.push(
        d.reply === null
          ? { ...base, text: "", latencyMs: null, finishReason: null, toolCalls: [], error: d.error ?? "Error" }
          : {
              ...base,
              text: d.reply.response_text,
              latencyMs: d.ms,
              finishReason: d.reply.finish_reason,
              toolCalls: d.reply.tool_calls.map((t) => ({ ...(t.id === undefined ? {} : { id: t.id }), name: t.function.name, arguments: t.function.arguments }))
            }
      )
    }
    if (responses.length > 0) {
      responses.sort((a, b) => a.uid - b.uid)
      pending.push({
        at: last,
        input: { id: challenge.id, prompt: challenge.request.prompt, taskType: challenge.taskType, reference: challenge.reference, tools: challenge.tools, responses }
      })
    }
    // the weights as they stand when the next round starts
    await settle(now + o.intervalMs)
    const w = new Map(agg.weights().map((x) => [x.uid, x.weight]))
    weights.push(population.map((m) => w.get(m.uid) ?? 0))
  }
  return { pair, weights, asked, paid, zeroed }
}
