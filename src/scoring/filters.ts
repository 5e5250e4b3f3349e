// Stage 1 of round scoring: what each answer is, and the filters that need nothing but the answer and the
// prompt (first match wins): error → empty → invalid_tool_calls → echo (the prompt handed back) →
// low_quality (too short, junk text). Pure.
import type { AnswerKind } from "./axes.ts"
import type { ScoringConfig } from "./config.ts"
import { answerEvidence, echoOf, fingerprint, type AnswerEvidence, type PromptEvidence } from "./lexical.ts"
import { normalizeText, textHash } from "./novelty.ts"
import { textQuality, visibleChars } from "./textQuality.ts"
import { validateToolCalls } from "./tools.ts"
import type { FilterReason, MinerResponse, RoundInput } from "./types.ts"

export interface AnswerFacts {
  readonly kind: AnswerKind
  readonly toolValid: boolean
  readonly quality: number
  /** Lexical evidence of text answers (null for tool calls and non-answers). */
  readonly lexical: AnswerEvidence | null
  /** textHash of the normalized text ("" when there is no text). */
  readonly hash: string
  /** Fingerprints of the novel shingles (not the prompt's) and of all shingles. */
  readonly novelPrint: Uint32Array
  readonly allPrint: Uint32Array
  readonly filtered: FilterReason | null
  readonly note?: string
}

const EMPTY = new Uint32Array(0)

export const kindOf = (r: MinerResponse): AnswerKind =>
  r.error !== undefined ? "none" : r.toolCalls.length > 0 ? "tool" : r.text.trim() !== "" ? "text" : "none"

/** The facts and first-stage filter of one response. */
export const answerFacts = (r: MinerResponse, input: RoundInput, prompt: PromptEvidence, config: ScoringConfig): AnswerFacts => {
  const kind = kindOf(r)
  const toolError = kind === "tool" ? validateToolCalls(r.toolCalls, input.tools) : null
  const lexical = kind === "text" ? answerEvidence(r.text, prompt, config.lexical.shingleSize) : null
  const base = {
    kind,
    toolValid: toolError === null,
    quality: kind === "tool" ? 1 : kind === "text" ? textQuality(r.text) : 0,
    lexical,
    hash: kind === "text" ? textHash(normalizeText(r.text)) : "",
    novelPrint: lexical === null ? EMPTY : fingerprint(lexical.novel),
    allPrint: lexical === null ? EMPTY : fingerprint(lexical.shingles)
  }
  const th = config.thresholds
  const filter = (filtered: FilterReason, note: string): AnswerFacts => ({ ...base, filtered, note })
  if (r.error !== undefined) return filter("error", r.error)
  if (kind === "none") return filter("empty", "no text and no tool calls")
  if (toolError !== null) return filter("invalid_tool_calls", toolError)
  if (lexical !== null) {
    const echo = echoOf(lexical, prompt, config.lexical)
    if (echo !== null) return filter("echo", `the prompt handed back: ${echo}`)
    const chars = visibleChars(r.text)
    if (chars < th.minAnswerChars) return filter("low_quality", `${chars} characters < ${th.minAnswerChars}`)
    if (base.quality < th.qualityFloor) return filter("low_quality", `text quality ${base.quality.toFixed(3)} < ${th.qualityFloor}`)
  }
  return { ...base, filtered: null }
}
