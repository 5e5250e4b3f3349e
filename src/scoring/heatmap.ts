// Similarity matrix → SVG heatmap (pure string building, no I/O). Rasterize with @resvg/resvg-js off the main
// thread when a PNG is needed.
//
// Cells are coloured with viridis (perceptually uniform, lightness increasing with the value; stops from
// matplotlib's table, linearly interpolated in sRGB), UID labels on both axes (every k-th when cells get too
// small to read), a colour bar with ticks, and the consensus cluster (cluster label 0) outlined. Rows and
// columns are ordered by cluster (the consensus first, as one block; unclustered rows last), a caption says
// what the colours are, the canvas is wide enough for the title, and the font is a concrete sans-serif
// family list so the rasterizer (resvg, which maps no CSS generic by itself) draws what the SVG asks for.

export interface HeatmapInput {
  readonly similarity: Float32Array
  readonly n: number
  /** One label per row (the miners' UIDs). */
  readonly labels: ReadonlyArray<string>
  readonly title?: string
  /** Cluster label per row (averageLinkage output); label 0, the dominant cluster, is outlined. −1 = none. */
  readonly clusters?: ArrayLike<number>
  /** Value range mapped onto the colour scale (values outside are clamped). Default [0, 1]. */
  readonly range?: readonly [number, number]
  /** Reorder rows/columns by cluster (consensus first) so clusters appear as blocks. Default true. */
  readonly orderByCluster?: boolean
}

/** viridis at 0, 0.1, …, 1 (matplotlib). */
const VIRIDIS: ReadonlyArray<readonly [number, number, number]> = [
  [0x44, 0x01, 0x54], [0x48, 0x24, 0x75], [0x41, 0x44, 0x87], [0x35, 0x5f, 0x8d], [0x2a, 0x78, 0x8e], [0x21, 0x91, 0x8c],
  [0x22, 0xa8, 0x84], [0x44, 0xbf, 0x70], [0x7a, 0xd1, 0x51], [0xbd, 0xdf, 0x26], [0xfd, 0xe7, 0x25]
]

/** What the picture shows, under the grid. */
export const CAPTION = "Cosine similarity of the answer embeddings · outlined: the consensus cluster · ordered by cluster"
/** Concrete families first: resvg resolves names, the generic last for browsers. */
export const FONT_FAMILY = "DejaVu Sans, Liberation Sans, Noto Sans, Arial, Helvetica, sans-serif"

const hex2 = (v: number) => Math.round(v).toString(16).padStart(2, "0")

/** Colour of t ∈ [0,1] (clamped; NaN → 0) on the viridis scale, as #rrggbb. */
export const viridis = (t: number): string => {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0
  const pos = x * (VIRIDIS.length - 1)
  const i = Math.min(VIRIDIS.length - 2, Math.floor(pos))
  const f = pos - i
  const a = VIRIDIS[i]!
  const b = VIRIDIS[i + 1]!
  return `#${hex2(a[0] + (b[0] - a[0]) * f)}${hex2(a[1] + (b[1] - a[1]) * f)}${hex2(a[2] + (b[2] - a[2]) * f)}`
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")

const fmt = (x: number): string => (Math.round(x * 100) / 100).toString()

/** Runs of consecutive display positions whose row is in the consensus cluster. */
const runs = (flags: ReadonlyArray<boolean>): Array<readonly [number, number]> => {
  const out: Array<readonly [number, number]> = []
  let start = -1
  for (let i = 0; i <= flags.length; i++) {
    const on = i < flags.length && flags[i] === true
    if (on && start < 0) start = i
    if (!on && start >= 0) {
      out.push([start, i])
      start = -1
    }
  }
  return out
}

export const heatmapSvg = (input: HeatmapInput): string => {
  const { similarity, n, labels } = input
  if (similarity.length < n * n) throw new RangeError(`heatmapSvg: similarity has ${similarity.length} entries, need ${n * n}`)
  if (labels.length < n) throw new RangeError(`heatmapSvg: ${labels.length} labels for ${n} rows`)
  const [lo, hi] = input.range ?? [0, 1]
  const span = hi - lo || 1
  const clusters = input.clusters
  const order = Array.from({ length: n }, (_, i) => i)
  if (input.orderByCluster !== false && clusters !== undefined) {
    const key = (i: number) => (clusters[i]! < 0 ? Number.MAX_SAFE_INTEGER : clusters[i]!)
    order.sort((a, b) => key(a) - key(b) || a - b)
  }

  const cell = Math.max(2, Math.min(24, Math.floor(600 / Math.max(1, n))))
  const font = Math.max(7, Math.min(12, Math.floor(cell * 0.8)))
  const every = Math.max(1, Math.ceil((font + 1) / cell)) // label every k-th row when cells are small
  const maxLabel = labels.slice(0, n).reduce((m, l) => Math.max(m, l.length), 1)
  const labelW = Math.ceil(maxLabel * font * 0.62) + 8
  const titleH = input.title !== undefined ? 28 : 8
  const left = labelW + 4
  const top = titleH + labelW
  const grid = cell * n
  const barX = left + grid + 24
  const barW = 16
  const titleW = input.title === undefined ? 0 : Math.ceil(input.title.length * 15 * 0.6) + 24
  const captionW = Math.ceil(CAPTION.length * 11 * 0.56) + 16
  const width = Math.max(barX + barW + 48, titleW, captionW)
  const height = top + grid + 34

  const parts: Array<string> = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`
  )
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  if (input.title !== undefined) {
    parts.push(`<text class="title" x="${width / 2}" y="19" font-size="15" text-anchor="middle">${esc(input.title)}</text>`)
  }
  parts.push(
    `<defs><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">${
      VIRIDIS.map((_, k) => `<stop offset="${k / (VIRIDIS.length - 1)}" stop-color="${viridis(k / (VIRIDIS.length - 1))}"/>`).join("")
    }</linearGradient></defs>`
  )

  // Cells; a tooltip per cell only for small matrices (keeps big SVGs small).
  const tips = n <= 48
  parts.push(`<g class="cells" shape-rendering="crispEdges">`)
  for (let r = 0; r < n; r++) {
    const i = order[r]!
    const y = top + r * cell
    for (let c = 0; c < n; c++) {
      const j = order[c]!
      const v = similarity[i * n + j]!
      const fill = viridis((v - lo) / span)
      const x = left + c * cell
      const tip = tips ? `<title>${esc(labels[i]!)} × ${esc(labels[j]!)}: ${Number.isFinite(v) ? v.toFixed(3) : "NaN"}</title>` : ""
      parts.push(
        tips
          ? `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}">${tip}</rect>`
          : `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}"/>`
      )
    }
  }
  parts.push(`</g>`)

  // Consensus outline: every block (run of consensus rows) × (run of consensus columns).
  const inConsensus = order.map((i) => clusters !== undefined && clusters[i] === 0)
  const blocks = runs(inConsensus)
  if (blocks.length > 0) {
    parts.push(`<g class="consensus" fill="none" stroke="#e8384f" stroke-width="2">`)
    for (const [r0, r1] of blocks)
      for (const [c0, c1] of blocks)
        parts.push(`<rect x="${left + c0 * cell}" y="${top + r0 * cell}" width="${(c1 - c0) * cell}" height="${(r1 - r0) * cell}"/>`)
    parts.push(`</g>`)
  }

  // Axis labels: rows on the left, columns on top (rotated); consensus members in bold.
  parts.push(`<g class="labels" font-size="${font}" fill="#222222">`)
  for (let r = 0; r < n; r += every) {
    const i = order[r]!
    const weight = inConsensus[r] === true ? ` font-weight="bold"` : ""
    const mid = top + r * cell + cell / 2
    parts.push(`<text class="row-label" x="${left - 4}" y="${mid}" text-anchor="end" dominant-baseline="central"${weight}>${esc(labels[i]!)}</text>`)
    const cx = left + r * cell + cell / 2
    parts.push(
      `<text class="col-label" x="${cx}" y="${top - 4}" transform="rotate(-90 ${cx} ${top - 4})" text-anchor="start" dominant-baseline="central"${weight}>${esc(labels[i]!)}</text>`
    )
  }
  parts.push(`</g>`)

  // Colour bar with ticks.
  parts.push(`<g class="colorbar" font-size="10" fill="#222222">`)
  parts.push(`<rect x="${barX}" y="${top}" width="${barW}" height="${grid}" fill="url(#scale)" stroke="#444444" stroke-width="0.5"/>`)
  const ticks = 5
  for (let k = 0; k < ticks; k++) {
    const t = k / (ticks - 1)
    const y = top + grid - t * grid
    parts.push(`<line x1="${barX + barW}" y1="${y}" x2="${barX + barW + 4}" y2="${y}" stroke="#444444"/>`)
    parts.push(`<text class="tick" x="${barX + barW + 6}" y="${y}" dominant-baseline="central">${fmt(lo + t * span)}</text>`)
  }
  parts.push(`</g>`)
  parts.push(`<text class="caption" x="8" y="${top + grid + 24}" font-size="11" fill="#444444">${esc(CAPTION)}</text>`)
  parts.push(`</svg>`)
  return parts.join("\n")
}
