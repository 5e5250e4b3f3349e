// Round-shaped embedding workloads from real LLM answers (alpacaeval-dev) for the benchmarks: per prompt,
// `answers` responses in arrival order with a miner mix — honest (a distinct model answer, words varied),
// copycat (an exact copy of an earlier answer), junk (short canned text), flaky (no answer).
import type { RoundInput } from "../../src/scoring/types.ts"
import { composeAnswer, varyWords } from "../../src/miners/sim/Behaviour.ts"
import { mulberry32 } from "../../src/domain/random.ts"
import type { CorpusFile } from "../../src/challenges/Corpus.ts"

const JUNK = ["I don't know.", "ok", "As an AI language model I cannot answer that.", "Sure!"]

export const alpacaRounds = (corpus: CorpusFile, rounds: number, answers: number, seed: number = 7): Array<RoundInput> => {
  const rng = mulberry32(seed)
  return corpus.entries.slice(0, rounds).map((entry, k) => {
    const honest: Array<string> = []
    const seen = new Set<string>()
    // honest answers are distinct, as independent runs are: a model's answer varied, else a recombination
    const distinct = (i: number): string => {
      let text = varyWords(rng, entry.answers[i % entry.answers.length]!)
      for (let t = 0; seen.has(text) && t < 5; t++) text = varyWords(rng, composeAnswer(rng, entry.answers))
      if (seen.has(text)) text = `${text} (${i})`
      seen.add(text)
      return text
    }
    const responses = Array.from({ length: answers }, (_, i) => {
      const r = rng()
      let text: string
      let error: string | undefined
      if (r < 0.1) text = JUNK[Math.floor(rng() * JUNK.length)]!
      else if (r < 0.2 && honest.length > 0) text = honest[Math.floor(rng() * honest.length)]!
      else if (r < 0.25) {
        text = ""
        error = "Timeout"
      } else {
        text = distinct(i)
        honest.push(text)
      }
      const base = { uid: i, hotkey: `h${i}`, coldkey: `c${i}`, ip: "127.0.0.1", text, latencyMs: 1000, finishReason: "stop", toolCalls: [] }
      return error === undefined ? base : { ...base, error }
    })
    return { id: `bench-${k}`, prompt: entry.prompt, taskType: "chat", reference: null, tools: [], responses }
  })
}
