// The one failure of starting an HTTP listener (the API and the Challenge API push listener), in its own
// file so that FiberPush need not import Api (Api → OpenApi → FiberPushDoc → FiberPush would loop back).
import { Schema } from "effect"

export class HttpServerError extends Schema.TaggedError<HttpServerError>()("HttpServerError", {
  host: Schema.String,
  port: Schema.Number,
  message: Schema.String
}) {}
