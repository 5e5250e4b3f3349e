// Which onnxruntime execution provider an embedding session runs on. CUDA is used when the installed
// onnxruntime-node offers it (its binding lists "cuda" and the provider library is bundled or installed
// next to the binding, which the package's CUDA postinstall does) and the session starts on it; otherwise
// the session runs on CPU and `note` says why, for the caller to log.
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import ort from "onnxruntime-node"

export type Device = "auto" | "cpu" | "cuda"

export interface ProviderChoice {
  readonly session: ort.InferenceSession
  readonly provider: "cpu" | "cuda"
  /** Why CUDA was not used although asked for (auto/cuda), or null. */
  readonly note: string | null
}

const cudaLibraryInstalled = (): boolean => {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"))
    return existsSync(join(pkg, "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so"))
  } catch {
    return false
  }
}

/** Whether the installed runtime offers CUDA, and if not, why. */
export const cudaOffer = (): { readonly offered: boolean; readonly reason: string } => {
  const backends = ort.listSupportedBackends()
  const cuda = backends.find((b) => b.name === "cuda")
  const names = backends.map((b) => b.name).join(", ")
  if (cuda === undefined) return { offered: false, reason: `this onnxruntime-node build has no CUDA provider (providers: ${names})` }
  if (!cuda.bundled && !cudaLibraryInstalled()) {
    return { offered: false, reason: "onnxruntime-node lists CUDA but its provider library is not installed (the package's CUDA postinstall was not run)" }
  }
  return { offered: true, reason: "" }
}

export const createSession = async (
  model: string | Uint8Array,
  device: Device,
  options: ort.InferenceSession.SessionOptions
): Promise<ProviderChoice> => {
  const cpu = () => ort.InferenceSession.create(model as string, { ...options, executionProviders: ["cpu"] })
  if (device === "cpu") return { session: await cpu(), provider: "cpu", note: null }
  const offer = cudaOffer()
  if (!offer.offered) return { session: await cpu(), provider: "cpu", note: `EMBED_DEVICE=${device}: ${offer.reason}; running on CPU` }
  try {
    const session = await ort.InferenceSession.create(model as string, { ...options, executionProviders: ["cuda", "cpu"] })
    return { session, provider: "cuda", note: null }
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e)
    return { session: await cpu(), provider: "cpu", note: `EMBED_DEVICE=${device}: the CUDA session did not start (${why}); running on CPU` }
  }
}
