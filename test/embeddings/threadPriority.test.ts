// WORKER_NICE: a worker thread lowers its own scheduling priority (Linux: per thread), the process's main
// thread keeps its own; 0 leaves the thread alone with a reason.
import { describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import type { ThreadPriority } from "../../workers/protocol.ts"
import { lowerThreadPriority } from "../../workers/threadPriority.ts"

/** The nice value of one thread, from /proc (field 19 of stat; the command name may hold spaces). */
const niceOf = (pid: number, tid: number) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16])

const inWorker = (nice: number) =>
  new Promise<{ applied: ThreadPriority; pid: number }>((resolve, reject) => {
    const w = new Worker(join(import.meta.dir, "../support/priorityWorker.ts"), { workerData: nice })
    w.once("message", (m) => {
      resolve(m)
      void w.terminate()
    })
    w.once("error", reject)
  })

describe("thread priority", () => {
  test("0 leaves the thread alone and says why", () => {
    expect(lowerThreadPriority(0)).toEqual({ nice: null, tid: null, skipped: "WORKER_NICE is 0" })
    expect(lowerThreadPriority(undefined).nice).toBeNull()
  })

  test.skipIf(process.platform !== "linux")("a worker lowers only its own thread (Linux)", async () => {
    const before = niceOf(process.pid, process.pid)
    const { applied, pid } = await inWorker(Math.min(19, before + 7))
    expect(applied.skipped).toBeNull()
    expect(applied.nice).toBe(Math.min(19, before + 7))
    expect(applied.tid).not.toBe(pid)
    expect(niceOf(process.pid, process.pid)).toBe(before) // the main thread keeps its priority
  })
})
