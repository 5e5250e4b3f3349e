// Shared synthetic rounds for the scoreRound property tests (properties.test.ts): a recipe of honest, junk,
// error, empty, sybil and copy miners, built into a round with embeddings, and the scorer under the default config.
import fc from "fast-check"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import { NoveltyMemory, scoreRound } from "../../src/scoring/round.ts"
import type { RoundResult } from "../../src/scoring/types.ts"
import {
  answerDirection,
  around,
  buildRound,
  orthogonalTo,
  prose,
  randomUnit,
  rng,
  type SynthResponse,
  type SynthRound
} from "../fixtures/rounds/synthetic.ts"

export const DIM = 64
export const config = DEFAULT_SCORING_CONFIG

export interface Recipe {
  readonly seed: number
  readonly honest: number
  readonly junk: number
  readonly errors: number
  readonly empty: number
  readonly sybils: number
  readonly copies: number
}

export const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  honest: fc.integer({ min: 0, max: 6 }),
  junk: fc.integer({ min: 0, max: 3 }),
  errors: fc.integer({ min: 0, max: 2 }),
  empty: fc.integer({ min: 0, max: 2 }),
  sybils: fc.integer({ min: 0, max: 3 }),
  copies: fc.integer({ min: 0, max: 2 })
})

export type Role = "honest" | "junk" | "error" | "empty" | "sybil" | "copy"
export interface Built {
  readonly round: SynthRound
  readonly roles: ReadonlyMap<number, Role>
  /** copier uid → original uid */
  readonly copyOf: ReadonlyMap<number, number>
}

export const TOPIC_POOL = (
  "chlorophyll sunlight chloroplast glucose oxygen stomata carbon dioxide water roots leaves energy starch " +
  "enzyme membrane photon electron gradient synthesis cycle calvin thylakoid pigment absorption wavelength"
).split(" ")
export const SYLLABLES = "ba ko ri sun tel mar vo din qua ple zor hen".split(" ")
/** A made-up word: junk answers share no words with anyone, not even with each other. */
export const madeUp = (r: () => number): string => Array.from({ length: 3 }, () => SYLLABLES[Math.floor(r() * SYLLABLES.length)]!).join("")

/** An honest answer's text: most of the round's topic facts in order, plus a few words of its own. */
export const topical = (topic: ReadonlyArray<string>, r: () => number): string =>
  `${topic.filter(() => r() < 0.85).join(" ")} ${prose(r, 6)}.`
export const junkText = (r: () => number): string => `${Array.from({ length: 14 }, () => madeUp(r)).join(" ")}.`

/** A round from a recipe: honest paraphrases of one topic, off-topic junk (instant), errors, empties, a sybil farm
 * on one IP answering in its own direction, and copies of honest answers (slower than the original). */
export const build = (rc: Recipe): Built => {
  const r = rng(rc.seed)
  const topic = TOPIC_POOL.filter(() => r() < 0.6)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const sybilDir = orthogonalTo(answerDirection(prompt, r), dir)
  const uids = Array.from({ length: 64 }, (_, k) => k).sort(() => r() - 0.5)
  let next = 0
  const responses: Array<SynthResponse> = []
  const roles = new Map<number, Role>()
  const copyOf = new Map<number, number>()
  const add = (role: Role, x: Omit<SynthResponse, "uid">) => {
    const uid = uids[next++]!
    roles.set(uid, role)
    responses.push({ uid, ...x })
    return uid
  }
  const honest: Array<SynthResponse> = []
  for (let k = 0; k < rc.honest; k++) {
    // honest answers agree like real ones (use-lite: mean cos 0.89 to the others on the AlpacaEval dev split)
    const uid = add("honest", { vec: around(dir, 0.25, r), text: topical(topic, r), latencyMs: 500 + Math.floor(r() * 9000) })
    honest.push(responses.find((x) => x.uid === uid)!)
  }
  for (let k = 0; k < rc.junk; k++) {
    add("junk", { vec: orthogonalTo(randomUnit(DIM, r), prompt, dir, sybilDir), text: junkText(r), latencyMs: 1 + Math.floor(r() * 5) })
  }
  for (let k = 0; k < rc.errors; k++) add("error", { vec: randomUnit(DIM, r), text: "", latencyMs: null, finishReason: null, error: "Timeout" })
  for (let k = 0; k < rc.empty; k++) add("empty", { vec: randomUnit(DIM, r), text: "   ", latencyMs: 1 + Math.floor(r() * 50) })
  for (let k = 0; k < rc.sybils; k++) {
    add("sybil", { vec: around(sybilDir, 0.3, r), text: topical(topic, r), latencyMs: 200 + Math.floor(r() * 2000), ip: "66.6.6.6" })
  }
  for (let k = 0; k < rc.copies && honest.length > 0; k++) {
    const o = honest[Math.floor(r() * honest.length)]!
    const uid = add("copy", { vec: o.vec, text: o.text, latencyMs: o.latencyMs! + 1 + Math.floor(r() * 500) })
    copyOf.set(uid, o.uid)
  }
  return { round: { prompt, responses }, roles, copyOf }
}

export const score = (round: SynthRound, memory?: NoveltyMemory): RoundResult => {
  const { input, emb } = buildRound(round)
  return scoreRound(input, emb, config, memory)
}

export const byUid = (res: RoundResult) => new Map(res.miners.map((m) => [m.uid, m]))

export const shuffled = <A>(xs: ReadonlyArray<A>, seed: number): Array<A> => {
  const r = rng(seed)
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
