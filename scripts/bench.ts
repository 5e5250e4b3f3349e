// `bun run bench [name ...]`: runs the benchmark modules in scripts/bench/ (all when no name is given).
// Each module exports `run(): Promise<void>` and prints ratios against a baseline measured in the same run.
import { readdirSync } from "node:fs"
import { join } from "node:path"

const dir = join(import.meta.dir, "bench")
const available = readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-") && !/^[0-9.]+$/.test(a))
const unknown = wanted.filter((w) => !available.includes(w))
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${available.join(", ")}`)
  process.exit(2)
}
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = (await import(join(dir, `${name}.ts`))) as { run: (args: ReadonlyArray<string>) => Promise<void> }
  console.log(`\n== bench ${name} ==`)
  await mod.run(process.argv.slice(2).filter((a) => !available.includes(a)))
}
