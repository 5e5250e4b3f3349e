// A worker thread for test/embeddings/threadPriority.test.ts: lowers its own priority and reports it.
import { parentPort, workerData } from "node:worker_threads"
import { lowerThreadPriority } from "../../workers/threadPriority.ts"

parentPort?.postMessage({ applied: lowerThreadPriority(workerData as number), pid: process.pid })
