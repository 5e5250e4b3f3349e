// Validator entry: `bun run validator [--key value ...]`. Runs until SIGINT/SIGTERM (clean shutdown of
// every actor, the worker pool, the HTTP server and the database), or for DEMO_ROUNDS rounds.
import { runMain } from "@effect/platform-node-shared/NodeRuntime"
import { Effect } from "effect"
import { isHelp, program, usage } from "./app/Main.ts"

const argv = process.argv.slice(2)
if (isHelp(argv)) {
  process.stdout.write(usage + "\n")
} else {
  runMain(
    program(argv).pipe(
      Effect.catchTag("ConfigError", (e) =>
        Effect.sync(() => {
          process.stderr.write(`config error: ${e.message}\n(run with --help for every key and its allowed values)\n`)
          process.exitCode = 2
        })
      )
    )
  )
}
