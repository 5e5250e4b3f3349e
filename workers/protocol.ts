// The worker pools' task protocol: what the Embedder (src/embeddings) sends the Piscina worker
// (scoring.worker.ts), what the round scorer (src/app/Scorer.ts) sends roundScorer.worker.ts, and the worker
// data each thread starts with. Types only; the one contract both sides share.
import type { ModelSpec } from "../src/embeddings/ModelResolver.ts"
import type { ScoringConfig } from "../src/scoring/config.ts"
import type { HeatmapInput } from "../src/scoring/heatmap.ts"
import type { RoundEmbeddings, RoundInput } from "../src/scoring/types.ts"
import type { SqliteSynchronous } from "../src/store/MemorySnapshotStore.ts"

/** A worker thread's scheduling priority as set at its start (threadPriority.ts). */
export interface ThreadPriority {
  /** The nice value the thread runs at, or null when it was left alone. */
  readonly nice: number | null
  readonly tid: number | null
  /** Why it was left alone (0 asked, not Linux, not permitted). */
  readonly skipped: string | null
}

/** What the pool passes as workerData. */
export interface ScoringWorkerData {
  readonly spec: ModelSpec | null
  readonly intraOpThreads: number
  /** Execution provider: auto (CUDA when offered, else CPU), cpu, cuda. Default cpu. */
  readonly device?: "auto" | "cpu" | "cuda"
  readonly maxBatch?: number
  readonly tokenBudget?: number
  /** Most windows embedded per text (0: all; see EncoderOptions.maxWindows). */
  readonly maxWindows?: number
  /** Nice value for the thread (threadPriority.ts), set before the onnxruntime session is created. */
  readonly nice?: number
  /** Full heap collection after a task once this many seconds passed since the last (heapTrim.ts; absent or 0: JSC decides). */
  readonly gcIntervalSeconds?: number
}

export interface EmbedTask {
  readonly texts: ReadonlyArray<string>
}
/** Embeds all texts; also returns the cosine matrix of rows [simStart, simStart + simCount). */
export interface EmbedRoundTask {
  readonly texts: ReadonlyArray<string>
  readonly simStart: number
  readonly simCount: number
}
export interface SimilarityTask {
  readonly data: Float32Array<ArrayBuffer>
  readonly n: number
  readonly dim: number
}
export interface RenderPngTask {
  readonly svg: string
  readonly fitWidth?: number
}

/** A round's heatmap, SVG built and rasterized here (a 256-answer SVG is ~5 MB of markup). */
export interface HeatmapTask {
  readonly input: HeatmapInput
  readonly png: boolean
  readonly fitWidth?: number
}

/** What the round-scorer pool (workers/roundScorer.worker.ts, one thread) starts with. */
export interface RoundScorerWorkerData {
  /** The decoded, checked scoring config (structured-cloned into the thread). */
  readonly config: ScoringConfig
  /** Nice value for the thread (threadPriority.ts). */
  readonly nice?: number
  /** Full heap collection after a round once this many seconds passed since the last (heapTrim.ts; absent or 0: JSC decides). */
  readonly gcIntervalSeconds?: number
}
/** One round to score: its input and the embeddings it was embedded to (copied, not moved: the caller keeps them). */
export interface ScoreRoundTask {
  readonly round: RoundInput
  readonly embeddings: RoundEmbeddings
}

/** Save the thread's novelty memory into the SQLite file at `dbPath` (the thread's own connection), off the
 *  event loop that times miner replies. */
export interface SaveMemoryTask {
  readonly dbPath: string
  readonly synchronous: SqliteSynchronous
  readonly now: number
}

/** What one save of the scoring memory wrote. */
export interface SavedMemory {
  /** Rounds the scorer had scored when the snapshot was taken. */
  readonly rounds: number
  readonly answers: number
  readonly fingerprints: number
  readonly ms: number
}
