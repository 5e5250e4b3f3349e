// Shared scenes for the scoreRound unit cases (round.*.test.ts): a prompt direction, honest answers on one topic, off-topic text.
import type { ScoringConfig } from "../../src/scoring/config.ts"
import { NoveltyMemory } from "../../src/scoring/novelty.ts"
import { scoreRound } from "../../src/scoring/round.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import type { MinerScore, RoundResult, ToolSpec } from "../../src/scoring/types.ts"
import { answerDirection, around, buildRound, orthogonalTo, prose, randomUnit, rng, type SynthResponse, type SynthRound } from "../fixtures/rounds/synthetic.ts"

export const DIM = 64
export const config = DEFAULT_SCORING_CONFIG

export const score = (round: SynthRound, cfg: ScoringConfig = config, memory?: NoveltyMemory): RoundResult => {
  const { input, emb } = buildRound(round)
  return scoreRound(input, emb, cfg, memory)
}
export const miner = (res: RoundResult, uid: number): MinerScore => {
  const m = res.miners.find((x) => x.uid === uid)
  if (m === undefined) throw new Error(`uid ${uid} not in result`)
  return m
}

export const TOPIC = "chlorophyll absorbs sunlight inside chloroplasts converting carbon dioxide water into glucose releasing oxygen through stomata during daylight".split(" ")
export const OTHER = "medieval castles had thick stone walls moats drawbridges towers where archers defended against sieges".split(" ")

/** An answer on the scene's topic: most of the topic's facts in order, a few words of its own. */
export const onTopic = (r: () => number, keep = 0.85): string => {
  const out: Array<string> = []
  for (const w of TOPIC) if (r() < keep) out.push(w)
  out.push(...prose(r, 8).split(" "))
  return `${out.join(" ")}.`
}
export const offTopicText = (r: () => number): string => `${OTHER.filter(() => r() < 0.9).join(" ")} ${Math.floor(r() * 1e9).toString(36)}.`

/** A scene: a prompt, an answer direction and helpers to make honest answers. */
export const scene = (seed: number) => {
  const r = rng(seed)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const honest = (uid: number, latencyMs = 2000, extra: Partial<SynthResponse> = {}): SynthResponse => ({
    uid,
    vec: around(dir, 0.4, r),
    text: onTopic(r),
    latencyMs,
    ...extra
  })
  const offTopic = (uid: number, latencyMs = 5): SynthResponse => ({ uid, vec: orthogonalTo(randomUnit(DIM, r), prompt, dir), text: offTopicText(r), latencyMs })
  return { r, prompt, dir, honest, offTopic }
}

export const PROMPT_TEXT = "Explain how plants make their food from light, step by step, for a curious student."
/** A short question that several models answer with the same sentence of their own words. */
export const CODE_PROMPT = 'Identify the programming language used to write the given code.\n\nif (20 > 18) { printf("20 is greater than 18"); }'
export const C_SENTENCE = "The given code is written in the C programming language."

export const WEATHER: ToolSpec = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer" } },
    required: ["city"]
  }
}
