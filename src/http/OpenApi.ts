// OpenAPI for the operator API (Elysia's OpenAPI plugin): the document at /openapi.json, a UI at /docs. Route
// schemas are Effect Schemas exposed as Standard Schema (validation) and Standard JSON Schema (documentation).
import { openapi } from "@elysiajs/openapi"
import { Schema } from "effect"

/** An Effect Schema as Elysia needs it: validation (→ 422) plus its JSON Schema for the OpenAPI document. */
export const std = <S extends Schema.ConstraintDecoder<unknown>>(schema: S) => {
  const validating = Schema.toStandardSchemaV1(schema)
  // same object, one more member (~standard.jsonSchema); the validating type is what Elysia infers from
  return Schema.toStandardJSONSchemaV1(validating as unknown as Schema.Constraint) as unknown as typeof validating
}

export const openApiPlugin = () =>
  openapi({
    path: "/docs",
    specPath: "/openapi.json",
    provider: "swagger-ui",
    documentation: {
      info: {
        title: "Quorum validator API",
        version: "0.1.0",
        description:
          "Read-only operator API (health, stats, miners, rounds, weights, heatmaps), the console (dashboard, Prometheus metrics, console state) and control (GET /availability, POST /set_running with a bearer ADMIN_TOKEN). The Challenge API push endpoints (/fiber/*) live on their own listener (FIBER_PORT) and are described in the README."
      },
      tags: [
        { name: "read", description: "real data from the store and the running actors" },
        { name: "console", description: "dashboard and metrics" },
        { name: "control", description: "availability and pause/resume (bearer token)" }
      ],
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      // the plugin skips routes with a dotted parameter (heatmap.:ext): documented by hand
      paths: {
        "/rounds/{id}/heatmap.{ext}": {
          get: {
            summary: "A round's cosine-similarity heatmap (SVG or PNG)",
            tags: ["read"],
            parameters: [
              { name: "id", in: "path", required: true, schema: { type: "string", minLength: 1, maxLength: 200 } },
              { name: "ext", in: "path", required: true, schema: { type: "string", enum: ["svg", "png"] } }
            ],
            responses: {
              "200": { description: "the heatmap", content: { "image/svg+xml": {}, "image/png": {} } },
              "404": { description: "no heatmap for this round" },
              "422": { description: "unknown extension" }
            }
          }
        }
      }
    }
  })
