// The JSON bodies the operator API answers, as Effect Schemas: the routes declare them (Elysia `response`), so
// /openapi.json documents every status a route can answer, and each answer is checked against its schema.
// Plain data only (no transformations), so the checked value is exactly what is sent.
import { Schema } from "effect"
import { TIER_NAMES } from "../scoring/performance.ts"

/** Counts, uids, block numbers, ms timestamps. */
const Int = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** May be negative (cluster label -1 for "filtered", blocks past the cutoff). */
const SignedInt = Schema.Int
const Num = Schema.Finite
const Str = Schema.String
const IsoOrNull = Schema.NullOr(Str).annotate({ description: "ISO-8601 time, null when unknown" })
const UidWeight = Schema.Struct({ uid: Int, weight: Num })

// ---- errors ----
export const ErrorBody = Schema.Struct({ error: Str, message: Schema.optionalKey(Str) }).annotate({
  description: "error: what went wrong (message: details and what to do next)"
})
export const ValidationErrorBody = Schema.Struct({
  error: Schema.Literal("invalid request"),
  message: Str,
  property: Schema.optionalKey(Str),
  details: Schema.optionalKey(Schema.Unknown)
}).annotate({ description: "a query, path parameter or body did not decode: which property and why" })

// ---- read ----
export const HealthBody = Schema.StructWithRest(
  Schema.Struct({ status: Schema.Literal("ok"), uptime_s: Int, started_at: IsoOrNull }),
  [Schema.Record(Str, Schema.Unknown)]
).annotate({ description: "liveness, plus what runs: mode, chain, network/endpoint, netuid, uid, hotkey, model, scoring version, aggregation, scoring_memory (kept, restored at start, last save)" })

const MinerTotal24h = Schema.Struct({ rounds: Int, earned: Int, total_reward: Num, filtered: Int, last_seen_at: IsoOrNull })

export const StatsBody = Schema.Struct({
  challenges: Int,
  responses: Int,
  evaluations: Int,
  window_hours: Int,
  miners: Schema.Array(Schema.Struct({ uid: Int, hotkey: Str, ...MinerTotal24h.fields, last_seen: Int }))
}).annotate({ description: "row counts and per-miner totals over the last window_hours" })

/** Seed 003's cumulative tracking of one miner (points on the 0–500 scale). */
const MinerPerformance = Schema.Struct({
  tasks: Int,
  total: Num,
  average: Num,
  recent_average: Num,
  recent_rounds: Int,
  by_task: Schema.Record(Str, Schema.Struct({ tasks: Int, average: Num }))
})

const MinerRecord = Schema.Struct({
  standing: Str.annotate({ description: "the hotkey's copy record across rounds: clean | copier | astray | unknown (src/scoring/copyRecord.ts)" }),
  rounds: Int.annotate({ description: "rounds remembered (the config's window, 20)" }),
  copies: Int.annotate({ description: "of them with copy evidence (applied or forgiven)" }),
  astray: Int.annotate({ description: "of them whose answer missed its prompt (off topic, no content, incomplete, junk, echo)" }),
  paid: Int
})

export const MinerRow = Schema.Struct({
  uid: Int,
  hotkey: Schema.NullOr(Str),
  coldkey: Schema.NullOr(Str),
  ip: Schema.NullOr(Str),
  rank: Schema.NullOr(Int),
  stake: Schema.NullOr(Num),
  trust: Schema.NullOr(Num),
  aggregate: Schema.NullOr(Num),
  weight: Num,
  availability: Num,
  in_flight: Int.annotate({ description: "queries in flight to this miner now (seed 003's load)" }),
  // a string, not literals: the document generator drops null from a nullable enum
  tier: Schema.NullOr(Str.annotate({ description: `seed 003's tier over the recent window: ${TIER_NAMES.join(" | ")} (null: no rounds yet)` })),
  performance: Schema.NullOr(MinerPerformance),
  record: Schema.NullOr(MinerRecord),
  last_answer_at: IsoOrNull,
  filter_reasons: Schema.Record(Str, Int),
  last24h: Schema.NullOr(MinerTotal24h)
})
export const MinersBody = Schema.Array(MinerRow).annotate({ description: "one row per miner session, by uid" })

export const RoundSummary = Schema.Struct({
  challenge_id: Str,
  task_type: Str,
  best_uid: Schema.NullOr(Int),
  consensus: Schema.Array(Int),
  created_at: Int,
  created_at_iso: IsoOrNull
})
export const RoundsBody = Schema.Array(RoundSummary).annotate({ description: "evaluated rounds, newest first" })

const MinerScore = Schema.Struct({
  uid: Int,
  hotkey: Str,
  reward: Num,
  axes: Schema.Record(Str, Num),
  score: Num,
  filtered: Schema.NullOr(Str),
  note: Schema.optionalKey(Str)
})
const StoredResponse = Schema.Struct({
  uid: Int,
  hotkey: Str,
  coldkey: Str,
  ip: Str,
  text: Str,
  latencyMs: Schema.NullOr(Num),
  finishReason: Schema.NullOr(Str),
  toolCalls: Schema.Array(Schema.Struct({ id: Schema.optionalKey(Str), name: Str, arguments: Str })),
  error: Schema.optionalKey(Str)
})
export const RoundBody = Schema.Struct({
  result: Schema.Struct({
    roundId: Str,
    taskType: Str,
    miners: Schema.Array(MinerScore),
    consensus: Schema.Array(Int),
    clusters: Schema.Array(SignedInt),
    best: Schema.NullOr(Int),
    weights: Schema.optionalKey(Schema.Record(Str, Num))
  }),
  responses: Schema.Array(StoredResponse),
  prompt: Schema.NullOr(Str),
  source: Schema.NullOr(Str),
  received_at: IsoOrNull,
  updated_at: IsoOrNull
}).annotate({ description: "the round's evaluation, its prompt and every stored answer" })

export const LastSubmission = Schema.Struct({
  ok: Schema.NullOr(Schema.Struct({ kind: Str, blockHash: Schema.NullOr(Str), uids: Schema.Array(Int) })),
  error: Schema.NullOr(Schema.Struct({ _tag: Str, message: Str })),
  attempts: Int
}).annotate({ description: "the weight setter's last submission: its outcome or typed failure" })
export type LastSubmission = typeof LastSubmission.Type

export const WeightsBody = Schema.Struct({ weights: Schema.Array(UidWeight), last_submission: LastSubmission }).annotate({
  description: "current weights (before chain normalization) and the last submission"
})

// ---- console and control ----
export const ConsoleStateBody = Schema.Struct({
  running: Schema.Boolean,
  has_chain: Schema.Boolean,
  chain: Schema.NullOr(
    Schema.Struct({
      connected: Schema.Boolean,
      best_block: Schema.NullOr(Int),
      last_update: Schema.NullOr(Int),
      activity_cutoff: Schema.NullOr(Int),
      blocks_since_update: Schema.NullOr(SignedInt),
      blocks_to_cutoff: Schema.NullOr(SignedInt),
      at: IsoOrNull
    })
  ),
  vtrust: Schema.NullOr(Schema.Struct({ value: Schema.NullOr(Num), validators: Int, at: IsoOrNull })),
  weights_history: Schema.Array(Schema.Struct({ at: Int, weights: Schema.Array(UidWeight) })),
  last_round_at: IsoOrNull,
  last_submission: LastSubmission,
  heatmaps: Schema.Array(Str)
}).annotate({ description: "what the dashboard draws: run state, chain status, vtrust, weights history, newest heatmaps" })
export type ConsoleStateBody = typeof ConsoleStateBody.Type

export const AvailabilityBody = Schema.Struct({ available: Schema.Boolean, running: Schema.Boolean, capacity: Int, in_flight: Int }).annotate({
  description: "available = running and in_flight < capacity"
})
export const SetRunningBody = Schema.Struct({ running: Schema.Boolean }).annotate({ description: "the new run state" })

/** The JSON Schema of a body, for paths documented by hand (routes the plugin skips, the Fiber listener). */
export const jsonSchemaOf = (schema: Schema.Top): Record<string, unknown> => {
  const { $schema: _, ...rest } = Schema.toStandardJSONSchemaV1(schema as unknown as Schema.Constraint)["~standard"].jsonSchema.output({ target: "draft-2020-12" })
  return rest
}
