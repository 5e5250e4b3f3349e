// `bun run bench [name ...]` (binary: `quorum bench …`): runs the benchmark modules in scripts/bench/ (all
// when no name is given). Each module exports `run(args): Promise<void>` and prints ratios against a
// baseline measured in the same run. The table is static so the compiled binary carries every module.
type Bench = { run: (args: Array<string>) => Promise<void> }
const MODULES: Readonly<Record<string, () => Promise<Bench>>> = {
  embeddings: () => import("./bench/embeddings.ts"),
  load: () => import("./bench/load.ts"),
  round: () => import("./bench/round.ts"),
  scoring: () => import("./bench/scoring.ts"),
  similarity: () => import("./bench/similarity.ts")
}

const args = process.argv.slice(2)
const available = Object.keys(MODULES)
if (args.includes("--help") || args.includes("-h")) {
  console.log(`usage: bench [name ...]   names: ${available.join(", ")} (default: all)`)
  process.exit(0)
}
const wanted = args.filter((a) => !a.startsWith("-") && !/^[0-9.]+$/.test(a))
const unknown = wanted.filter((w) => !available.includes(w))
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${available.join(", ")}`)
  process.exit(2)
}
for (const name of wanted.length > 0 ? wanted : available) {
  const mod = await (MODULES[name] as () => Promise<Bench>)()
  console.log(`\n== bench ${name} ==`)
  await mod.run(args.filter((a) => !available.includes(a)))
}
