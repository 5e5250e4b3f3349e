// Runs an Effect as the process's main program: SIGINT / SIGTERM interrupt the main fiber (so every
// finalizer runs), then the teardown decides the exit code. The same contract as
// @effect/platform-node-shared's NodeRuntime.runMain, on effect's own Runtime.makeRunMain; that package
// is not a dependency because it declares Node ≥ 22.19 (an install warning on Node 20) for these lines.
import { Runtime } from "effect"

export const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let receivedSignal = false
  const onSignal = () => {
    receivedSignal = true
    fiber.interruptUnsafe(fiber.id)
  }
  fiber.addObserver((exit) => {
    process.removeListener("SIGINT", onSignal)
    process.removeListener("SIGTERM", onSignal)
    teardown(exit, (code) => {
      if (receivedSignal || code !== 0) process.exit(code)
    })
  })
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
})
