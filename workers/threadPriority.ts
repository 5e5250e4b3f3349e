// Lowers the scheduling priority of the calling thread (a worker thread), so that on a busy machine the
// validator's event loop — which times miner replies — wins the CPU over embedding and scoring. On Linux a
// nice value is per thread: the thread id comes from /proc/thread-self ("<pid>/task/<tid>") and
// os.setPriority(tid, nice) changes only that thread and the threads it creates afterwards (onnxruntime's
// intra-op threads, when the session is created after this call). Elsewhere it is skipped with a reason.
import { readlinkSync } from "node:fs"
import { getPriority, setPriority } from "node:os"
import type { ThreadPriority } from "./protocol.ts"

export const lowerThreadPriority = (nice: number | undefined): ThreadPriority => {
  if (nice === undefined || nice === 0) return { nice: null, tid: null, skipped: "WORKER_NICE is 0" }
  if (process.platform !== "linux") return { nice: null, tid: null, skipped: `per-thread priority is Linux only (${process.platform})` }
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop())
    if (!Number.isInteger(tid) || tid <= 0) return { nice: null, tid: null, skipped: "no thread id in /proc/thread-self" }
    setPriority(tid, nice)
    return { nice: getPriority(tid), tid, skipped: null }
  } catch (e) {
    return { nice: null, tid: null, skipped: `setPriority failed: ${e instanceof Error ? e.message : String(e)}` }
  }
}
