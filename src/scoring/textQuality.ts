// Text facts used by the filters: visible length and a junk-text heuristic. Pure.
import { ramp } from "./axes.ts"

// Text quality heuristic (the reference's coherence/density/specificity, reduced to checks that catch junk):
// symbol soup, word-salad loops, repeated trigrams, base64-like blobs. Normal prose and code score 1.

const WORD = /[\p{L}\p{N}]+/gu

// Table rules, grid lines and markdown marks (| + - _ = * # ~ ` : .) lay out an answer (a grid, a table, a list):
// they are left out of the symbol share, so a Sudoku grid is not symbol soup; a text of nothing else still is.
const LAYOUT = /[|+\-_=*#~`:.]/g

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0x3000

/** Non-whitespace characters of `text`. */
export const visibleChars = (text: string): number => {
  let k = 0
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) k++
  return k
}

export const textQuality = (text: string): number => {
  const words = text.match(WORD) ?? []
  if (words.length === 0) return 0
  let alnum = 0 // words are maximal letter/digit runs, so their lengths add up to the letter/digit count
  for (const w of words) alnum += w.length
  const meanLen = alnum / words.length
  const layout = text.match(LAYOUT)?.length ?? 0
  const symbols = ramp(alnum / Math.max(1, visibleChars(text) - layout), 0.3, 0.6)
  let diversity = 1
  let repetition = 1
  if (words.length >= 20) {
    const lower = words.map((w) => w.toLowerCase())
    diversity = ramp(new Set(lower).size / lower.length, 0, 0.25)
    const tri = new Set<string>()
    for (let k = 0; k + 2 < lower.length; k++) tri.add(`${lower[k]}\u0000${lower[k + 1]}\u0000${lower[k + 2]}`)
    const repeated = 1 - tri.size / (lower.length - 2)
    repetition = 1 - ramp(repeated, 0.3, 0.7)
  }
  const wordLength = 1 - ramp(meanLen, 15, 25)
  return symbols * diversity * repetition * wordLength
}

