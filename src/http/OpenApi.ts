// OpenAPI for the operator API (Elysia's OpenAPI plugin): the document at /openapi.json, a UI at /docs. Route
// schemas are Effect Schemas exposed as Standard Schema (validation) and Standard JSON Schema (documentation).
import { openapi } from "@elysiajs/openapi"
import { Elysia } from "elysia"
import { Effect, Schema } from "effect"
import { docsAssetRoutes, docsAssetUrl } from "./DocsUi.ts"
import { FIBER_PUSH_TAG, fiberPushPaths } from "./FiberPushDoc.ts"
import { ErrorBody, jsonSchemaOf, ValidationErrorBody } from "./schemas.ts"

/** An Effect Schema as Elysia needs it: validation (→ 422) plus its JSON Schema for the OpenAPI document. */
export const std = <S extends Schema.ConstraintDecoder<unknown>>(schema: S) => {
  const validating = Schema.toStandardSchemaV1(schema)
  // same object, one more member (~standard.jsonSchema); the validating type is what Elysia infers from
  return Schema.toStandardJSONSchemaV1(validating as unknown as Schema.Constraint) as unknown as typeof validating
}

/** A response schema as Elysia needs it: documented in /openapi.json and checked on every answer. The value sent
 *  is the handler's own (never the decoded copy: a field the schema does not list is kept, not dropped); an
 *  answer that does not match is still sent, with a warning naming the schema and the issue (at most one per
 *  schema per minute), since an operator's read must not fail over a documentation gap. */
export const stdResponse = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, name: string) => {
  const checked = std(schema)
  const standard = checked["~standard"]
  let lastWarned = -Infinity
  const warn = (issues: ReadonlyArray<{ readonly message: string }>) => {
    const now = Date.now()
    if (now - lastWarned < 60_000) return
    lastWarned = now
    Effect.runFork(Effect.logWarning("HTTP answer does not match its documented schema (sent anyway): fix the route or its schema in src/http/schemas.ts", { schema: name, issue: issues[0]?.message ?? "?" }))
  }
  const validate = (value: unknown) => {
    const settle = (r: Awaited<ReturnType<typeof standard.validate>>) => {
      if (r.issues !== undefined) warn(r.issues)
      return { value }
    }
    const r = standard.validate(value)
    return r instanceof Promise ? r.then(settle) : settle(r)
  }
  return Object.defineProperty(Object.create(Object.getPrototypeOf(checked), Object.getOwnPropertyDescriptors(checked)), "~standard", {
    value: { ...standard, validate },
    enumerable: true
  }) as typeof checked
}

/** The document at /openapi.json and Swagger UI at /docs, its script and stylesheet served by us (DocsUi.ts): the
 *  page references only this server ("none" also turns off Swagger UI's online validator badge). */
export const openApiPlugin = () =>
  new Elysia({ name: "quorum-openapi" }).use(docsAssetRoutes()).use(openapi({
    path: "/docs",
    specPath: "/openapi.json",
    provider: "swagger-ui",
    swagger: { cdn: docsAssetUrl("swagger-ui-bundle.js"), theme: docsAssetUrl("swagger-ui.css"), validatorUrl: "none" },
    documentation: {
      info: {
        title: "Quorum validator API",
        version: "0.1.0",
        description:
          "Read-only operator API (health, stats, miners, rounds, weights, heatmaps), the console (dashboard, Prometheus metrics, console state) and control (GET /availability, POST /set_running with a bearer ADMIN_TOKEN). The Challenge API push endpoints (/fiber/*, tag push) are served on their own listener (FIBER_HOST:FIBER_PORT), not on this one: each names that server."
      },
      tags: [
        { name: "read", description: "real data from the store and the running actors" },
        { name: "console", description: "dashboard and metrics" },
        { name: "control", description: "availability and pause/resume (bearer token)" },
        FIBER_PUSH_TAG
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
              "200": {
                description: "the heatmap",
                content: { "image/svg+xml": { schema: { type: "string" } }, "image/png": { schema: { type: "string", format: "binary" } } }
              },
              "404": { description: "no heatmap for this round", content: { "application/json": { schema: jsonSchemaOf(ErrorBody) } } },
              "422": { description: "unknown extension", content: { "application/json": { schema: jsonSchemaOf(ValidationErrorBody) } } }
            }
          }
        },
        ...fiberPushPaths()
      }
    }
  }))

// ---- the statuses routes answer (schemas in schemas.ts) ----
const internal = stdResponse(ErrorBody, "ErrorBody")
/** 200 with `body`, plus the 500 the error handler answers for an unexpected failure. */
export const answers = <S extends Schema.ConstraintDecoder<unknown>>(body: S, name: string) => ({ 200: stdResponse(body, name), 500: internal })
/** Error statuses a route may add: 404 (not found), 401/403 (bearer token), 422 (input did not decode). */
export const errorAnswer = internal
export const invalidAnswer = stdResponse(ValidationErrorBody, "ValidationErrorBody")
