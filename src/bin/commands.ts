// The subcommands of the single binary (`quorum <command> [args]`), each loaded only when asked for, so
// `quorum score` never starts the validator's imports. Adding a command is one entry here. Each entry
// sees its own arguments as process.argv.slice(2), the way `bun scripts/<name>.ts` does.
export interface Command {
  readonly about: string
  /** Runs the command with `args`; resolves when the command has started (long-running ones keep going). */
  readonly run: (args: ReadonlyArray<string>) => Promise<void>
}

/** Sets argv as the scripts expect (`<exe> <script> ...args`) and imports the module that runs on load. */
const asScript = (load: () => Promise<unknown>) => async (args: ReadonlyArray<string>) => {
  process.argv = [process.argv[0] ?? "quorum", process.argv[1] ?? "quorum", ...args]
  await load()
}

/** Why the local chain (chopsticks) does not run inside the binary, and what to run instead. */
export const NO_CHAIN_IN_BINARY =
  "the local subtensor (chopsticks) cannot run inside the single binary: chopsticks executes the runtime wasm in a " +
  "worker thread loaded from its own file (node-wasm-executor.js), which the binary's embedded filesystem cannot serve. " +
  "Run it from a checkout instead: npm ci && npm run localnet (or npm run validator for the demo with a chain)"

const inBinary = () => Bun.isStandaloneExecutable

export const COMMANDS: Readonly<Record<string, Command>> = {
  validator: {
    about: "run the validator (default; demo mode unless QUORUM_MODE=live)",
    run: async (args) => {
      // the binary's demo runs without the local chain (see NO_CHAIN_IN_BINARY) unless told otherwise
      const demo = (process.env["QUORUM_MODE"] ?? "demo") === "demo" && !args.some((a) => a.startsWith("--quorum-mode") && a.includes("live"))
      if (inBinary() && demo && process.env["DEMO_CHAIN"] === undefined && !args.some((a) => a.startsWith("--demo-chain"))) {
        process.env["DEMO_CHAIN"] = "off"
        process.stderr.write(`note: demo without a chain: ${NO_CHAIN_IN_BINARY}\n`)
      }
      await asScript(() => import("../main.ts"))(args)
    }
  },
  score: { about: "score one round file offline (scoring report, heatmap)", run: asScript(() => import("../../scripts/score.ts")) },
  eval: { about: "evaluate the scoring on real answers (AlpacaEval dev split; report, plot)", run: asScript(() => import("../../scripts/eval.ts")) },
  policies: { about: "compare the selection × aggregation policies on the simulated populations (table, plot)", run: asScript(() => import("../../scripts/policies.ts")) },
  localnet: {
    about: "start a local subtensor (chopsticks) with a registered subnet (from a checkout only)",
    run: async (args) => {
      if (!inBinary()) return asScript(() => import("../../scripts/localnet.ts"))(args)
      process.stderr.write(`quorum localnet: ${NO_CHAIN_IN_BINARY}\n`)
      process.exitCode = 2
    }
  },
  "simulate-miners": { about: "run simulated miners on 127.0.0.1", run: asScript(() => import("../../scripts/simulate-miners.ts")) },
  bench: { about: "benchmarks (ratios against a baseline measured in the same run)", run: asScript(() => import("../../scripts/bench.ts")) },
  health: {
    about: "probe the running validator's /health (exit 0 when it answers ok; for Docker/systemd checks)",
    run: async (args) => {
      const { probeHealth } = await import("./health.ts")
      process.exitCode = await probeHealth(args)
    }
  },
  model: {
    about: "prepare the embedding model ahead of time (fetch | build | where)",
    run: async (args) => {
      const { runModelCommand } = await import("../../scripts/model.ts")
      process.exitCode = await runModelCommand(args)
    }
  }
}

export const commandsHelp = (exe: string): string =>
  `usage: ${exe} <command> [--help] [args]\n\ncommands:\n` +
  Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(16)} ${c.about}`)
    .join("\n") +
  `\n\nWithout a command (or with only flags) the validator runs: \`${exe} --demo-rounds 3\` = \`${exe} validator --demo-rounds 3\`.` +
  `\n\`${exe} --self-check\` checks the embedded parts (onnxruntime, workers, model) and exits.`
