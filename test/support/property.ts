// Reproducible property tests: every fc.assert in test/ goes through `assertProperty`.
// FC_SEED=<int> fixes the seed (otherwise the property's own `seed` parameter if it has one, else a fresh
// one per property), FC_PATH=<path> replays one failing
// case directly, FC_NUM_RUNS=<int> overrides the number of runs. On failure the seed, the path and the
// command that replays it are printed (fast-check's own report follows in the thrown error).
import fc from "fast-check"

const envInt = (name: string): number | undefined => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return undefined
  const v = Number(raw)
  if (!Number.isSafeInteger(v)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`)
  return v
}

const fixedSeed = envInt("FC_SEED")
const fixedRuns = envInt("FC_NUM_RUNS")
const fixedPath = process.env["FC_PATH"]?.trim() || undefined

/** The seed a seeded (non-fast-check) random test should use: FC_SEED, or a fresh one (see withSeed). */
export const testSeed = (): number => fixedSeed ?? freshSeed()

const freshSeed = (): number => (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0

/** The test file that called us, for the replay hint. */
const callerFile = (): string => {
  const lines = (new Error().stack ?? "").split("\n").slice(1)
  const frame = lines.find((l) => !l.includes("support/property.ts") && /\.test\.ts/.test(l))
  const m = frame?.match(/(test\/[^\s:()]+\.test\.ts)/)
  return m?.[1] ?? "<test file>"
}

export const replayHint = (seed: number, path: string | undefined, file: string): string =>
  `[property] failed with seed ${seed}${path ? ` path ${path}` : ""}; replay: ` +
  `FC_SEED=${seed}${path ? ` FC_PATH=${path}` : ""} node_modules/.bin/bun test ${file}`

const paramsFor = <Ts>(seed: number, params: fc.Parameters<Ts>): fc.Parameters<Ts> => ({
  ...params,
  seed,
  ...(fixedPath !== undefined ? { path: fixedPath } : {}),
  ...(fixedRuns !== undefined ? { numRuns: fixedRuns } : {})
})

const report = <Ts>(seed: number, file: string, details: fc.RunDetails<Ts>): void => {
  if (!details.failed) return
  console.error(replayHint(seed, details.counterexamplePath ?? undefined, file))
  const cause = details.errorInstance
  const why = cause instanceof Error ? cause.message : String(cause)
  throw new Error(`${fc.defaultReportMessage(details) ?? `property failed (seed ${seed})`}\nGot error: ${why}`, { cause })
}

/** fc.assert with a printed, settable seed (see the file comment). */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, params?: fc.Parameters<Ts>): void
export function assertProperty<Ts>(property: fc.IAsyncProperty<Ts>, params?: fc.Parameters<Ts>): Promise<void>
export function assertProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts> = {}
): void | Promise<void> {
  const seed = fixedSeed ?? params.seed ?? freshSeed()
  const file = callerFile()
  const p = paramsFor(seed, params)
  if (property.isAsync()) return fc.check(property as fc.IAsyncProperty<Ts>, p).then((d) => report(seed, file, d))
  report(seed, file, fc.check(property as fc.IProperty<Ts>, p))
}

/**
 * For seeded tests that are not fc.assert (fc.sample, a seeded generator): runs `body` with FC_SEED or a
 * fresh seed and prints the replay hint if it throws.
 */
export const withSeed = <A>(body: (seed: number) => A): A => {
  const seed = testSeed()
  const file = callerFile()
  const hint = () => console.error(replayHint(seed, undefined, file))
  try {
    const out = body(seed)
    if (out instanceof Promise) return out.catch((e: unknown) => { hint(); throw e }) as A
    return out
  } catch (e) {
    hint()
    throw e
  }
}
