// tokenizer.json (Hugging Face tokenizers, Unigram) from the package's vocab.json, reproducing the JS
// tokenizer of @energetic-ai/embeddings: NFKC, spaces → "▁", a leading "▁"; no lowercasing, no special tokens.
// Edits: the 7 null scores become 0 (JS arithmetic reads null as 0); ids 1–5 (<s>, </s>, extra_token_id_1..3),
// which the JS trie leaves out, get −1000 so they are never chosen; the pre-tokenizer isolates a leading "▁"
// before ":" because the JS Viterbi treats a running score of exactly 0 as unset, so the zero-score pieces
// "▁:", "▁:)", "▁:(" and "▁:-)" never start a text there.
const SPECIAL_IDS = new Set([1, 2, 3, 4, 5])

export const buildTokenizerJson = (vocab: ReadonlyArray<readonly [string, number | null]>) => ({
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer: {
    type: "Sequence",
    normalizers: [{ type: "NFKC" }, { type: "Replace", pattern: { String: " " }, content: "▁" }, { type: "Prepend", prepend: "▁" }]
  },
  pre_tokenizer: { type: "Split", pattern: { Regex: "\\A▁(?=:)" }, behavior: "Isolated", invert: false },
  post_processor: null,
  decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
  model: {
    type: "Unigram",
    unk_id: 0,
    vocab: vocab.map(([piece, score], id) => [piece, SPECIAL_IDS.has(id) ? -1000 : (score ?? 0)]),
    byte_fallback: false
  }
})

export const TOKENIZER_CONFIG = { tokenizer_class: "PreTrainedTokenizerFast", model_max_length: 128, clean_up_tokenization_spaces: false }
