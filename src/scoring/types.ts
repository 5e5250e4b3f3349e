// Pure data contracts of the scoring engine. No Effect, no I/O: imported by actors, workers, scripts.
// Vectors are row-major Float32Array<ArrayBuffer> (transferable between threads).

export type Vec = Float32Array<ArrayBuffer>

/** A tool offered by the challenge (OpenAI "function" tool format, flattened). */
export interface ToolSpec {
  readonly name: string
  /** JSON Schema of the arguments object, when the challenge gave one. */
  readonly parameters?: unknown
}

/** A tool call returned by a miner (OpenAI format, flattened). `arguments` is the raw JSON string. */
export interface ToolCall {
  readonly id?: string
  readonly name: string
  readonly arguments: string
}

/** One miner's answer to a round, as the validator recorded it. */
export interface MinerResponse {
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
  readonly text: string
  /** Validator-measured latency, request sent → last byte, in ms. null when there was no answer. */
  readonly latencyMs: number | null
  readonly finishReason: string | null
  readonly toolCalls: ReadonlyArray<ToolCall>
  /** Transport / protocol error tag when the miner did not answer validly (e.g. "Timeout"). */
  readonly error?: string
  /** Availability of this miner over the recent window in [0,1] (answered / asked); 1 when unknown. */
  readonly availability?: number
}

/** Everything the pure scorer needs to know about a round except the embeddings. */
export interface RoundInput {
  readonly id: string
  /** The evaluation prompt (the last user message when the challenge has only messages). */
  readonly prompt: string
  /** A task type name of the scoring config ("chat" when unknown). */
  readonly taskType: string
  /** A reference answer (known-answer challenge or the validator's own execution), or null. */
  readonly reference: string | null
  readonly tools: ReadonlyArray<ToolSpec>
  readonly responses: ReadonlyArray<MinerResponse>
}

/** Embeddings computed off the main thread for one round; all vectors L2-normalized. */
export interface RoundEmbeddings {
  readonly dim: number
  readonly prompt: Vec
  /** n × dim, aligned with RoundInput.responses; an all-zero row for an empty text. */
  readonly responses: Vec
  readonly reference: Vec | null
  /** n × n cosine similarity matrix of `responses` (symmetric, diagonal 1 for non-empty rows). */
  readonly similarity: Vec
}

/** Why a response earned exactly 0. */
export type FilterReason =
  | "error" // no valid answer (transport error, timeout, malformed reply)
  | "empty" // no text and no tool calls
  | "invalid_tool_calls" // tool calls that do not match the challenge's tools
  | "echo" // the prompt handed back (verbatim or its words reshuffled)
  | "low_quality" // too short, or junk text
  | "copy" // another miner's answer (faster this round, or another hotkey's earlier answer), by its word sequences
  | "constant" // the same text this hotkey sent to a different prompt
  | "no_content" // holds nothing of what the other answers agree on
  | "off_topic" // neither its content nor its meaning is shared by the other answers
  | "incomplete" // covers only a small part of what the other answers agree on
  // v1 reasons, still found in stored evaluations:
  | "irrelevant"
  | "out_of_consensus"

export interface MinerScore {
  readonly uid: number
  readonly hotkey: string
  /** Round reward in [0,1]; rewards of a round sum to 1 or are all 0. */
  readonly reward: number
  /** Axis name → value in [0,1]. */
  readonly axes: Readonly<Record<string, number>>
  /** Weighted axis score before normalization, in [0,1]. */
  readonly score: number
  readonly filtered: FilterReason | null
  /** 1/k when this miner is one of k of an entity (shared IP or coldkey) in the round; absent: alone (1). */
  readonly entityShare?: number
  /** Why the response was filtered (or other detail), human-readable; optional. */
  readonly note?: string
}

export interface RoundResult {
  readonly roundId: string
  readonly taskType: string
  readonly miners: ReadonlyArray<MinerScore>
  /** UIDs in the dominant (consensus) cluster of the paid answers (reported; it filters no one). */
  readonly consensus: ReadonlyArray<number>
  /** Cluster label per response (aligned with RoundInput.responses), -1 for filtered before clustering. */
  readonly clusters: ReadonlyArray<number>
  /** uid with the highest reward, or null when every reward is 0. */
  readonly best: number | null
  /** Effective axis weights applied this round (renormalized to sum 1); optional. */
  readonly weights?: Readonly<Record<string, number>>
}
