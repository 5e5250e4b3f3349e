// Small SVG charts for the load-test report (rendered to PNG with resvg, as the heatmaps are): line charts
// over time and grouped bar charts. Pure string building.

const W = 900
const H = 420
const M = { l: 70, r: 20, t: 40, b: 60 }
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2))

const frame = (title: string, body: string, legend: ReadonlyArray<string>) => {
  const items = legend
    .map((name, i) => `<rect x="${M.l + i * 150}" y="${H - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${M.l + i * 150 + 18}" y="${H - 12}" font-size="13">${esc(name)}</text>`)
    .join("")
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="${W / 2}" y="24" font-size="16" text-anchor="middle">${esc(title)}</text>${body}${items}</svg>`
}

const axes = (yMax: number, yLabel: string, xLabels: ReadonlyArray<[number, string]>, log: boolean) => {
  const ph = H - M.t - M.b
  const ticks = log
    ? Array.from({ length: Math.ceil(Math.log10(Math.max(10, yMax))) + 1 }, (_, k) => 10 ** k).filter((v) => v <= yMax * 1.01)
    : Array.from({ length: 6 }, (_, k) => (yMax * k) / 5)
  const yOf = (v: number) => M.t + ph - (log ? Math.log10(Math.max(1, v)) / Math.log10(Math.max(10, yMax)) : v / Math.max(1e-9, yMax)) * ph
  const grid = ticks
    .map((v) => `<line x1="${M.l}" x2="${W - M.r}" y1="${yOf(v)}" y2="${yOf(v)}" stroke="#ddd"/><text x="${M.l - 6}" y="${yOf(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`)
    .join("")
  const xs = xLabels.map(([x, l]) => `<text x="${x}" y="${H - M.b + 16}" font-size="11" text-anchor="middle">${esc(l)}</text>`).join("")
  const yl = `<text x="16" y="${M.t + ph / 2}" font-size="12" transform="rotate(-90 16 ${M.t + ph / 2})" text-anchor="middle">${esc(yLabel)}</text>`
  return { svg: grid + xs + yl + `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${M.t + ph}" stroke="#333"/>`, yOf }
}

export interface Series {
  readonly name: string
  readonly points: ReadonlyArray<readonly [number, number]>
}

/** Lines over x (e.g. minutes since start); `hline` draws a dashed goal line. */
export const lineChart = (title: string, yLabel: string, series: ReadonlyArray<Series>, xLabel: string, hline?: number): string => {
  const all = series.flatMap((s) => s.points)
  const xMax = Math.max(1e-9, ...all.map((p) => p[0]))
  const yMax = Math.max(1e-9, hline ?? 0, ...all.map((p) => p[1])) * 1.1
  const pw = W - M.l - M.r
  const xOf = (x: number) => M.l + (x / xMax) * pw
  const labels: Array<[number, string]> = Array.from({ length: 6 }, (_, k) => [xOf((xMax * k) / 5), fmt((xMax * k) / 5)])
  const { svg, yOf } = axes(yMax, yLabel, labels, false)
  const lines = series
    .map((s, i) => `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${s.points.map(([x, y]) => `${xOf(x).toFixed(1)},${yOf(y).toFixed(1)}`).join(" ")}"/>`)
    .join("")
  const goal = hline === undefined ? "" : `<line x1="${M.l}" x2="${W - M.r}" y1="${yOf(hline)}" y2="${yOf(hline)}" stroke="#d62728" stroke-dasharray="6 4"/>`
  const xl = `<text x="${M.l + pw / 2}" y="${H - M.b + 34}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`
  return frame(title, svg + lines + goal + xl, series.map((s) => s.name))
}

/** Groups of bars (one group per category, one bar per series), optionally on a log scale. */
export const barChart = (title: string, yLabel: string, categories: ReadonlyArray<string>, series: ReadonlyArray<{ name: string; values: ReadonlyArray<number> }>, log = false): string => {
  const yMax = Math.max(1e-9, ...series.flatMap((s) => s.values)) * 1.15
  const pw = W - M.l - M.r
  const gw = pw / Math.max(1, categories.length)
  const bw = (gw * 0.8) / Math.max(1, series.length)
  const labels: Array<[number, string]> = categories.map((c, i) => [M.l + gw * i + gw / 2, c])
  const { svg, yOf } = axes(yMax, yLabel, labels, log)
  const base = yOf(log ? 1 : 0)
  const bars = series
    .flatMap((s, j) =>
      s.values.map((v, i) => {
        const x = M.l + gw * i + gw * 0.1 + bw * j
        const y = Math.min(base, yOf(v))
        return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0, base - y).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"/>` +
          `<text x="${(x + bw / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="9" text-anchor="middle">${fmt(v)}</text>`
      })
    )
    .join("")
  return frame(title, svg + bars, series.map((s) => s.name))
}
