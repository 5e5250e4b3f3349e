// Simulated miner behaviours. Each is a SimHandler: it decides a SimAction for one verified request.
// Handlers do not sleep; delays are carried in the action and applied by the front (HTTP axon,
// Fiber front, or the in-process transport through Effect's clock). Everything is seeded.
import type { ToolCallWire, Usage } from "../../domain/Inference.ts"
import { type CorpusFile, loadCorpus, matchToolPrompt, nearestEntry, words } from "../../challenges/Corpus.ts"
import type { SimAction, SimHandler, SimReply, SimRequest } from "./SimAction.ts"
import { hash32, mulberry32, type Rng } from "../../domain/random.ts"

export const BEHAVIOURS = ["honest", "fast-junk", "copycat", "slow", "flaky", "malformed", "offline"] as const
export type BehaviourName = (typeof BEHAVIOURS)[number]
export const isBehaviourName = (s: string): s is BehaviourName => (BEHAVIOURS as ReadonlyArray<string>).includes(s)

/** Lognormal latency with the given mean and standard deviation (of the latency itself, in ms). */
export interface LatencySpec {
  readonly meanMs: number
  readonly sdMs: number
}

export const DEFAULT_LATENCY: Readonly<Record<BehaviourName, LatencySpec>> = {
  honest: { meanMs: 800, sdMs: 300 },
  "fast-junk": { meanMs: 40, sdMs: 15 },
  copycat: { meanMs: 1200, sdMs: 300 },
  slow: { meanMs: 9000, sdMs: 3000 },
  flaky: { meanMs: 900, sdMs: 400 },
  malformed: { meanMs: 300, sdMs: 100 },
  offline: { meanMs: 0, sdMs: 0 }
}

export type MalformedKind = "invalid-json" | "wrong-types" | "huge"
export type Mix = Partial<Record<BehaviourName, number>>

export interface BehaviourOptions {
  readonly uid: number
  readonly seed: number
  readonly corpus?: CorpusFile
  readonly board?: AnswerBoard
  readonly latency?: Partial<Record<BehaviourName, LatencySpec>>
  /** flaky: share of requests dropped (socket closed) and hung (never answered). Default 0.15 each. */
  readonly flaky?: { readonly dropShare: number; readonly hangShare: number }
  /** slow: share of answers trickled as a slow body rather than sent late. Default 0.5. */
  readonly slowBodyShare?: number
  /** malformed: which kinds to produce (default all three) and the huge body size (default 5 MiB). */
  readonly malformed?: { readonly kinds?: ReadonlyArray<MalformedKind>; readonly hugeBytes?: number }
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** A lognormal sample with the given mean/sd (ms), never negative. */
export const sampleLatency = (rng: Rng, spec: LatencySpec): number => {
  if (spec.meanMs <= 0) return 0
  if (spec.sdMs <= 0) return spec.meanMs
  const sigma2 = Math.log(1 + (spec.sdMs * spec.sdMs) / (spec.meanMs * spec.meanMs))
  const mu = Math.log(spec.meanMs) - sigma2 / 2
  const u1 = Math.max(rng(), 1e-12)
  const u2 = rng()
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  return Math.exp(mu + Math.sqrt(sigma2) * z)
}

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => {
  const x = xs[Math.floor(rng() * xs.length)]
  if (x === undefined) throw new Error("pick from empty array")
  return x
}

// ---------------------------------------------------------------------------------------------
// Shared answer board (for copycats)

/**
 * Latest answer per prompt, by the miner that gave it, with the time it is delivered (decision time + the
 * miner's delay). Shared by all simulated miners of a run. A copycat can only copy what exists: it answers
 * no earlier than the answer it copies is delivered.
 */
export class AnswerBoard {
  private readonly byPrompt = new Map<string, Map<number, { reply: SimReply; availableAt: number }>>()
  constructor(private readonly now: () => number = Date.now) {}
  clock(): number {
    return this.now()
  }
  post(prompt: string, uid: number, reply: SimReply, delayMs = 0): void {
    const key = prompt.trim().toLowerCase()
    let m = this.byPrompt.get(key)
    if (m === undefined) {
      m = new Map()
      this.byPrompt.set(key, m)
    }
    m.delete(uid)
    m.set(uid, { reply, availableAt: this.now() + delayMs }) // insertion order = recency
  }
  /** The most recent answer to this prompt by a miner other than `uid`. */
  latestFrom(prompt: string, notUid: number): { readonly uid: number; readonly reply: SimReply; readonly availableAt: number } | undefined {
    const m = this.byPrompt.get(prompt.trim().toLowerCase())
    if (m === undefined) return undefined
    let found: { uid: number; reply: SimReply; availableAt: number } | undefined
    for (const [uid, e] of m) if (uid !== notUid) found = { uid, ...e }
    return found
  }
}

// ---------------------------------------------------------------------------------------------
// Answer construction

const SYNONYMS: Readonly<Record<string, ReadonlyArray<string>>> = {
  uses: ["employs", "relies on"],
  use: ["employ", "rely on"],
  large: ["big", "sizeable"],
  small: ["little", "minor"],
  important: ["significant", "key"],
  makes: ["produces", "creates"],
  make: ["produce", "create"],
  quickly: ["rapidly", "fast"],
  often: ["frequently", "commonly"],
  helps: ["assists", "aids"],
  main: ["primary", "chief"],
  example: ["instance", "illustration"],
  about: ["roughly", "around"],
  usually: ["typically", "generally"],
  also: ["additionally", "as well"],
  gives: ["provides", "yields"],
  shows: ["demonstrates", "illustrates"]
}
const OPENERS = ["", "", "", "In short, ", "Put simply, ", "Briefly: "]

/** Light, deterministic word-level variation of a paraphrase. */
export const varyWords = (rng: Rng, text: string): string => {
  const varied = text.replace(/\b[a-z]+\b/g, (w) => {
    const alts = SYNONYMS[w]
    return alts !== undefined && rng() < 0.3 ? pick(rng, alts) : w
  })
  const opener = pick(rng, OPENERS)
  return opener === "" ? varied : opener + varied.charAt(0).toLowerCase() + varied.slice(1)
}

const usageFor = (prompt: string, text: string): Usage => {
  const p = Math.ceil(words(prompt).length * 1.3) + 8
  const c = Math.ceil(words(text).length * 1.3)
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c }
}

/** The prompt the miner answers: `prompt`, or the last user message when the prompt is empty. */
export const effectivePrompt = (req: SimRequest): string => {
  if (req.request.prompt.trim() !== "") return req.request.prompt
  for (let i = req.request.messages.length - 1; i >= 0; i--) {
    const m = req.request.messages[i]
    if (m !== undefined && m.role === "user" && m.content !== null) return m.content
  }
  return ""
}

const sentences = (text: string): Array<string> => text.match(/[^.!?]+[.!?]+(\s|$)/g)?.map((x) => x.trim()) ?? [text]

/**
 * An honest answer at paraphrase level, the way independent LLM runs differ: one paraphrase as the base,
 * sometimes trimmed to its first sentences, sometimes extended by a sentence of another paraphrase.
 */
export const composeAnswer = (rng: Rng, answers: ReadonlyArray<string>): string => {
  const base = sentences(pick(rng, answers))
  const keep = base.length > 2 && rng() < 0.35 ? base.slice(0, base.length - 1) : base
  if (rng() < 0.5 && answers.length > 1) {
    const extra = sentences(pick(rng, answers)).filter((x) => !keep.includes(x))
    if (extra.length > 0) keep.push(pick(rng, extra))
  }
  return keep.join(" ")
}

/** An honest answer (tool call when tools are offered and the prompt is a known tool prompt). */
export const honestReply = (corpus: CorpusFile, rng: Rng, req: SimRequest, uid: number, n: number): SimReply => {
  const prompt = effectivePrompt(req)
  if (req.request.tools.length > 0) {
    const tp = matchToolPrompt(corpus, prompt)
    if (tp !== undefined) {
      const call: ToolCallWire = {
        id: `call_${uid}_${n}`,
        type: "function",
        function: { name: tp.expected.name, arguments: JSON.stringify(tp.expected.arguments) }
      }
      return { response_text: tp.answer, tool_calls: [call], finish_reason: "tool_calls", usage: usageFor(prompt, tp.answer) }
    }
  }
  const entry = nearestEntry(corpus, prompt)
  const text = varyWords(rng, composeAnswer(rng, entry.answers))
  return { response_text: text, tool_calls: [], finish_reason: "stop", usage: usageFor(prompt, text) }
}

const junkReply = (corpus: CorpusFile, rng: Rng, prompt: string): SimReply => {
  const r = rng()
  const text = r < 0.4
    ? pick(rng, corpus.entries).decoy
    : r < 0.6
    ? "I don't know."
    : r < 0.8
    ? words(prompt).sort(() => rng() - 0.5).join(" ")
    : "ok"
  return { response_text: text, tool_calls: [], finish_reason: "stop", usage: usageFor(prompt, text) }
}

const malformedBody = (rng: Rng, kinds: ReadonlyArray<MalformedKind>, hugeBytes: number): string => {
  switch (pick(rng, kinds)) {
    case "invalid-json":
      return `{"response_text": "unterminated, "finish_reason": stop`
    case "wrong-types":
      return JSON.stringify({ response_text: 42, tool_calls: "none", finish_reason: 7, usage: { total_tokens: "many" } })
    case "huge":
      return JSON.stringify({ response_text: "x".repeat(hugeBytes), tool_calls: [], finish_reason: "length", usage: null })
  }
}

// ---------------------------------------------------------------------------------------------
// Behaviours

/** Builds the SimHandler for one behaviour. Deterministic given the seed, uid and request sequence. */
export const makeBehaviour = (name: BehaviourName, options: BehaviourOptions): SimHandler => {
  const corpus = options.corpus ?? loadCorpus()
  const board = options.board ?? new AnswerBoard()
  const latency: LatencySpec = options.latency?.[name] ?? DEFAULT_LATENCY[name]
  const { uid } = options
  const seen = new Map<string, number>()
  const flaky = options.flaky ?? { dropShare: 0.15, hangShare: 0.15 }
  const slowBodyShare = options.slowBodyShare ?? 0.5
  const malformedKinds = options.malformed?.kinds ?? ["invalid-json", "wrong-types", "huge"]
  const hugeBytes = options.malformed?.hugeBytes ?? 5 * 1024 * 1024

  const decide = (req: SimRequest): SimAction => {
    const prompt = effectivePrompt(req)
    const n = (seen.get(prompt) ?? 0) + 1
    seen.set(prompt, n)
    const rng = mulberry32(hash32(`${options.seed}|${uid}|${name}|${n}|${prompt}`))
    const delayMs = sampleLatency(rng, latency)
    const honest = () => {
      const reply = honestReply(corpus, rng, req, uid, n)
      board.post(prompt, uid, reply, delayMs)
      return reply
    }
    switch (name) {
      case "honest":
        return { kind: "reply", reply: honest(), delayMs }
      case "fast-junk":
        return { kind: "reply", reply: junkReply(corpus, rng, prompt), delayMs }
      case "copycat": {
        const other = board.latestFrom(prompt, uid)
        const reply: SimReply = other !== undefined
          ? other.reply
          : { ...junkReply(corpus, rng, prompt), response_text: nearestEntry(corpus, prompt).decoy }
        // it needs the copied answer first: never before that answer is delivered (+ a relay hop)
        const wait = other === undefined ? delayMs : Math.max(delayMs, other.availableAt - board.clock() + 20)
        return { kind: "reply", reply, delayMs: wait }
      }
      case "slow":
        return rng() < slowBodyShare
          ? { kind: "slow-body", reply: honest(), totalMs: delayMs }
          : { kind: "reply", reply: honest(), delayMs }
      case "flaky": {
        const r = rng()
        if (r < flaky.dropShare) return { kind: "drop" }
        if (r < flaky.dropShare + flaky.hangShare) return { kind: "hang" }
        return { kind: "reply", reply: honest(), delayMs }
      }
      case "malformed":
        return { kind: "raw", status: 200, body: malformedBody(rng, malformedKinds, hugeBytes), delayMs }
      case "offline":
        return { kind: "drop" }
    }
  }
  return (req) => Promise.resolve(decide(req))
}

// ---------------------------------------------------------------------------------------------
// Mixes

/** Parses "honest=0.6,copycat=0.1,..." into a Mix; throws on unknown names or bad numbers. */
export const parseMix = (spec: string): Mix => {
  const mix: Partial<Record<BehaviourName, number>> = {}
  for (const part of spec.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const [k, v] = part.split("=")
    const share = Number(v)
    if (k === undefined || !isBehaviourName(k)) throw new Error(`unknown behaviour "${k}" (known: ${BEHAVIOURS.join(", ")})`)
    if (!Number.isFinite(share) || share < 0) throw new Error(`bad share for ${k}: "${v}"`)
    mix[k] = share
  }
  return mix
}

/**
 * Behaviour per uid: counts by largest remainder of count·share (shares normalised), then a seeded
 * shuffle so behaviours are not grouped by uid.
 */
export const assignBehaviours = (count: number, mix: Mix, seed: number): Array<BehaviourName> => {
  const entries = BEHAVIOURS.map((b) => [b, mix[b] ?? 0] as const).filter(([, s]) => s > 0)
  const total = entries.reduce((acc, [, s]) => acc + s, 0)
  if (total <= 0) return Array.from({ length: count }, () => "honest")
  const exact = entries.map(([b, s]) => ({ b, x: (count * s) / total }))
  const counts = exact.map(({ b, x }) => ({ b, n: Math.floor(x), rem: x - Math.floor(x) }))
  let left = count - counts.reduce((acc, c) => acc + c.n, 0)
  for (const c of [...counts].sort((p, q) => q.rem - p.rem)) {
    if (left <= 0) break
    c.n++
    left--
  }
  const out: Array<BehaviourName> = counts.flatMap(({ b, n }) => Array.from({ length: n }, () => b))
  const rng = mulberry32(hash32(`assign|${seed}`))
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const a = out[i]
    const b = out[j]
    if (a !== undefined && b !== undefined) {
      out[i] = b
      out[j] = a
    }
  }
  return out
}

export interface SimBrain {
  readonly uid: number
  readonly behaviour: BehaviourName
  readonly handler: SimHandler
}

export interface SimBrainsOptions {
  readonly count: number
  readonly mix: Mix
  readonly seed: number
  readonly latency?: Partial<Record<BehaviourName, LatencySpec>>
  readonly corpus?: CorpusFile
  readonly board?: AnswerBoard
  readonly behaviourOptions?: Omit<BehaviourOptions, "uid" | "seed" | "corpus" | "board" | "latency">
}

/** `count` simulated miner brains (uids 0..count-1) sharing one answer board; no sockets. */
export const makeSimBrains = (o: SimBrainsOptions): Array<SimBrain> => {
  const corpus = o.corpus ?? loadCorpus()
  const board = o.board ?? new AnswerBoard()
  return assignBehaviours(o.count, o.mix, o.seed).map((behaviour, uid) => ({
    uid,
    behaviour,
    handler: makeBehaviour(behaviour, {
      ...o.behaviourOptions,
      uid,
      seed: o.seed,
      corpus,
      board,
      ...(o.latency !== undefined ? { latency: o.latency } : {})
    })
  }))
}
