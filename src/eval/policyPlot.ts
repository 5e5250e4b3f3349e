// The policy comparison's plot as an SVG string (pure): the honest share of weight over the rounds, one
// panel per selection policy, one line per aggregation; a dashed line marks the newcomer's registration.

export interface ShareSeries {
  readonly selection: string
  /** The aggregation label (ema, tournament, cumulative, blend, ema+stake, blend+stake). */
  readonly aggregation: string
  /** Honest share after each round. */
  readonly values: ReadonlyArray<number>
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const f = (x: number): string => x.toFixed(1)

export const shareSvg = (series: ReadonlyArray<ShareSeries>, title: string, marker: number | null): string => {
  const selections = [...new Set(series.map((s) => s.selection))]
  const aggregations = [...new Set(series.map((s) => s.aggregation))]
  const PW = 420
  const PH = 320
  const M = { l: 60, t: 60, gap: 30, b: 90 }
  const W = M.l + selections.length * (PW + M.gap)
  const H = M.t + PH + M.b
  const rounds = Math.max(1, ...series.map((s) => s.values.length))
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="17">${esc(title)}</text>`
  ]
  selections.forEach((sel, p) => {
    const x0 = M.l + p * (PW + M.gap)
    const x = (r: number) => x0 + (PW * r) / rounds
    const y = (v: number) => M.t + PH - PH * Math.max(0, Math.min(1, v))
    out.push(`<text x="${x0 + PW / 2}" y="${M.t - 10}" text-anchor="middle" font-size="14">selection: ${esc(sel)}</text>`)
    out.push(`<rect x="${x0}" y="${M.t}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`)
    for (let k = 0; k <= 5; k++) {
      const v = k / 5
      out.push(`<line x1="${x0}" x2="${x0 + PW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`)
      if (p === 0) out.push(`<text x="${x0 - 6}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11">${(v * 100).toFixed(0)}%</text>`)
    }
    for (let r = 0; r <= rounds; r += 20) out.push(`<text x="${f(x(r))}" y="${M.t + PH + 16}" text-anchor="middle" font-size="11">${r}</text>`)
    if (marker !== null) out.push(`<line x1="${f(x(marker))}" x2="${f(x(marker))}" y1="${M.t}" y2="${M.t + PH}" stroke="#999" stroke-dasharray="5 4"/>`)
    series
      .filter((s) => s.selection === sel)
      .forEach((s) => {
        const color = COLORS[aggregations.indexOf(s.aggregation) % COLORS.length]
        const dash = s.aggregation.endsWith("+stake") ? ` stroke-dasharray="7 3"` : ""
        const pts = s.values.map((v, r) => `${f(x(r + 1))},${f(y(v))}`).join(" ")
        out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts}"/>`)
      })
  })
  out.push(`<text x="${W / 2}" y="${M.t + PH + 36}" text-anchor="middle" font-size="12">round (dashed grey: a new honest miner registers)</text>`)
  out.push(`<text x="16" y="${M.t + PH / 2}" font-size="12" transform="rotate(-90 16 ${M.t + PH / 2})" text-anchor="middle">honest share of weight</text>`)
  aggregations.forEach((a, k) => {
    const lx = M.l + k * 150
    const ly = H - 26
    const dash = a.endsWith("+stake") ? ` stroke-dasharray="7 3"` : ""
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${COLORS[k % COLORS.length]}" stroke-width="3"${dash}/>`)
    out.push(`<text x="${lx + 32}" y="${ly + 4}" font-size="12">${esc(a)}</text>`)
  })
  out.push("</svg>")
  return out.join("\n")
}
