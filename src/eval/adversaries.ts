// Cheap fake answers the harness adds to every round: what a miner who does no inference could send.
// Pure: the texts and latencies follow from the round's honest answers and a seeded rng.
import type { Rng } from "../domain/random.ts"
import { median as medianOrNull } from "../scoring/stats.ts"

export const ADVERSARY_KINDS = [
  "empty",
  "random_words",
  "echo",
  "jumble",
  "first_sentence",
  "refusal",
  "constant",
  "other_prompt",
  "edited_copy"
] as const
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number]

export const REFUSALS: ReadonlyArray<string> = [
  "I'm sorry, but as an AI language model I can't help with that request.",
  "As an AI language model, I do not have personal opinions or the ability to access real-time information, but I am happy to help with other questions.",
  "I apologize, but I cannot provide an answer to this question. Is there anything else I can help you with?",
  "As an AI developed to assist users, I must decline this request. Please consult a qualified professional for more information."
]

/** The constant cheat: the same text for every prompt, from the same hotkey every round. */
export const CONSTANT_TEXT =
  "Thank you for your question. Here is a detailed and helpful answer that covers the most important points, with clear steps, examples and a short summary at the end so that you can apply it right away."

/** Delay after the copied answer before a copier's derived answer arrives, ms. */
export const COPY_DELAY_MS = 200

export interface HonestAnswer {
  readonly text: string
  readonly latencyMs: number
}

export interface AdversaryContext {
  readonly prompt: string
  /** This round's honest answers (at least one). */
  readonly honest: ReadonlyArray<HonestAnswer>
  /** Words from answers to other prompts (the random-words junk is drawn from it). */
  readonly vocabulary: ReadonlyArray<string>
  /** An honest answer to a different prompt. */
  readonly otherPromptAnswer: string
}

export interface Adversary {
  readonly kind: AdversaryKind
  readonly text: string
  readonly latencyMs: number
}

const pick = <A>(xs: ReadonlyArray<A>, rng: Rng): A => xs[Math.floor(rng() * xs.length)]!

export const shuffle = <A>(xs: ReadonlyArray<A>, rng: Rng): Array<A> => {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

/** The median, 0 for no values. */
export const median = (xs: ReadonlyArray<number>): number => medianOrNull(xs) ?? 0

/** The first sentence of a text (up to the first . ! ? followed by white space), trimmed. */
export const firstSentence = (text: string): string => text.trim().split(/(?<=[.!?])\s+/)[0] ?? ""

/** Random words from the vocabulary until the text is about `chars` characters long. */
export const randomWords = (vocabulary: ReadonlyArray<string>, chars: number, rng: Rng): string => {
  if (vocabulary.length === 0) return ""
  const words: Array<string> = []
  let length = 0
  while (length < chars) {
    const w = pick(vocabulary, rng)
    words.push(w)
    length += w.length + 1
  }
  return words.join(" ")
}

/** A few word substitutions (from the vocabulary) or deletions at random positions; layout kept. */
export const smallEdits = (text: string, vocabulary: ReadonlyArray<string>, rng: Rng, edits = 3): string => {
  const parts = text.split(" ")
  if (parts.length < 2) return `${text} indeed`
  for (let e = 0; e < edits; e++) {
    const k = Math.floor(rng() * parts.length)
    parts[k] = rng() < 0.5 || vocabulary.length === 0 ? "" : pick(vocabulary, rng)
  }
  return parts.filter((p, k) => p !== "" || k === 0).join(" ")
}

const fastLatency = (rng: Rng): number => Math.round(50 + 200 * rng())

/** Word edits an edited copy makes. */
export const COPY_EDITS = 3
/** Words per edit an answer needs for the edits to stay small (≤ 10% of its words). */
const WORDS_PER_EDIT = 10

/** A random element of those that pass `fits`, or of all when none does. */
const pickPreferring = <A>(xs: ReadonlyArray<A>, fits: (x: A) => boolean, rng: Rng): A => {
  const preferred = xs.filter(fits)
  return pick(preferred.length > 0 ? preferred : xs, rng)
}

const wordsOf = (text: string): Array<string> => text.split(/\s+/).filter((w) => w !== "")

/** One answer of every kind, in ADVERSARY_KINDS order. */
export const makeAdversaries = (ctx: AdversaryContext, rng: Rng): Array<Adversary> => {
  const honestChars = median(ctx.honest.map((h) => h.text.length))
  const promptWords = wordsOf(ctx.prompt)
  // a truncation needs a source with more than one sentence (the first sentence of a one-sentence answer is
  // that answer), and small edits a source long enough that a few words are a small part of it: otherwise the
  // fake would be an honest answer, which scoring must pay
  const sentenceSource = pickPreferring(ctx.honest, (h) => firstSentence(h.text).length < h.text.trim().length, rng)
  const copySource = pickPreferring(ctx.honest, (h) => wordsOf(h.text).length >= WORDS_PER_EDIT * COPY_EDITS, rng)
  const texts: Record<AdversaryKind, Adversary> = {
    empty: { kind: "empty", text: "", latencyMs: fastLatency(rng) },
    random_words: { kind: "random_words", text: randomWords(ctx.vocabulary, honestChars, rng), latencyMs: fastLatency(rng) },
    echo: { kind: "echo", text: ctx.prompt, latencyMs: fastLatency(rng) },
    jumble: { kind: "jumble", text: shuffle(promptWords, rng).join(" "), latencyMs: fastLatency(rng) },
    first_sentence: {
      kind: "first_sentence",
      text: firstSentence(sentenceSource.text),
      latencyMs: sentenceSource.latencyMs + COPY_DELAY_MS
    },
    refusal: { kind: "refusal", text: pick(REFUSALS, rng), latencyMs: fastLatency(rng) },
    constant: { kind: "constant", text: CONSTANT_TEXT, latencyMs: fastLatency(rng) },
    other_prompt: { kind: "other_prompt", text: ctx.otherPromptAnswer, latencyMs: fastLatency(rng) },
    edited_copy: {
      kind: "edited_copy",
      text: smallEdits(copySource.text, ctx.vocabulary, rng, COPY_EDITS),
      latencyMs: copySource.latencyMs + COPY_DELAY_MS
    }
  }
  return ADVERSARY_KINDS.map((k) => texts[k])
}
