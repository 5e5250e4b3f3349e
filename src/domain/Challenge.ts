// A challenge: one prompt the validator asks its miners, from a challenge source (synthetic corpus or the
// Challenge API), with the reference answer and tools scoring uses. Stored before it runs.
import { Schema } from "effect"
import type { ToolSpec } from "../scoring/types.ts"
import { InferenceRequest } from "./Inference.ts"

export interface Challenge {
  readonly id: string
  readonly source: "synthetic" | "api"
  readonly taskType: string
  readonly request: InferenceRequest
  readonly reference: string | null
  readonly tools: ReadonlyArray<ToolSpec>
}

/** The stored form of a challenge (decoded when a round is resumed after a restart). */
export const ChallengeSchema = Schema.Struct({
  id: Schema.String,
  source: Schema.Literals(["synthetic", "api"]),
  taskType: Schema.String,
  request: InferenceRequest,
  reference: Schema.NullOr(Schema.String),
  tools: Schema.Array(Schema.Struct({ name: Schema.String, parameters: Schema.optionalKey(Schema.Unknown) }))
})
