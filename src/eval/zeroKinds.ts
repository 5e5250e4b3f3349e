// What an honest zero is, judged apart from the scorer (the issue asks that each remaining zero be explainable:
// degenerate loops, refusals): a model that sent no text at all sent nothing to pay; a text that compresses to a
// small part of its size repeats itself (zlib, not the scorer's trigram heuristic), and a refusal or non-answer
// says so in its first sentences, or is a short reply that asks the user back. Everything else is "unexplained" —
// a zero the evaluation counts against the scorer.
import { deflateRawSync } from "node:zlib"

export type ZeroKind = "empty" | "repetitive" | "refusal" | "unexplained"

/** Texts shorter than this are too short for a compression ratio to mean repetition. */
const MIN_REPEAT_CHARS = 300
/** Compressed size / raw size below which a text is a loop or a repeated block (prose compresses to ~0.5). */
const REPEAT_RATIO = 0.2
/** Where a refusal says what it is. */
const REFUSAL_HEAD = 300
const REFUSAL =
  /\b(as an ai\b|i'?m sorry|i am sorry|i apologi[sz]e|i (?:cannot|can'?t|am unable to|am not able to|do not have the ability)|i'?m (?:unable|not able) to|no output\b|could you (?:please )?provide (?:more|the))/i

export const compressionRatio = (text: string): number => {
  const raw = Buffer.from(text, "utf8")
  return raw.length === 0 ? 1 : deflateRawSync(raw, { level: 9 }).length / raw.length
}

/** A reply of at most this many words that asks the user something instead of answering ("Do you want me to…?"). */
const ASK_BACK_WORDS = 60
/** A question put to the user: an auxiliary opening a sentence that is about "you" and ends in "?". */
const ASKS_USER = /(?:^|[.!?:]\s+)(?:(?:do|can|could|would|will|are|what do|is there)\b[^.!?]*\byou\b[^.!?]*)\?/i
const NON_ANSWER = /\b(not clear what you are asking|(?:please|you) (?:rephrase|clarify)|provide more (?:information|context))/i

/** A reply that asks back or says the question is unclear, in place of an answer. */
const asksBack = (text: string): boolean =>
  NON_ANSWER.test(text.slice(0, REFUSAL_HEAD)) || ((text.match(/\S+/g)?.length ?? 0) <= ASK_BACK_WORDS && ASKS_USER.test(text))

export const zeroKind = (text: string): ZeroKind => {
  if (text.trim() === "") return "empty"
  if (text.length >= MIN_REPEAT_CHARS && compressionRatio(text) < REPEAT_RATIO) return "repetitive"
  if (REFUSAL.test(text.slice(0, REFUSAL_HEAD)) || asksBack(text)) return "refusal"
  return "unexplained"
}
