// Entry of the single-file binary (`bun run build` → dist/quorum; same arguments as `bun run validator`).
// The embedded onnxruntime library is made loadable first; only then is the validator imported (it pulls in
// onnxruntime-node through the embedder). `dist/quorum --self-check` loads the model, embeds two texts in
// the worker pool and prints timings as one JSON line, without starting the validator.
import { prepareOnnxRuntime } from "./onnxruntime.ts"

const started = performance.now()
const prep = prepareOnnxRuntime()

if (process.argv[2] === "--self-check") {
  const { selfCheck } = await import("./selfCheck.ts")
  process.exitCode = await selfCheck({ started, prep })
} else {
  await import("../main.ts")
}
