// The operator's read-only HTTP API (Elysia): health, stats, miners, rounds, weights. Every answer is
// real data from the store and the running actors (the reference's /stats returned mock data).
// Query and path parameters are decoded with Effect Schemas (Standard Schema in Elysia → 422 on bad input).
import { join } from "node:path"
import { Elysia } from "elysia"
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { StoreShape } from "../store/Store.ts"

export class HttpServerError extends Schema.TaggedError<HttpServerError>()("HttpServerError", {
  host: Schema.String,
  port: Schema.Number,
  message: Schema.String
}) {}

export interface ApiDeps {
  readonly store: StoreShape
  readonly startedAt: number
  readonly now: () => number
  readonly info: () => Record<string, unknown>
  readonly miners: Effect.Effect<ReadonlyArray<{ readonly uid: number; readonly availability: number }>>
  readonly weights: Effect.Effect<ReadonlyArray<{ readonly uid: number; readonly weight: number }>>
  readonly lastSubmission: Effect.Effect<unknown>
  /** Where heatmaps are written (<dir>/<round id>.svg|.png); the heatmap routes 404 without it. */
  readonly heatmapDir?: string
}

const Limit = Schema.Struct({
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 500 }))))
})
const RoundId = Schema.Struct({ id: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))) })

const HeatmapParams = Schema.Struct({ id: RoundId.fields.id, ext: Schema.Literals(["svg", "png"]) })
/** File-name-safe round id (same rule as the heatmap writer). */
export const safeName = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120)

const DAY_MS = 24 * 3600 * 1000

export const makeApp = (deps: ApiDeps) => {
  const run = <A, E>(eff: Effect.Effect<A, E>) => Effect.runPromise(eff)
  return new Elysia()
    .onError(({ code, error, set }) => {
      if (code === "VALIDATION") {
        set.status = 422
        return { error: "invalid request", message: String((error as { message?: string }).message ?? error) }
      }
      if (code === "NOT_FOUND") {
        set.status = 404
        return { error: "not found" }
      }
      set.status = 500
      return { error: "internal", message: String((error as { message?: string }).message ?? error) }
    })
    .get("/health", () => ({ status: "ok", uptime_s: Math.round((deps.now() - deps.startedAt) / 1000), ...deps.info() }))
    .get("/stats", async () => {
      const since = deps.now() - DAY_MS
      const [counts, totals] = await Promise.all([run(deps.store.stats()), run(deps.store.minerTotals(since))])
      return { ...counts, window_hours: 24, miners: totals }
    })
    .get("/miners", async () => {
      const [sessions, totals, current] = await Promise.all([run(deps.miners), run(deps.store.minerTotals(deps.now() - DAY_MS)), run(deps.weights)])
      const byUid = new Map(totals.map((t) => [t.uid, t]))
      const weights = new Map(current.map((w) => [w.uid, w.weight]))
      return sessions.map((s) => ({ ...s, weight: weights.get(s.uid) ?? 0, last24h: byUid.get(s.uid) ?? null }))
    })
    .get("/rounds", ({ query }) => run(deps.store.recentEvaluations(query.limit ?? 50)), { query: Schema.toStandardSchemaV1(Limit) })
    .get(
      "/rounds/:id",
      async ({ params, set }) => {
        const result = await run(deps.store.evaluationOf(params.id))
        if (result === null) {
          set.status = 404
          return { error: "not found", message: `no evaluated round ${params.id}` }
        }
        const responses = await run(deps.store.responsesOf(params.id))
        return { result, responses }
      },
      { params: Schema.toStandardSchemaV1(RoundId) }
    )
    .get(
      "/rounds/:id/heatmap.:ext",
      async ({ params, set }) => {
        const file = deps.heatmapDir === undefined ? null : Bun.file(join(deps.heatmapDir, `${safeName(params.id)}.${params.ext}`))
        if (file === null || !(await file.exists())) {
          set.status = 404
          return { error: "not found", message: `no ${params.ext} heatmap for round ${params.id}` }
        }
        set.headers["content-type"] = params.ext === "png" ? "image/png" : "image/svg+xml"
        return new Uint8Array(await file.arrayBuffer())
      },
      { params: Schema.toStandardSchemaV1(HeatmapParams) }
    )
    .get("/weights", async () => ({ weights: await run(deps.weights), last_submission: await run(deps.lastSubmission) }))
}

/** Serves the API for the lifetime of the scope; returns the bound port (API_PORT=0 picks a free one). */
export const serve = (deps: ApiDeps, host: string, port: number): Effect.Effect<{ readonly port: number; readonly url: string }, HttpServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => makeApp(deps).listen({ hostname: host, port }),
      catch: (e) => new HttpServerError({ host, port, message: `cannot listen on ${host}:${port}: ${String(e)} (set API_PORT to a free port, or 0)` })
    }),
    (app) => Effect.promise(() => app.stop(true).then(() => undefined, () => undefined))
  ).pipe(
    Effect.map((app) => {
      const bound = app.server?.port ?? port
      return { port: bound, url: `http://${host}:${bound}` }
    })
  )
