// Makes onnxruntime-node loadable inside the compiled binary (`bun run build` → dist/quorum).
// Bun embeds the onnxruntime_binding.node addon by itself, but the addon needs libonnxruntime.so.1 from its
// own folder, which does not exist beside a single executable. So the library is embedded as a file asset,
// written once to a cache directory and dlopen'ed by absolute path; the addon's dependency (soname
// libonnxruntime.so.1) then resolves to the already-loaded copy, in this thread and in every worker thread
// (one process, one dynamic linker). Must run before anything imports onnxruntime-node.
import { dlopen, FFIType, type Library } from "bun:ffi"
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { basename, join } from "node:path"
import embeddedLib from "../../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" with { type: "file" }

export interface OnnxRuntimePrep {
  /** "source": nothing to do (node_modules is on disk); "extracted": written now; "cached": reused. */
  readonly mode: "source" | "extracted" | "cached"
  readonly libPath: string | null
  readonly ms: number
}

/** Folders tried in order: QUORUM_NATIVE_DIR; $XDG_CACHE_HOME or ~/.cache, /quorum/native; <tmp>/quorum-native-<uid>. */
export const nativeDirs = (env: Readonly<Record<string, string | undefined>> = process.env): Array<string> => {
  const explicit = env["QUORUM_NATIVE_DIR"]
  if (explicit !== undefined && explicit.length > 0) return [explicit]
  return [
    join(env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "quorum", "native"),
    join(tmpdir(), `quorum-native-${process.getuid?.() ?? "user"}`)
  ]
}

/** The library inside `root` (written there unless an identical copy is present). A root owned by another user,
 *  or writable by group/others, is refused: whatever is in it would be loaded into this process. */
const installInto = (root: string, size: number): { libPath: string; written: boolean } => {
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const st = statSync(root)
  const uid = process.getuid?.()
  if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new Error(`${root} is not private to this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`)
  }
  // the embedded name carries a content hash: one folder per library version
  const dir = join(root, basename(embeddedLib))
  const libPath = join(dir, "libonnxruntime.so.1")
  if (existsSync(libPath) && statSync(libPath).size === size) return { libPath, written: false }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = `${libPath}.tmp-${process.pid}`
  try {
    writeFileSync(tmp, readFileSync(embeddedLib), { mode: 0o500 })
    renameSync(tmp, libPath) // atomic: a concurrent start sees either nothing or the whole file
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
  return { libPath, written: true }
}

let prepared: OnnxRuntimePrep | null = null
let library: Library<{ OrtGetApiBase: { args: []; returns: FFIType.ptr } }> | null = null
/** The dlopen'ed library (null outside a compiled binary or before prepareOnnxRuntime). */
export const onnxRuntimeLibrary = () => library

/** Extracts (or reuses) and dlopens the embedded libonnxruntime.so.1; a no-op outside a compiled binary. */
export const prepareOnnxRuntime = (env: Readonly<Record<string, string | undefined>> = process.env): OnnxRuntimePrep => {
  if (prepared !== null) return prepared
  const t0 = performance.now()
  if (!Bun.isStandaloneExecutable) {
    prepared = { mode: "source", libPath: null, ms: 0 }
    return prepared
  }
  const size = statSync(embeddedLib).size
  const failures: Array<string> = []
  let installed: { libPath: string; written: boolean } | undefined
  for (const root of nativeDirs(env)) {
    try {
      installed = installInto(root, size)
      break
    } catch (e) {
      failures.push(`${root}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  if (installed === undefined) {
    throw new Error(`cannot write the embedded onnxruntime library (${failures.join("; ")}); set QUORUM_NATIVE_DIR to a private writable directory`)
  }
  const { libPath } = installed
  const mode: OnnxRuntimePrep["mode"] = installed.written ? "extracted" : "cached"
  // loading it is the point; bun:ffi wants one symbol, and the library's entry point is a cheap one to bind.
  // The handle is kept for the life of the process.
  library = dlopen(libPath, { OrtGetApiBase: { args: [], returns: FFIType.ptr } })
  prepared = { mode, libPath, ms: performance.now() - t0 }
  return prepared
}
