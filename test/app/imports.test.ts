// The tree's arrows point one way (docs/ARCHITECTURE.md): no import loops among src/, actors/ and workers/;
// src/scoring imports nothing outside itself (no effect, no node/bun I/O modules); src/domain only itself, src/scoring and the
// versioned config; actors never import the app; src outside app imports neither actors nor the app;
// workers only src/scoring, the model spec and their own files. Read from the import lines of every file.
import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

const ROOT = resolve(import.meta.dir, "../..")

const filesUnder = (dir: string): Array<string> =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

/** Every module specifier a file imports or re-exports (static, `import type`, dynamic). */
const specifiers = (text: string): Array<string> => {
  const out: Array<string> = []
  const re = /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!)
  return out
}

const files = ["src", "actors", "workers"].flatMap(filesUnder)
/** file → the project files (or package names) it imports, paths relative to the root. */
const graph = new Map(
  files.map((f) => [
    f,
    specifiers(readFileSync(join(ROOT, f), "utf8")).map((s) => (s.startsWith(".") ? relative(ROOT, resolve(ROOT, dirname(f), s)) : `pkg:${s}`))
  ])
)
const local = (f: string) => (graph.get(f) ?? []).filter((t) => !t.startsWith("pkg:"))

describe("import arrows", () => {
  test("the scan sees the tree (sanity)", () => {
    expect(files.length).toBeGreaterThan(100)
    expect(local("src/app/Main.ts")).toContain("src/app/Validator.ts")
    expect(graph.get("src/app/Main.ts")).toContain("pkg:effect")
  })

  test("no import loops", () => {
    const state = new Map<string, "open" | "done">()
    const loops: Array<string> = []
    const visit = (f: string, path: Array<string>) => {
      if (state.get(f) === "done") return
      if (state.get(f) === "open") {
        loops.push([...path.slice(path.indexOf(f)), f].join(" → "))
        return
      }
      state.set(f, "open")
      for (const t of local(f)) if (graph.has(t)) visit(t, [...path, f])
      state.set(f, "done")
    }
    for (const f of files) visit(f, [])
    expect(loops).toEqual([])
  })

  const violations = (from: (f: string) => boolean, allowed: (target: string) => boolean) =>
    files.filter(from).flatMap((f) => (graph.get(f) ?? []).filter((t) => !allowed(t)).map((t) => `${f} → ${t}`))
  const under = (dir: string) => (p: string) => p.startsWith(`${dir}/`)

  test("src/scoring imports nothing outside itself: no effect, no I/O (pure npm helpers such as the stemmer only)", () => {
    const io = (t: string) => /^pkg:(effect|node:|bun)/.test(t) || ["pkg:fs", "pkg:path", "pkg:os"].includes(t)
    expect(violations(under("src/scoring"), (t) => under("src/scoring")(t) || (t.startsWith("pkg:") && !io(t)))).toEqual([])
  })

  test("src/domain imports only itself, src/scoring, effect and the versioned config", () => {
    expect(
      violations(under("src/domain"), (t) => under("src/domain")(t) || under("src/scoring")(t) || under("config")(t) || t.startsWith("pkg:"))
    ).toEqual([])
  })

  test("no arrow up: actors never import the app; src outside app imports neither actors nor the app", () => {
    expect(violations(under("actors"), (t) => !under("src/app")(t))).toEqual([])
    // the entries (src/main.ts, src/bin) sit above the app
    const lower = (f: string) => under("src")(f) && !under("src/app")(f) && !under("src/bin")(f) && f !== "src/main.ts"
    expect(violations(lower, (t) => !under("src/app")(t) && !under("actors")(t) && t !== "src/main.ts")).toEqual([])
  })

  test("workers import only src/scoring, the model spec, the scoring memory's table and their own files", () => {
    // the round scorer writes the memory snapshot itself (src/app/ScoringMemory.ts), through that table's module only
    const allowed = new Set(["src/embeddings/ModelResolver.ts", "src/store/MemorySnapshotStore.ts"])
    expect(violations(under("workers"), (t) => under("workers")(t) || under("src/scoring")(t) || allowed.has(t) || t.startsWith("pkg:"))).toEqual([])
  })
})
