// A tiny AlpacaEval-shaped data set written by the tests (no ../shared needed): 6 prompts, 5 base models
// (one strong, one weak), one concise and one verbose variant of a family whose standard model is present.
import { decodeDataset, type Dataset } from "../../src/eval/dataset.ts"

export const PROMPTS = [
  "Explain how photosynthesis works in plants.",
  "What are good exercises for beginners at the gym?",
  "Write a short poem about the ocean at night.",
  "How do I reverse a linked list in Python?",
  "What causes the seasons on Earth?",
  "Give me three tips for learning a new language."
]

const answer = (model: string, p: number): string =>
  `${model} answers prompt ${p}. Topic word${p} is central here. This is a longer second sentence about topic${p} with several details, ` +
  `examples and reasons, written by ${model} for the reader. Finally a conclusion about subject${p}.`

export const MODELS = ["alpha", "bravo", "charlie", "delta", "echo-model", "fam"]
export const VARIANTS = ["fam_concise", "fam_verbose"]
export const LEADERBOARD = `model,length_controlled_winrate,win_rate,avg_length
alpha,60.5,50,1000
bravo,40,30,900
charlie,20,10,800
delta,10,5,700
echo-model,5,2,600
fam,30,20,900
fam_concise,25,10,400
fam_verbose,31,21,1500
`

export const syntheticRaw = () => {
  const prompts = PROMPTS.map((instruction, k) => ({ index: 10 * k, dataset: k % 2 === 0 ? "helpful_base" : "koala", instruction }))
  const outputs = new Map<string, unknown>(
    [...MODELS, ...VARIANTS].map((m) => [m, { generator: m, outputs: prompts.map((p, k) => ({ index: p.index, output: answer(m, k) })) }])
  )
  return { prompts, outputs, leaderboard: LEADERBOARD }
}

export const syntheticDataset = (): Dataset => {
  const raw = syntheticRaw()
  return decodeDataset(raw.prompts, raw.outputs, raw.leaderboard)
}
