// The evaluation's scatter plot as an SVG string (pure): mean reward per round vs LC win rate, one point per
// model; concise/verbose variants as diamonds; adversaries (no win rate) as crosses in a band on the left.

export interface PlotPoint {
  readonly label: string
  readonly kind: "honest" | "variant" | "adversary"
  /** LC win rate in percent; null for adversaries. */
  readonly lc: number | null
  readonly meanReward: number
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const f = (x: number): string => x.toFixed(1)

export const scatterSvg = (points: ReadonlyArray<PlotPoint>, title: string): string => {
  const W = 1100
  const H = 700
  const left = 170
  const band = 90 // adversary band, left of the LC axis
  const right = 30
  const top = 50
  const bottom = 60
  const maxLc = Math.max(10, ...points.flatMap((p) => (p.lc === null ? [] : [p.lc])))
  const maxR = Math.max(1e-6, ...points.map((p) => p.meanReward)) * 1.1
  const x = (lc: number) => left + ((W - left - right) * lc) / (maxLc * 1.05)
  const y = (r: number) => H - bottom - ((H - top - bottom) * r) / maxR
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="18">${esc(title)}</text>`,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="black"/>`,
    `<rect x="${left - band}" y="${top}" width="${band - 10}" height="${H - top - bottom}" fill="#fdecec"/>`,
    `<text x="${left - band / 2 - 5}" y="${H - bottom + 20}" text-anchor="middle" font-size="12">adversaries</text>`,
    `<text x="${(left + W - right) / 2}" y="${H - 15}" text-anchor="middle" font-size="14">AlpacaEval 2.0 length-controlled win rate (%)</text>`,
    `<text x="20" y="${(top + H - bottom) / 2}" font-size="14" transform="rotate(-90 20 ${(top + H - bottom) / 2})" text-anchor="middle">mean reward per round</text>`
  ]
  for (let k = 0; k <= 5; k++) {
    const r = (maxR * k) / 5
    out.push(`<text x="${left - band - 8}" y="${f(y(r) + 4)}" text-anchor="end" font-size="11">${r.toFixed(3)}</text>`)
    out.push(`<line x1="${left - band}" y1="${f(y(r))}" x2="${W - right}" y2="${f(y(r))}" stroke="#eee"/>`)
  }
  for (let lc = 0; lc <= maxLc * 1.05; lc += 10) {
    out.push(`<text x="${f(x(lc))}" y="${H - bottom + 18}" text-anchor="middle" font-size="11">${lc}</text>`)
  }
  const adversaries = points.filter((p) => p.kind === "adversary")
  adversaries.forEach((p, k) => {
    const cx = left - band + 12 + ((band - 30) * k) / Math.max(1, adversaries.length - 1)
    const cy = y(p.meanReward)
    out.push(`<path d="M${f(cx - 5)} ${f(cy - 5)}L${f(cx + 5)} ${f(cy + 5)}M${f(cx - 5)} ${f(cy + 5)}L${f(cx + 5)} ${f(cy - 5)}" stroke="#c00" stroke-width="2"/>`)
    out.push(`<text x="${f(cx + 7)}" y="${f(cy - 6 - (k % 3) * 9)}" font-size="9" fill="#c00">${esc(p.label)}</text>`)
  })
  for (const p of points) {
    if (p.lc === null) continue
    const cx = x(p.lc)
    const cy = y(p.meanReward)
    out.push(
      p.kind === "variant"
        ? `<path d="M${f(cx)} ${f(cy - 7)}L${f(cx + 7)} ${f(cy)}L${f(cx)} ${f(cy + 7)}L${f(cx - 7)} ${f(cy)}Z" fill="#e69500"/>`
        : `<circle cx="${f(cx)}" cy="${f(cy)}" r="5" fill="#1f5fbf"/>`
    )
    out.push(`<text x="${f(cx + 8)}" y="${f(cy + 4)}" font-size="10" fill="#333">${esc(p.label)}</text>`)
  }
  out.push("</svg>")
  return out.join("\n")
}
