// The shape every evaluation CLI shares: parse flags (a usage error exits 1 with the usage), --help, then run
// the program with logfmt logs on stderr; a typed failure the program describes is one line and exit 1, any
// other failure prints its cause. `print` writes the result and returns the exit code.
import { Effect, Logger } from "effect"

export const runCli = async <A extends { readonly help: boolean }, R, E>(o: {
  readonly name: string
  readonly usage: string
  readonly parse: () => A
  readonly program: (a: A) => Effect.Effect<R, E>
  /** A one-line message for an expected failure (bad config, no model, ...); null: print the cause. */
  readonly describe: (e: E) => string | null
  readonly print: (a: A, r: R) => number
}): Promise<number> => {
  let a: A
  try {
    a = o.parse()
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${o.usage}`)
    return 1
  }
  if (a.help) {
    console.log(o.usage)
    return 0
  }
  const exit = await Effect.runPromiseExit(o.program(a).pipe(Effect.provide(Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]))))
  if (exit._tag === "Success") return o.print(a, exit.value)
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  const message = failure?._tag === "Fail" ? o.describe(failure.error as E) : null
  console.error(message ?? `${o.name}: failed\n${String(exit.cause)}`)
  return 1
}
