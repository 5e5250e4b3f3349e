// Round scoring: RoundInput + RoundEmbeddings + config (+ the novelty memory) → RoundResult. Pure and
// deterministic; the only state it touches is the optional NoveltyMemory, which it reads and then extends.
//
// Stages (every step in canonical uid order, so the result does not depend on the order of responses):
//  1. answer facts and first filters (filters.ts): error → empty → invalid_tool_calls → echo → low_quality.
//  2. copies, by word sequences (copies.ts, novelty.ts): another hotkey's earlier answer to this prompt, this hotkey's
//     own text sent to a different prompt (constant), a faster answer of this round, replayed tool-call ids. Each
//     hotkey's copy record (copyRecord.ts, in the memory) forgives a clean hotkey's short copy evidence and takes
//     the common-ground excuse from a copier.
//  3. content (support.ts): coverage of what the other entities agree on, entity-weighted, with the reference
//     as a strong voice when the round has one → no_content, off_topic (no shared content and no shared
//     meaning), incomplete (a small part of the round's median coverage). The filters read this first pass; the
//     coverage axis reads a second one over the eligible answers only, each entity's voice weighed by its
//     first-pass coverage (support.ts), so filtered text does not decide what is common.
//  4. axes (registry, axes.ts) → weighted score with the task type's weights, renormalized over the axes that apply;
//     rewards: filtered answers earn exactly 0; the rest share 1 in proportion to their score, miners of one
//     entity splitting one share (a lone eligible answer earns 1). Rewards sum to 1 or are all 0 (result.ts).
import { clamp01, type AxisContext } from "./axes.ts"
import { averageLinkage } from "./cluster.ts"
import { calibrationFor, taskProfile, type ScoringConfig } from "./config.ts"
import { entitiesOf } from "./entities.ts"
import { median } from "./stats.ts"
import { markCopies, remember } from "./copies.ts"
import { answerFacts } from "./filters.ts"
import { languagePeers } from "./language.ts"
import { contentUnits, promptEvidence } from "./lexical.ts"
import { NoveltyMemory, promptKey } from "./novelty.ts"
import { DEFAULT_AXES, type AxisRegistry } from "./registry.ts"
import { dotRows } from "./similarity.ts"
import { axisCoverage, contentSupport } from "./support.ts"
import { toolAgreement } from "./tools.ts"
import { effectiveWeights, roundResult } from "./result.ts"
import type { FilterReason, MinerResponse, RoundEmbeddings, RoundInput, RoundResult } from "./types.ts"

export { isIdentityIp } from "./entities.ts"
export { explain } from "./result.ts"
export { NoveltyMemory } from "./novelty.ts"

export interface ScoreRoundOptions {
  /** Axis registry (default DEFAULT_AXES). */
  readonly registry?: AxisRegistry
  /** Name of the embedding model, selecting its calibration (default: the config's "default"). */
  readonly model?: string
}

/** A NoveltyMemory sized by the config. */
export const makeNoveltyMemory = (config: ScoringConfig): NoveltyMemory =>
  new NoveltyMemory({
    capacity: config.novelty.capacity,
    perPrompt: config.novelty.perPrompt,
    perHotkey: config.novelty.perHotkey,
    ...(config.novelty.copyRecord === undefined ? {} : { recordWindow: config.novelty.copyRecord.window })
  })

const EPS = 1e-9
/** Answers of at most this many words are judged by their words when their embedding is far from the others'. */
const TERSE_WORDS = 3
/** Word pairs an answer needs before the absence of shared pairs says anything. */
const MIN_PAIRS = 12
/** Entities a round needs before a median of shared word pairs says what is normal. */
const MIN_SALAD_VOICES = 5

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Canonical order: by uid, then hotkey (then input position, only for duplicate uid+hotkey). */
const canonicalOrder = (responses: ReadonlyArray<MinerResponse>): Array<number> =>
  responses
    .map((_, k) => k)
    .sort((a, b) => responses[a]!.uid - responses[b]!.uid || compareStrings(responses[a]!.hotkey, responses[b]!.hotkey) || a - b)

/**
 * Scores one round. `memory` (optional) is consulted for copies of other hotkeys' earlier answers and for
 * constant answers, then extended with this round's answers. Throws RangeError only on embeddings that do not
 * fit the input.
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
  const calibration = calibrationFor(config, options.model)

  const order = canonicalOrder(input.responses)
  const responses = order.map((k) => input.responses[k]!)
  const round: RoundInput = { ...input, responses }
  const rowOf = (i: number) => order[i]! * dim
  const sim = (i: number, j: number) => emb.similarity[order[i]! * n + order[j]!]!

  // ---- 1. facts and first filters
  const prompt = promptEvidence(input.prompt, config.lexical.shingleSize)
  const facts = responses.map((r) => answerFacts(r, input, prompt, config))
  const kinds = facts.map((f) => f.kind)
  const filtered: Array<FilterReason | null> = facts.map((f) => f.filtered)
  const notes: Array<string | undefined> = facts.map((f) => f.note)
  const promptCos = new Float64Array(n)
  const referenceCos = emb.reference !== null && input.reference !== null ? new Float64Array(n) : null
  for (let i = 0; i < n; i++) {
    if (kinds[i] === "none") continue
    promptCos[i] = dotRows(emb.prompt, 0, emb.responses, rowOf(i), dim)
    if (referenceCos !== null && emb.reference !== null) referenceCos[i] = dotRows(emb.reference, 0, emb.responses, rowOf(i), dim)
  }

  // ---- 2. copies
  const pk = promptKey(input.prompt)
  const { memoryShare, evidence, standings } = markCopies(responses, facts, filtered, notes, config, pk, memory, prompt)
  const afterCopies = filtered.map((f) => f === null)

  // ---- 3. content support and agreement
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
  const textValid = afterCopies.map((v, i) => v && kinds[i] === "text")
  const textEntities = entitiesOf(responses, textValid, config.entityWeighting)
  const supportInput = {
    units: facts.map((f) => f.lexical?.units ?? new Map<string, number>()),
    entity: textEntities.entity,
    promptUnits: prompt.units,
    referenceUnits: input.reference === null ? null : contentUnits(input.reference)
  }
  const support = contentSupport(supportInput, config.content)
  // agreement with each other entity is its best-agreeing member's (an entity counts once, whatever it sent)
  const bestByEntity = (i: number, among: Iterable<number>): Map<number, number> => {
    const best = new Map<number, number>()
    for (const j of among) {
      const e = textEntities.entity[j]!
      if (j === i || e < 0 || e === textEntities.entity[i]) continue
      best.set(e, Math.max(best.get(e) ?? -1, agreement[i * n + j]!))
    }
    return best
  }
  const everyAnswer = Array.from({ length: n }, (_, j) => j)
  const meanAgreement = (i: number): number => {
    const best = bestByEntity(i, everyAnswer)
    let num = 0
    for (const a of best.values()) num += a
    let den = best.size
    if (referenceCos !== null) {
      num += config.content.referenceWeight * referenceCos[i]!
      den += config.content.referenceWeight
    }
    return den === 0 ? 1 : num / den
  }
  const informative = textValid.flatMap((v, i) => (v && support.informative[i] ? [support.coverage[i]!] : []))
  const medianCoverage = median(informative)
  const medianPairSupport = median(textValid.flatMap((v, i) => (v && support.pairs[i]! >= MIN_PAIRS ? [support.pairSupport[i]!] : [])))
  const cc = config.content
  const voices = new Set(textEntities.entity.filter((e) => e >= 0)).size // text entities taking part
  const runOf = (i: number) => facts[i]!.lexical?.run ?? ""
  // the other entities whose text answers hold an answer's words as a run: as their opening, or inside them
  const runHolders = (i: number): { readonly opening: Set<number>; readonly inside: Set<number> } => {
    const opening = new Set<number>()
    const inside = new Set<number>()
    for (let j = 0; j < n; j++) {
      if (j === i || kinds[j] !== "text" || textEntities.entity[j] === textEntities.entity[i]) continue
      if (runOf(j).startsWith(runOf(i))) opening.add(textEntities.entity[j]!)
      else if (runOf(j).includes(runOf(i))) inside.add(textEntities.entity[j]!)
    }
    return { opening, inside }
  }
  // an answer whose words are a run of another entity's answer (its first sentence, say) is a part, not an answer
  const partOfAnother = (i: number): boolean => {
    if (runOf(i).length <= 2) return false
    const { opening, inside } = runHolders(i)
    return opening.size + inside.size > 0
  }
  // a terse answer is part of longer ones by nature ("is true.", "… and romance."): when more other entities say
  // it inside their answers than open with it ("Sure!" leads into an answer), it is their answer in brief
  const saidWithin = (i: number): boolean => {
    const { opening, inside } = runHolders(i)
    return inside.size >= config.lexical.commonEntities && inside.size > opening.size
  }
  // an answer in the prompt's other language (a French story's question answered in French) is far in meaning from
  // the round's answers to a monolingual model: its agreement is the mean cosine to the answers in its language
  const peersOf = languagePeers(input.prompt, responses.map((r, i) => (textValid[i] ? r.text : null)), textEntities.entity)
  const agreementInLanguage = (i: number): number | null => {
    const best = bestByEntity(i, peersOf(i))
    return best.size === 0 ? null : [...best.values()].reduce((a, b) => a + b, 0) / best.size
  }
  const agreements = textValid.map((v, i) => (v && support.informative[i] ? meanAgreement(i) : Number.NaN))
  const medianAgreement = median(agreements.filter((a) => !Number.isNaN(a)))
  // the same text from enough other entities is common ground (a one-word answer everyone agrees on: "C", "Bonsoir")
  const verbatimEntities = (i: number): number =>
    new Set(textEntities.entity.filter((e, j) => j !== i && textValid[j] && e !== textEntities.entity[i] && facts[j]!.hash === facts[i]!.hash)).size
  const close = (a: number) => medianAgreement !== null && a >= calibration.typicalAgreementShare * medianAgreement && a >= calibration.typicalAgreementFloor
  const offTopicBar = (astray: boolean): number => (astray ? (config.novelty.copyRecord?.astrayCoverage ?? cc.offTopicCoverage) : cc.offTopicCoverage)
  let anyForeign = false // an answer was judged in its own language
  for (let i = 0; i < n; i++) {
    if (!textValid[i] || !support.informative[i]) continue
    const cov = support.coverage[i]!
    let agree = agreements[i]!
    // close in meaning to the others (≥ a share of the round's median agreement, and above a floor for rounds
    // where nothing agrees): a creative or terse answer in its own words (mottos, names, one-line answers), not
    // junk — it is not no_content/off_topic, nor incomplete unless it is a run of another answer; it is paid by
    // its (low) coverage
    const common = cov > EPS && verbatimEntities(i) >= config.lexical.commonEntities
    // a terse answer ("Resilience", "3 stars", "Robert C. Weaver") embeds far from long explanations; when every
    // content word of its own is one other entities wrote too, it is their answer in brief, not junk
    const words = facts[i]!.lexical?.tokens.length ?? Infinity
    const terse = words <= TERSE_WORDS && support.novelUnits[i]! > 0 && support.supported[i]! >= 1 - EPS && (cov > EPS || saidWithin(i))
    // a hotkey whose recent answers mostly missed their prompts gets no "close in meaning" excuse (copyRecord.ts)
    const astray = standings[i] === "astray"
    let typical = !astray && (common || terse || close(agree))
    // its word pairs are in another language too: word salad is not judged against the round's
    let foreign = false
    if (!typical && !astray) {
      const inLanguage = agreementInLanguage(i)
      if (inLanguage !== null && inLanguage > agree) [agree, typical, foreign] = [inLanguage, close(inLanguage), true]
      anyForeign ||= foreign
    }
    if (cov <= EPS && !typical) [filtered[i], notes[i]] = ["no_content", "holds none of the content the other answers agree on"]
    else if (!typical && (agree < calibration.offTopicCosine || astray) && (medianCoverage === null || cov < offTopicBar(astray) * medianCoverage)) {
      const why = astray ? "its recent answers mostly missed their prompts" : `mean cos ${agree.toFixed(3)} to the others${foreign ? " in its language" : ""} < ${calibration.offTopicCosine}`
      ;[filtered[i], notes[i]] = ["off_topic", `${why}, coverage ${cov.toFixed(3)} < ${offTopicBar(astray)} × the median`]
    } else if (
      !foreign &&
      support.pairs[i]! >= MIN_PAIRS &&
      voices >= MIN_SALAD_VOICES &&
      medianPairSupport !== null &&
      medianPairSupport >= cc.wordSaladMinMedian &&
      support.pairSupport[i]! < cc.wordSaladPairShare * medianPairSupport &&
      (agree < calibration.wordSaladCosine || support.pairSupport[i]! < (cc.wordSaladStrictShare ?? 0) * medianPairSupport)
    ) {
      ;[filtered[i], notes[i]] = [
        "low_quality",
        `word salad: ${(support.pairSupport[i]! * 100).toFixed(0)}% of its ${support.pairs[i]} word pairs occur elsewhere (median ${(medianPairSupport * 100).toFixed(0)}%), mean cos ${agree.toFixed(3)}`
      ]
    } else if (medianCoverage !== null && cov < cc.incompleteShare * medianCoverage && !common && !(terse && saidWithin(i)) && !(typical && !partOfAnother(i))) {
      ;[filtered[i], notes[i]] = ["incomplete", `coverage ${cov.toFixed(3)} < ${cc.incompleteShare} × the round's median ${medianCoverage.toFixed(3)}`]
    }
  }
  // an answer with no peer to compare (and no reference) is judged against the prompt alone
  if (voices === 1 && input.reference === null) {
    for (let i = 0; i < n; i++) {
      if (!textValid[i] || filtered[i] !== null) continue
      if (promptCos[i]! < calibration.aloneRelevanceFloor) {
        ;[filtered[i], notes[i]] = ["off_topic", `no peer to compare and cos(prompt) ${promptCos[i]!.toFixed(3)} < ${calibration.aloneRelevanceFloor}`]
      }
    }
  }
  // a round most entities answered with tool calls expects a call: a text-only answer there misses the task
  const toolEntities = new Set(entitiesOf(responses, afterCopies.map((v, i) => v && kinds[i] === "tool"), config.entityWeighting).entity.filter((e) => e >= 0)).size
  if (toolEntities >= config.thresholds.minConsensusEntities && toolEntities > voices) {
    for (let i = 0; i < n; i++) {
      if (filtered[i] === null && kinds[i] === "text") [filtered[i], notes[i]] = ["off_topic", `a text answer where ${toolEntities} entities called a tool`]
    }
  }
  const eligible = filtered.map((f) => f === null)
  const entities = entitiesOf(responses, eligible, config.entityWeighting)
  // the axis: only eligible answers say what is common (junk, copies and echoes neither add units nor raise the
  // share a unit needs), their voices weighted by the first pass
  const axisEntity = textEntities.entity.map((e, i) => (eligible[i] ? e : -1))
  const coverage = informative.length > 0 ? axisCoverage({ ...supportInput, entity: axisEntity }, support.coverage, config.content) : null
  // an answer judged in its own language covers what the eligible answers in that language agree on
  // (all of them once one was: the languages are known by then)
  if (coverage !== null && anyForeign) {
    for (let i = 0; i < n; i++) {
      const peers = eligible[i] && kinds[i] === "text" ? peersOf(i) : []
      if (peers.length === 0) continue
      const group = new Set([i, ...peers.filter((j) => eligible[j])])
      const groupEntity = axisEntity.map((e, j) => (group.has(j) ? e : -1))
      const inLanguage = axisCoverage({ ...supportInput, entity: groupEntity, referenceUnits: null }, support.coverage, config.content)
      coverage[i] = Math.max(coverage[i]!, inLanguage[i]!)
    }
  }

  // consensus (reported): the heaviest average-linkage cluster of the eligible answers
  const labels = new Int32Array(n).fill(-1)
  let consensusMembers: Array<number> = []
  const eligibleIdx = eligible.flatMap((v, i) => (v ? [i] : []))
  if (eligibleIdx.length >= 2) {
    labels.set(averageLinkage(agreement, n, calibration.consensusDistance, eligible))
    const groups = new Map<number, Array<number>>()
    for (const i of eligibleIdx) groups.set(labels[i]!, [...(groups.get(labels[i]!) ?? []), i])
    const stats = [...groups.values()].map((members) => ({
      members,
      mass: members.reduce((s, i) => s + entities.weight[i]!, 0),
      entities: new Set(members.map((i) => entities.entity[i]!)).size,
      minUid: Math.min(...members.map((i) => responses[i]!.uid))
    }))
    stats.sort((a, b) => (Math.abs(a.mass - b.mass) > EPS ? b.mass - a.mass : a.minUid - b.minUid))
    if (stats[0]!.entities >= config.thresholds.minConsensusEntities) consensusMembers = stats[0]!.members
  }

  const medianLatencyMs = median(
    eligibleIdx.map((i) => responses[i]!.latencyMs).filter((t): t is number => t !== null && Number.isFinite(t))
  )

  // ---- 4. axes, score, rewards
  const ctx: AxisContext = {
    input: round,
    n,
    config,
    calibration,
    profile,
    kinds,
    promptCos,
    referenceCos,
    agreement,
    toolValid: facts.map((f) => f.toolValid),
    quality: Float64Array.from(facts, (f) => f.quality),
    valid: eligible,
    entities,
    coverage,
    medianLatencyMs,
    memoryShare
  }
  const values = new Map<string, Float64Array>()
  for (const [name, axis] of registry) {
    const v = axis(ctx)
    if (v !== null) values.set(name, v)
  }
  const weights = effectiveWeights(profile.weights, values, config)
  const scores = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (const [k, w] of Object.entries(weights)) s += w * values.get(k)![i]!
    scores[i] = clamp01(s)
  }
  const rewards = new Float64Array(n)
  if (eligibleIdx.length === 1) rewards[eligibleIdx[0]!] = 1
  else {
    const sum = eligibleIdx.reduce((s, i) => s + scores[i]! * entities.weight[i]!, 0)
    if (sum > 0) for (const i of eligibleIdx) rewards[i] = (scores[i]! * entities.weight[i]!) / sum
  }

  if (memory !== undefined) remember(memory, pk, input.id, responses, facts, afterCopies, evidence, filtered)
  return roundResult(input, profile.name, order, responses, values, scores, rewards, filtered, notes, labels, consensusMembers, weights, entities.weight)
}
