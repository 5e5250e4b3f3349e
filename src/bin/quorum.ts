// Entry of the single-file binary (`bun run build` → dist/quorum): `quorum <command> [args]` with the
// commands of src/bin/commands.ts (validator, score, eval, localnet, simulate-miners, bench, health, model); no command
// means the validator, with the same arguments as `bun run validator`. The embedded onnxruntime library is
// made loadable first; only then is any code imported that pulls in onnxruntime-node.
// `quorum --self-check` loads the model, embeds two texts in the worker pool and prints timings as one JSON
// line, without starting the validator.
import { COMMANDS, commandsHelp } from "./commands.ts"
import { prepareOnnxRuntime } from "./onnxruntime.ts"

const started = performance.now()
const prep = prepareOnnxRuntime()
const [first, ...rest] = process.argv.slice(2)

if (first === "--self-check") {
  const { selfCheck } = await import("./selfCheck.ts")
  process.exitCode = await selfCheck({ started, prep })
} else if (first === "help" || ((first === "--help" || first === "-h") && rest.length === 0)) {
  const { usage } = await import("../app/Main.ts")
  process.stdout.write(`${commandsHelp("quorum")}\n\nvalidator ${usage.replace(/^usage: bun run validator/, "usage: quorum validator")}\n`)
} else if (first !== undefined && !first.startsWith("-")) {
  const command = COMMANDS[first]
  if (command === undefined) {
    process.stderr.write(`unknown command "${first}"\n\n${commandsHelp("quorum")}\n`)
    process.exitCode = 2
  } else await command.run(rest)
} else await (COMMANDS["validator"] as (typeof COMMANDS)[string]).run(process.argv.slice(2))
