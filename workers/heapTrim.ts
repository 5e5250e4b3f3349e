// A worker thread's own JS heap, collected in full after a task once a set time has passed since the last full
// collection. JSC collects lazily: replaying 500 real rounds through the round scorer, its heap grew from 60 to
// 174 MB while what it kept (the novelty memory) grew by 8 MB, and RSS grew with it; after a full collection the
// heap was 68 MB. Each worker has its own VM, so the pause (≈ 5–40 ms) stops only this thread, never the
// event loop that times miner replies. Time, not heap growth, triggers it: JSC's own heap-size figures can stay
// flat while a thread allocates into blocks it already holds. An interval of 0 does nothing.
export interface HeapTrim {
  /** Call after a task: collects when the interval has passed since the last collection; true when it did. */
  readonly afterTask: () => boolean
  /** Full collections so far. */
  readonly collections: () => number
}

export interface HeapTrimDeps {
  readonly now: () => number
  readonly collect: () => void
}

const realDeps: HeapTrimDeps = { now: () => performance.now(), collect: () => Bun.gc(true) }

export const makeHeapTrim = (intervalSeconds: number | undefined, deps: HeapTrimDeps = realDeps): HeapTrim => {
  const interval = (intervalSeconds ?? 0) * 1000
  let collections = 0
  if (!(interval > 0)) return { afterTask: () => false, collections: () => 0 }
  let last = deps.now()
  return {
    afterTask: () => {
      if (deps.now() - last < interval) return false
      deps.collect()
      last = deps.now()
      collections++
      return true
    },
    collections: () => collections
  }
}
