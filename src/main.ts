// Validator entry: `bun run validator [--key value ...]`. Runs until SIGINT/SIGTERM (clean shutdown of
// every actor, the worker pool, the HTTP server and the database), or for DEMO_ROUNDS rounds.
import { runMain } from "./app/runMain.ts"
import { Effect, Runtime } from "effect"
import { isHelp, program, usage } from "./app/Main.ts"

const argv = process.argv.slice(2)
if (isHelp(argv)) {
  process.stdout.write((Bun.isStandaloneExecutable ? usage.replace(/^usage: bun run validator/, "usage: quorum validator") : usage) + "\n")
} else {
  // Exit once the program (and every finalizer) is done, even if a library left a handle open
  // (chopsticks' executor, a WebSocket); stdout is flushed first so the summary line is never cut.
  const teardown: Runtime.Teardown = (exit) =>
    Runtime.defaultTeardown(exit, (code) => {
      const final = code !== 0 ? code : Number(process.exitCode ?? 0)
      process.stdout.write("", () => process.exit(final))
    })
  runMain(
    program(argv).pipe(
      Effect.catchTag("ConfigError", (e) =>
        Effect.sync(() => {
          process.stderr.write(`config error: ${e.message}\n(run with --help for every key and its allowed values)\n`)
          process.exitCode = 2
        })
      ),
      // every other typed failure: one clear line (its tag and message, which say what to do), exit 1
      Effect.catch((e) =>
        Effect.sync(() => {
          const tag = typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "Error"
          const message = typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)
          process.stderr.write(`validator stopped: ${tag}: ${message}\n`)
          process.exitCode = 1
        })
      )
    ),
    { teardown }
  )
}
