// Synthetic challenges: known-answer prompts from the project's corpus (data/corpus.json). Each carries a
// reference answer (seed 003: the validator knows the answer), so the accuracy axis applies; tool prompts
// carry their tools so tool calls are validated against them. Deterministic for a seed.
import type { Challenge } from "../domain/Challenge.ts"
import { toolSpecsOf } from "./ChallengeApi.ts"
import { mulberry32 } from "../domain/random.ts"
import type { CorpusFile } from "./Corpus.ts"

export interface SyntheticOptions {
  readonly seed: number
  /** Share of tool-use prompts, 0..1. */
  readonly toolShare?: number
  readonly maxTokens?: number
  /** Task type for plain prompts (a task type of the scoring config). */
  readonly chatTaskType?: string
  readonly toolTaskType?: string
}

export interface SyntheticSource {
  readonly next: (id: string) => Challenge
}

export const makeSyntheticSource = (corpus: CorpusFile, options: SyntheticOptions): SyntheticSource => {
  const rng = mulberry32(options.seed)
  const toolShare = corpus.toolPrompts.length === 0 ? 0 : (options.toolShare ?? 0.15)
  const challenge = (
    id: string,
    prompt: string,
    c: Pick<Challenge, "taskType" | "reference" | "tools">,
    tools: ReadonlyArray<unknown>,
    toolChoice: string | null
  ): Challenge => ({
    id,
    source: "synthetic",
    ...c,
    request: {
      challengeId: id,
      prompt,
      messages: [{ role: "user", content: prompt }],
      model: null,
      max_tokens: options.maxTokens ?? 512,
      temperature: 0.7,
      top_p: 0.95,
      tools,
      tool_choice: toolChoice
    }
  })
  return {
    next: (id) => {
      if (rng() < toolShare) {
        const t = corpus.toolPrompts[Math.floor(rng() * corpus.toolPrompts.length)]!
        return challenge(id, t.prompt, { taskType: options.toolTaskType ?? "chat", reference: null, tools: toolSpecsOf(t.tools) }, t.tools, "auto")
      }
      const e = corpus.entries[Math.floor(rng() * corpus.entries.length)]!
      return challenge(id, e.prompt, { taskType: options.chatTaskType ?? "chat", reference: e.answers[0] ?? null, tools: [] }, [], null)
    }
  }
}
