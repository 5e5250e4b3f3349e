// `bun run build`: one self-contained executable, dist/quorum (bun build --compile, linux-x64).
// Entry points: src/bin/quorum.ts (the binary's main), workers/scoring.worker.ts and workers/roundScorer.worker.ts
// (started by the Piscina pools) and Piscina's own worker bootstrap. All four are compiled with the project as root, so inside the binary
// they live at /$bunfs/root/<path relative to the project>.js; Embedder.EMBEDDED_WORKER_FILE and
// Scorer.EMBEDDED_ROUND_SCORER_FILE name the workers there, and Piscina's `resolve(__dirname, "worker.js")` (a path on the build machine) is rewritten to
// its embedded name. libonnxruntime.so.1 and data/corpus.json are embedded through file imports.
import { statSync } from "node:fs"
import { relative, resolve } from "node:path"
import type { BunPlugin } from "bun"

export const PROJECT_ROOT = resolve(import.meta.dir, "..")
const PISCINA_DIR = resolve(PROJECT_ROOT, "node_modules/piscina/dist")
const PISCINA_WORKER = resolve(PISCINA_DIR, "worker.js")
export const SCORING_WORKER = resolve(PROJECT_ROOT, "workers/scoring.worker.ts")
export const ROUND_SCORER_WORKER = resolve(PROJECT_ROOT, "workers/roundScorer.worker.ts")
/** The name Bun gives an entry point inside the binary (root = the project). */
export const embeddedName = (file: string) =>
  "/$bunfs/root/" + relative(PROJECT_ROOT, file).replace(/\.(ts|mts|cts|js|mjs|cjs)$/, ".js")

/** Where Piscina starts its threads: `(0, node_path_1.resolve)(__dirname, 'worker.js')` in dist/index.js. */
const PISCINA_BOOTSTRAP = /\(0,\s*node_path_1\.resolve\)\(__dirname,\s*'worker\.js'\)/g

const piscinaBootstrap: BunPlugin = {
  name: "piscina-embedded-worker",
  setup(build) {
    build.onLoad({ filter: /[\\/]piscina[\\/]dist[\\/]index\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text()
      const hits = source.match(PISCINA_BOOTSTRAP)?.length ?? 0
      if (hits !== 1) throw new Error(`${args.path}: expected one worker bootstrap path, found ${hits} (piscina changed?)`)
      return { contents: source.replace(PISCINA_BOOTSTRAP, JSON.stringify(embeddedName(PISCINA_WORKER))), loader: "js" }
    })
  }
}

/** chopsticks-core's logger: pino with a "pino-pretty" transport, which pino resolves by name in a worker
 *  thread at start; inside the binary there is no node_modules to resolve it from ("unable to determine
 *  transport target"). In the binary it logs plain JSON lines to stderr instead. */
const CHOPSTICKS_PINO = /pino\(\{\s*level: environment\.LOG_LEVEL,\s*transport: \{[\s\S]*?\n\}\);/g
const chopsticksLogger: BunPlugin = {
  name: "chopsticks-logger-without-transport",
  setup(build) {
    build.onLoad({ filter: /[\\/]chopsticks-core[\\/]dist[\\/]esm[\\/]logger\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text()
      const hits = source.match(CHOPSTICKS_PINO)?.length ?? 0
      if (hits !== 1) throw new Error(`${args.path}: expected one pino(...) with a transport, found ${hits} (chopsticks changed?)`)
      return { contents: source.replace(CHOPSTICKS_PINO, "pino({ level: environment.LOG_LEVEL }, pino.destination(2));"), loader: "js" }
    })
  }
}

export interface BuildOptions {
  readonly entry?: string | undefined
  readonly outfile?: string | undefined
}

export interface BuildResult {
  readonly outfile: string
  readonly bytes: number
  readonly ms: number
}

export const buildBinary = async (options: BuildOptions = {}): Promise<BuildResult> => {
  const entry = resolve(PROJECT_ROOT, options.entry ?? "src/bin/quorum.ts")
  const outfile = resolve(PROJECT_ROOT, options.outfile ?? "dist/quorum")
  const t0 = performance.now()
  const result = await Bun.build({
    entrypoints: [entry, SCORING_WORKER, ROUND_SCORER_WORKER, PISCINA_WORKER],
    root: PROJECT_ROOT,
    target: "bun",
    minify: { syntax: true, whitespace: true, identifiers: false },
    sourcemap: "none",
    splitting: true,
    plugins: [piscinaBootstrap, chopsticksLogger],
    compile: {
      target: "bun-linux-x64",
      outfile,
      autoloadDotenv: false, // the validator reads .env itself (DOTENV_PATH), with its own precedence
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false
    },
    throw: false
  })
  if (!result.success) {
    const messages = result.logs.map((l) => String(l)).join("\n")
    throw new Error(`bun build --compile failed:\n${messages}`)
  }
  return { outfile, bytes: statSync(outfile).size, ms: performance.now() - t0 }
}

if (import.meta.main) {
  const argv = process.argv.slice(2)
  const flag = (name: string) => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  try {
    const r = await buildBinary({ entry: flag("--entry"), outfile: flag("--outfile") })
    console.log(`built ${relative(process.cwd(), r.outfile) || r.outfile}: ${(r.bytes / 1024 / 1024).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s`)
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e))
    process.exitCode = 1
  }
}
