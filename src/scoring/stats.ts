// Small order statistics shared by the scorer, the selection policies and the evaluation. Pure.

/** The median (mean of the two middle values for an even count); null for no values. */
export const median = (xs: ReadonlyArray<number>): number | null => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
