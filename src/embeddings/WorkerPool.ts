// The project's Piscina pools (the embedding workers, the round scorer): where a worker script lives (the
// source file, or its embedded entry point inside `dist/quorum`) and a pool that lives as long as its scope.
import { resolve } from "node:path"
import { Effect, type Scope } from "effect"
import Piscina from "piscina"
import type { ThreadPriority } from "../../workers/protocol.ts"

/** A worker script of workers/ by base name: scripts/build.ts compiles it as an extra entry point with the
 *  project as root, which Bun stores under /$bunfs/root/workers/<name>.js in the binary. */
export const workerEntry = (name: string, compiled: boolean = Bun.isStandaloneExecutable): string =>
  compiled ? `/$bunfs/root/workers/${name}.js` : resolve(import.meta.dir, "../../workers", `${name}.ts`)

/** `threads` long-lived threads of `filename`; on close, running tasks finish first (terminating a thread
 *  inside onnxruntime aborts the process), at most 30 s, then the pool is destroyed. */
export const scopedPool = (filename: string, threads: number, workerData: unknown): Effect.Effect<Piscina, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: Number.MAX_SAFE_INTEGER, workerData })),
    (p) => Effect.promise(() => p.close()).pipe(Effect.timeoutOption("30 seconds"), Effect.andThen(Effect.promise(() => p.destroy())))
  )

/** One log line with the nice value the pool's threads run at (WORKER_NICE), or why it was not applied. */
export const logThreadPriority = (pool: string, threads: ReadonlyArray<ThreadPriority | null>) => {
  const applied = threads.flatMap((t) => (t !== null && t.nice !== null ? [t.nice] : []))
  const skipped = threads.find((t) => t !== null && t.skipped !== null)?.skipped ?? (applied.length === 0 ? "the worker did not say" : null)
  return skipped === null
    ? Effect.logInfo("worker threads run at a lower priority", { pool, nice: applied.join(","), threads: threads.length })
    : Effect.logInfo("worker thread priority left alone", { pool, reason: skipped })
}
