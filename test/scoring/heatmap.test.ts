import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assertProperty } from "../support/property.ts"
import { Resvg } from "@resvg/resvg-js"
import { averageLinkage } from "../../src/scoring/cluster.ts"
import { existsSync } from "node:fs"
import { CAPTION, FONT_FAMILY, heatmapSvg, viridis } from "../../src/scoring/heatmap.ts"

/** Minimal XML well-formedness: tags balance, attributes quoted, no stray '<' or '&' in text. */
const checkXml = (s: string): void => {
  const stack: Array<string> = []
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos);)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    if (m[2] === undefined) throw new Error(`stray ${m[0]} at ${m.index}: ${s.slice(m.index, m.index + 40)}`)
    if (m[1] === "/") {
      const open = stack.pop()
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`)
    } else if (m[4] !== "/") stack.push(m[2])
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(",")}`)
}

const luma = (hex: string) => {
  const v = parseInt(hex.slice(1), 16)
  return 0.2126 * (v >> 16) + 0.7152 * ((v >> 8) & 255) + 0.0722 * (v & 255)
}

const randomSim = (n: number, seed: number) => {
  let s = seed >>> 0
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const dim = 6
  const x = Array.from({ length: n }, () => {
    const v = Array.from({ length: dim }, () => r() + (r() < 0.5 ? 1 : 0))
    const norm = Math.hypot(...v)
    return v.map((a) => a / norm)
  })
  const sim = new Float32Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sim[i * n + j] = x[i]!.reduce((a, b, k) => a + b * x[j]![k]!, 0)
  return sim
}

describe("heatmapSvg", () => {
  test("structure: well-formed, n² cells, labels on both axes, colour bar, title escaped, consensus outlined", () => {
    const n = 9
    const sim = randomSim(n, 3)
    const labels = Array.from({ length: n }, (_, i) => String(100 + i))
    const clusters = averageLinkage(sim, n, 0.2)
    const svg = heatmapSvg({ similarity: sim, n, labels, title: "round <a&b>", clusters })
    checkXml(svg)
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg.match(/class="cell"/g)!.length).toBe(n * n)
    for (const l of labels) {
      expect(svg).toContain(`>${l}</text>`)
      expect(svg.match(new RegExp(`class="(row|col)-label"[^>]*>${l}</text>`, "g"))!.length).toBe(2)
    }
    expect(svg).toContain("round &lt;a&amp;b&gt;")
    expect(svg.match(/class="tick"/g)!.length).toBe(5)
    expect(svg).toContain('class="consensus"')
    // outline rectangles cover exactly the consensus rows: (#runs)² rectangles
    expect(svg).toMatch(/<g class="consensus"[^>]*>\n<rect/)
    // resvg (the PNG path) parses and renders it
    const png = new Resvg(svg).render().asPng()
    expect(png.subarray(1, 4).toString()).toBe("PNG")
  })

  test("no consensus outline without clusters; large n thins labels but keeps all cells", () => {
    const n = 120
    const sim = randomSim(n, 5)
    const svg = heatmapSvg({ similarity: sim, n, labels: Array.from({ length: n }, (_, i) => `u${i}`) })
    checkXml(svg)
    expect(svg).not.toContain('class="consensus"')
    expect(svg.match(/class="cell"/g)!.length).toBe(n * n)
    const rows = svg.match(/class="row-label"/g)!.length
    expect(rows).toBeGreaterThan(10)
    expect(rows).toBeLessThan(n)
  })

  test("colour is monotone in value (viridis lightness increases)", () => {
    assertProperty(
      fc.property(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.double({ min: -0.5, max: 1.5, noNaN: true }), (a, b) => {
        if (a < b) expect(luma(viridis(a))).toBeLessThanOrEqual(luma(viridis(b)) + 1e-9)
      })
    )
    expect(viridis(0)).toBe("#440154")
    expect(viridis(1)).toBe("#fde725")
    // and in the SVG: sort cells by value, their fills' lightness never decreases
    const n = 12
    const sim = randomSim(n, 11)
    const svg = heatmapSvg({ similarity: sim, n, labels: Array.from({ length: n }, (_, i) => String(i)) })
    const fills = [...svg.matchAll(/class="cell"[^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]!)
    expect(fills.length).toBe(n * n)
    const pairs = fills.map((f, k) => [sim[k]!, luma(f)] as const).sort((p, q) => p[0] - q[0])
    for (let k = 1; k < pairs.length; k++) expect(pairs[k]![1]).toBeGreaterThanOrEqual(pairs[k - 1]![1] - 1e-9)
    expect(pairs[pairs.length - 1]![1]).toBeGreaterThan(pairs[0]![1])
  })

  test("orderByCluster puts the consensus first as one block", () => {
    const n = 10
    const sim = randomSim(n, 17)
    const clusters = averageLinkage(sim, n, 0.25)
    const size0 = Array.from(clusters).filter((c) => c === 0).length
    const svg = heatmapSvg({ similarity: sim, n, labels: Array.from({ length: n }, (_, i) => `m${i}`), clusters, orderByCluster: true })
    checkXml(svg)
    const block = svg.match(/<g class="consensus"[^>]*>\n(<rect[^>]*>)\n<\/g>/)
    expect(block).not.toBeNull() // exactly one outline rectangle
    const rowOrder = [...svg.matchAll(/class="row-label"[^>]*>m(\d+)</g)].map((m) => Number(m[1]))
    expect(rowOrder.slice(0, size0).every((i) => clusters[i] === 0)).toBe(true)
  })

  test("caption says cosine similarity; a long title fits the canvas; concrete sans-serif families; clusters ordered by default", () => {
    const n = 4
    const sim = randomSim(n, 5)
    const title = "round 0f8c2a1e-1d4b-4a7e-9f43-5b2c7d9e0a11 · reasoning"
    const svg = heatmapSvg({ similarity: sim, n, labels: ["1", "2", "3", "4"], title, clusters: [1, 0, -1, 0] })
    checkXml(svg)
    expect(svg).toContain(CAPTION)
    expect(CAPTION.toLowerCase()).toContain("cosine similarity")
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1])
    // 15 px font: at least 0.6 em per character fits in the canvas
    expect(width).toBeGreaterThanOrEqual(title.length * 15 * 0.6)
    expect(svg).toContain(`font-family="${FONT_FAMILY}"`)
    expect(FONT_FAMILY.endsWith("sans-serif")).toBe(true)
    // consensus (label 0: rows 2 and 4) first, then cluster 1, unclustered last
    const rowOrder = [...svg.matchAll(/class="row-label"[^>]*>(\d+)</g)].map((m) => m[1])
    expect(rowOrder).toEqual(["2", "4", "1", "3"])
    expect(svg.match(/<g class="consensus"[^>]*>\n(<rect[^>]*>)\n<\/g>/)).not.toBeNull()
  })

  test("the PNG draws the text with an installed sans-serif font (resvg resolves the family list)", () => {
    const n = 3
    const sim = randomSim(n, 9)
    const base = { similarity: sim, n, labels: ["1", "2", "3"] }
    const opts = { font: { loadSystemFonts: true, sansSerifFamily: "DejaVu Sans", defaultFontFamily: "DejaVu Sans" } }
    const withTitle = new Resvg(heatmapSvg({ ...base, title: "A title that must be drawn" }), opts).render()
    const blank = new Resvg(heatmapSvg({ ...base, title: " ".repeat(26) }), opts).render()
    expect(withTitle.width).toBe(blank.width)
    const a = withTitle.pixels
    const b = blank.pixels
    let diff = 0
    for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) diff++
    if (!existsSync("/usr/share/fonts")) {
      console.warn("[skip] PNG font check: no system fonts in /usr/share/fonts (apt-get install fonts-dejavu-core)")
      return
    }
    expect(diff).toBeGreaterThan(100)
  })
})
