// Token ids of a text word by word, for SentencePiece-style Unigram tokenizers (use-lite): when the normalizer
// turns each space into the meta symbol "▁" and prepends one, and no vocabulary piece holds "▁" after its first
// character, every "▁" starts a token, so the Viterbi path of the whole text is the concatenation of the paths
// of its space-separated words. Each distinct word is then encoded once by the library and remembered: a round's
// answers share most of their words, and the library's lattice over a whole answer is its slowest part.
// Any other tokenizer (WordPiece, BPE, added tokens, other normalizers) is encoded whole, as before.
import type { Tokenizer } from "@huggingface/tokenizers"

export type TokenIdsOf = (text: string) => ReadonlyArray<number>

interface TokenizerJsonView {
  readonly model?: { readonly type?: unknown; readonly vocab?: unknown }
  readonly normalizer?: { readonly type?: unknown; readonly normalizers?: unknown } | null
  readonly pre_tokenizer?: { readonly type?: unknown; readonly pattern?: { readonly Regex?: unknown } } | null
  readonly added_tokens?: unknown
}

/** Normalizers that act on each character alone (a space stays a starter that nothing composes with). */
const CHAR_LOCAL = new Set(["NFKC", "NFC"])

/** The meta symbol and the anchored split regex (if any) when word-by-word encoding is exact; else null. */
export const wordSplitOf = (json: unknown): { readonly meta: string; readonly anchored: RegExp | null } | null => {
  const j = json as TokenizerJsonView
  if (j.model?.type !== "Unigram" || !Array.isArray(j.model.vocab)) return null
  if (Array.isArray(j.added_tokens) && j.added_tokens.length > 0) return null
  const norms = j.normalizer?.type === "Sequence" && Array.isArray(j.normalizer.normalizers) ? (j.normalizer.normalizers as Array<Record<string, unknown>>) : null
  if (norms === null) return null
  let meta: string | null = null
  let prepended = false
  for (const n of norms) {
    if (typeof n["type"] === "string" && CHAR_LOCAL.has(n["type"])) continue
    const pattern = n["pattern"] as { String?: unknown } | undefined
    if (n["type"] === "Replace" && pattern?.String === " " && typeof n["content"] === "string" && meta === null) meta = n["content"]
    else if (n["type"] === "Prepend" && meta !== null && n["prepend"] === meta && !prepended) prepended = true
    else return null
  }
  if (meta === null || meta.length === 0 || !prepended) return null
  for (const entry of j.model.vocab as Array<unknown>) {
    const piece = Array.isArray(entry) ? entry[0] : undefined
    if (typeof piece !== "string" || piece.indexOf(meta, 1) > 0) return null
  }
  // a pre-tokenizer that splits only at the start of the text (use-lite isolates a leading "▁" before ":")
  const pre = j.pre_tokenizer
  if (pre === null || pre === undefined) return { meta, anchored: null }
  const regex = pre.pattern?.Regex
  if (pre.type !== "Split" || typeof regex !== "string" || !regex.startsWith("\\A")) return null
  return { meta, anchored: new RegExp(`^${regex.slice(2)}`, "u") }
}

/** Words longer than this are encoded but not remembered. */
const MAX_MEMO_WORD = 64

/**
 * text → token ids (no special tokens), word by word with a memo of `capacity` words when `json` allows it
 * (see wordSplitOf), else the whole text at once.
 */
export const makeTokenIds = (tokenizer: Tokenizer, json: unknown, capacity: number = 50_000): TokenIdsOf => {
  const whole: TokenIdsOf = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids
  const split = wordSplitOf(json)
  const metaId = split === null ? undefined : tokenizer.token_to_id(split.meta)
  if (split === null || metaId === undefined) return whole
  const memo = new Map<string, ReadonlyArray<number>>()
  const encodeSegment = (segment: string): ReadonlyArray<number> => {
    if (segment.length === 0) return [metaId] // a space after a space: the meta symbol alone
    const known = memo.get(segment)
    if (known !== undefined) return known
    const ids = whole(segment)
    if (segment.length <= MAX_MEMO_WORD) {
      if (memo.size >= capacity) memo.clear()
      memo.set(segment, ids)
    }
    return ids
  }
  // a word the anchored split would cut when it starts a text (it does not in the middle) stays with the one before
  const startsSplit = (word: string) => split.anchored !== null && split.anchored.test(split.meta + word.normalize("NFKC"))
  return (text) => {
    if (text.length === 0) return []
    const words = text.split(" ")
    const out: Array<number> = []
    let segment = words[0]!
    for (let k = 1; k < words.length; k++) {
      const w = words[k]!
      if (startsSplit(w)) segment = `${segment} ${w}`
      else {
        for (const id of encodeSegment(segment)) out.push(id)
        segment = w
      }
    }
    for (const id of encodeSegment(segment)) out.push(id)
    return out
  }
}
