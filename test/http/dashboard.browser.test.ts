// The dashboard in real headless Chromium (Debian's chromium driven by playwright-core) against a running demo:
// the page renders the miner table, the latest rounds with their rewards, a heatmap and the weights chart from
// live data, with no console error; a screenshot is kept in test-artifacts/dashboard.png.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type DemoProcess, startDemo, until } from "../support/demoProcess.ts"
import { hasUseLite, skipNote, USE_LITE_DIR } from "../support/shared.ts"

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const ARTIFACTS = resolve(import.meta.dir, "../../test-artifacts")
const hasChromium = existsSync(CHROMIUM)

if (!hasChromium) console.warn(`[skip] dashboard browser test: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium, or set CHROMIUM_PATH)`)
if (!hasUseLite) skipNote("dashboard browser test (needs the demo's model)", USE_LITE_DIR)
const d = hasChromium && hasUseLite ? describe : describe.skip

d("dashboard in headless Chromium", () => {
  let demo: DemoProcess
  beforeAll(async () => {
    demo = await startDemo({})
  }, 120_000)
  afterAll(async () => {
    await demo?.stop()
  }, 30_000)

  test("renders live data from a running demo, no console errors, screenshot kept", async () => {
    // enough data for every panel: a few scored rounds and a heatmap on disk
    const ready = await until(async () => {
      const s = (await (await fetch(`${demo.url}/console/state`)).json()) as { heatmaps: string[]; last_round_at: string | null }
      const rounds = (await (await fetch(`${demo.url}/rounds?limit=5`)).json()) as unknown[]
      return s.heatmaps.length > 0 && rounds.length >= 2 ? s : null
    }, 90_000)
    if (ready === null) console.error(demo.stderr())
    expect(ready).not.toBeNull()

    const { chromium } = await import("playwright-core")
    const profile = mkdtempSync(join(tmpdir(), "quorum-chromium-"))
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1100 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
    const problems: string[] = []
    try {
      const page = await ctx.newPage()
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`)
      })
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`))
      page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`))
      await page.goto(`${demo.url}/`, { waitUntil: "load" })
      await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 })
      await page.waitForSelector("#miners tbody tr.miner", { timeout: 15_000 })
      await page.waitForSelector("#rounds .round rect.reward", { timeout: 15_000 })
      await page.waitForSelector("#heatmaps img", { timeout: 15_000 })
      await page.waitForFunction("[...document.querySelectorAll('#heatmaps img')].every((i) => i.complete && i.naturalWidth > 0)", undefined, { timeout: 15_000 })
      const rows = await page.locator("#miners tbody tr.miner").count()
      expect(rows).toBe(6)
      // seed 003's columns: every miner that answered a round has a tier
      const tiers = await page.locator("#miners tbody tr.miner td:nth-child(11)").allTextContents()
      expect(tiers.some((t) => ["elite", "high", "competent", "basic", "under"].includes(t))).toBe(true)
      // the copy record across rounds: every miner that answered has a standing
      const records = await page.locator("#miners tbody tr.miner td:nth-child(12)").allTextContents()
      expect(records.every((t) => ["clean", "copier", "astray", "unknown", "–"].includes(t))).toBe(true)
      expect(records.some((t) => t !== "–")).toBe(true)
      expect(await page.locator("#rounds .round").count()).toBeGreaterThanOrEqual(2)
      expect((await page.locator("#rounds .prompt").first().textContent())?.length ?? 0).toBeGreaterThan(5)
      expect(await page.locator("#mode").textContent()).toBe("mode: demo")
      expect(await page.locator("#run").textContent()).toBe("taking challenges")
      expect(await page.locator("#chain").textContent()).toContain("no chain (dry run)")
      // the weights chart appears once a weights sample exists (the first is taken at start)
      expect(await page.locator("#wchart svg, #wchart .muted").count()).toBeGreaterThan(0)
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true })
      expect(existsSync(join(ARTIFACTS, "dashboard.png"))).toBe(true)
      await page.goto(`${demo.url}/dashboard`, { waitUntil: "load" })
      await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 })
    } finally {
      await ctx.close()
      rmSync(profile, { recursive: true, force: true })
    }
    if (problems.length > 0) console.error(problems.join("\n"))
    expect(problems).toEqual([])
  }, 180_000)
})
