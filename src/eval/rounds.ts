// Evaluation rounds from the data set: per round one prompt, K sampled honest models, every concise/verbose
// variant and one answer of each adversary kind, each miner with its stable identity and a realistic latency.
// Pure and seeded: round r depends only on (data set, options, r), not on how many rounds are built.
import { mulberry32 } from "../domain/random.ts"
import type { MinerResponse, RoundInput } from "../scoring/types.ts"
import { ADVERSARY_KINDS, makeAdversaries, shuffle, type AdversaryKind } from "./adversaries.ts"
import { baseModels, variantModels, type Dataset } from "./dataset.ts"
import { hash32 } from "../domain/random.ts"
import { assignIdentities, latencyMs, speedProfile, type Identity } from "./identity.ts"

export interface EvalOptions {
  readonly seed: number
  /** Honest models per round. */
  readonly models: number
  /** Give each round a reference answer by `referenceModel` (then not a miner). */
  readonly reference: boolean
  /** Default: the base model with the highest LC win rate. */
  readonly referenceModel?: string | undefined
}

export type MinerKind = "honest" | "variant" | "adversary"

export interface EvalMiner {
  readonly uid: number
  /** Model name, or `adv:<kind>`. */
  readonly name: string
  readonly kind: MinerKind
  readonly adversary?: AdversaryKind
}

export interface EvalPlan {
  readonly options: EvalOptions
  /** Prompt positions (into dataset.prompts) in round order. */
  readonly order: ReadonlyArray<number>
  /** Base models miners are sampled from (the reference model excluded). */
  readonly pool: ReadonlyArray<string>
  readonly variants: ReadonlyArray<string>
  readonly referenceModel: string | null
  readonly identities: ReadonlyMap<string, Identity>
}

export interface EvalRound {
  readonly input: RoundInput
  readonly promptIndex: number
  /** Aligned with input.responses. */
  readonly miners: ReadonlyArray<EvalMiner>
}

export const adversaryName = (kind: AdversaryKind): string => `adv:${kind}`

/** The top-LC base model (ties: by name). */
export const strongestModel = (d: Dataset): string | null => {
  const ranked = baseModels(d)
    .filter((m) => d.lc.has(m))
    .sort((a, b) => d.lc.get(b)! - d.lc.get(a)! || (a < b ? -1 : 1))
  return ranked[0] ?? null
}

export const makePlan = (d: Dataset, options: EvalOptions): EvalPlan => {
  const referenceModel = options.reference ? (options.referenceModel ?? strongestModel(d)) : null
  if (referenceModel !== null && !d.outputs.has(referenceModel)) throw new Error(`reference model ${referenceModel} has no outputs in the data set`)
  const pool = baseModels(d).filter((m) => m !== referenceModel)
  const variants = variantModels(d)
  const order = shuffle(
    d.prompts.map((_, k) => k),
    mulberry32(hash32(`order:${options.seed}`))
  )
  const identities = assignIdentities([...pool, ...variants, ...ADVERSARY_KINDS.map(adversaryName)])
  return { options, order, pool, variants, referenceModel, identities }
}

const response = (id: Identity, text: string, latency: number): MinerResponse => ({
  uid: id.uid,
  hotkey: id.hotkey,
  coldkey: id.coldkey,
  ip: id.ip,
  text,
  latencyMs: latency,
  finishReason: "stop",
  toolCalls: []
})

const words = (text: string): Array<string> => text.split(/\s+/).filter((w) => w !== "" && w.length <= 30)

/** Round r of the plan (0 ≤ r < plan.order.length). */
export const buildRound = (d: Dataset, plan: EvalPlan, r: number): EvalRound => {
  const pos = plan.order[r]
  if (pos === undefined) throw new RangeError(`round ${r}: the data set has ${plan.order.length} prompts`)
  const prompt = d.prompts[pos]!
  const rng = mulberry32(hash32(`round:${plan.options.seed}:${r}`))
  const answer = (model: string, index: number) => d.outputs.get(model)?.get(index)
  const available = plan.pool.filter((m) => answer(m, prompt.index) !== undefined)
  const honest = shuffle(available, rng).slice(0, Math.max(1, plan.options.models)).sort()
  const variants = plan.variants.filter((m) => answer(m, prompt.index) !== undefined)

  const miners: Array<EvalMiner> = []
  const responses: Array<MinerResponse> = []
  const honestAnswers: Array<{ text: string; latencyMs: number }> = []
  for (const model of [...honest, ...variants]) {
    const id = plan.identities.get(model)!
    const text = answer(model, prompt.index)!
    const latency = latencyMs(speedProfile(model), text.length, rng)
    miners.push({ uid: id.uid, name: model, kind: honest.includes(model) ? "honest" : "variant" })
    responses.push(response(id, text, latency))
    if (honest.includes(model)) honestAnswers.push({ text, latencyMs: latency })
  }

  // answers to other prompts: the junk vocabulary and the wrong-prompt answer
  const others = d.prompts.filter((_, k) => k !== pos)
  const vocabulary: Array<string> = []
  for (let k = 0; k < 3 && others.length > 0; k++) {
    const other = others[Math.floor(rng() * others.length)]!
    for (const m of shuffle(plan.pool, rng).slice(0, 4)) vocabulary.push(...words(answer(m, other.index) ?? ""))
  }
  let otherPromptAnswer = ""
  for (let tries = 0; tries < 20 && otherPromptAnswer === "" && others.length > 0; tries++) {
    const other = others[Math.floor(rng() * others.length)]!
    otherPromptAnswer = answer(plan.pool[Math.floor(rng() * plan.pool.length)]!, other.index) ?? ""
  }
  if (honestAnswers.length > 0) {
    for (const adv of makeAdversaries({ prompt: prompt.instruction, honest: honestAnswers, vocabulary, otherPromptAnswer }, rng)) {
      const id = plan.identities.get(adversaryName(adv.kind))!
      miners.push({ uid: id.uid, name: id.name, kind: "adversary", adversary: adv.kind })
      responses.push(response(id, adv.text, adv.latencyMs))
    }
  }
  const reference = plan.referenceModel === null ? null : (answer(plan.referenceModel, prompt.index) ?? null)
  return {
    promptIndex: prompt.index,
    miners,
    input: {
      id: `eval-s${plan.options.seed}-p${prompt.index}`,
      prompt: prompt.instruction,
      taskType: "chat",
      reference,
      tools: [],
      responses
    }
  }
}
