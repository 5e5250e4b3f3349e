// The operator's read-only HTTP API (Elysia): health, stats, miners, rounds, weights. Every answer is
// real data from the store and the running actors (the reference's /stats returned mock data).
// Query and path parameters are decoded with Effect Schemas (Standard Schema in Elysia → 422 on bad input).
import { join } from "node:path"
import { Elysia } from "elysia"
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import { type ConsoleRouteDeps, consoleRoutes } from "./Console.ts"
import { HttpServerError } from "./HttpServerError.ts"
import { filterReasonsSince, iso, type MinerViewInput, minerRows } from "./minerView.ts"
import { answers, errorAnswer, invalidAnswer, openApiPlugin, std } from "./OpenApi.ts"
import { HealthBody, type LastSubmission, MinersBody, RoundBody, RoundsBody, StatsBody, WeightsBody } from "./schemas.ts"

export { HttpServerError }

export interface ApiDeps {
  readonly store: StoreShape
  readonly startedAt: number
  readonly now: () => number
  readonly info: () => Record<string, unknown>
  readonly miners: Effect.Effect<ReadonlyArray<{ readonly uid: number; readonly availability: number }>>
  readonly weights: Effect.Effect<ReadonlyArray<{ readonly uid: number; readonly weight: number }>>
  readonly lastSubmission: Effect.Effect<LastSubmission>
  /** Where heatmaps are written (<dir>/<round id>.svg|.png); the heatmap routes 404 without it. */
  readonly heatmapDir?: string
  /** The operator console (dashboard, /metrics, /availability, /set_running); absent in bare API tests. */
  readonly console?: ConsoleRouteDeps
  /** Identity, aggregate, stake and trust per miner for /miners (defaults: none known). */
  readonly minerView?: Effect.Effect<Pick<MinerViewInput, "identities" | "aggregate" | "stakes" | "trust" | "performance" | "records">>
}

const Limit = Schema.Struct({
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 500 }))))
})
const RoundId = Schema.Struct({ id: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(200))) })

const HeatmapParams = Schema.Struct({ id: RoundId.fields.id, ext: Schema.Literals(["svg", "png"]) })
/** File-name-safe round id (same rule as the heatmap writer). */
export const safeName = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120)

const DAY_MS = 24 * 3600 * 1000

/** Elysia reports Standard Schema issues as JSON text in `message`: hand them back as an object. */
export const validationBody = (error: unknown) => {
  const raw = (error as { message?: unknown }).message
  const text = typeof raw === "string" ? raw : String(error)
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === "object" && parsed !== null) {
      const p = parsed as { summary?: unknown; property?: unknown; message?: unknown; errors?: unknown }
      return {
        error: "invalid request",
        message: typeof p.summary === "string" ? p.summary : typeof p.message === "string" ? p.message : "invalid request",
        ...(typeof p.property === "string" ? { property: p.property } : {}),
        details: p.errors ?? parsed
      }
    }
  } catch {
    // not JSON: plain text message
  }
  return { error: "invalid request", message: text }
}
const noView: Pick<MinerViewInput, "identities" | "aggregate" | "stakes" | "trust" | "performance" | "records"> = { identities: [], aggregate: new Map(), stakes: new Map(), trust: new Map() }

export const makeApp = (deps: ApiDeps) => {
  const run = <A, E>(eff: Effect.Effect<A, E>) => Effect.runPromise(eff)
  const app = new Elysia()
    .use(openApiPlugin())
    .onError(({ code, error, set }) => {
      if (code === "VALIDATION") {
        set.status = 422
        return validationBody(error)
      }
      if (code === "NOT_FOUND") {
        set.status = 404
        return { error: "not found" }
      }
      set.status = 500
      return { error: "internal", message: String((error as { message?: string }).message ?? error) }
    })
    .get("/health", () => ({ status: "ok" as const, uptime_s: Math.round((deps.now() - deps.startedAt) / 1000), started_at: iso(deps.startedAt), ...deps.info() }), {
      response: answers(HealthBody, "HealthBody"),
      detail: { summary: "Mode, chain, uid, model, aggregation", tags: ["read"] }
    })
    .get("/stats", async () => {
      const since = deps.now() - DAY_MS
      const [counts, totals] = await Promise.all([run(deps.store.stats()), run(deps.store.minerTotals(since))])
      return { ...counts, window_hours: 24, miners: totals.map((t) => ({ ...t, last_seen_at: iso(t.last_seen) })) }
    }, { response: answers(StatsBody, "StatsBody"), detail: { summary: "Counts and 24 h per-miner totals", tags: ["read"] } })
    .get("/miners", async () => {
      const since = deps.now() - DAY_MS
      const [sessions, totals, view, weights] = await Promise.all([
        run(deps.miners),
        run(deps.store.minerTotals(since)),
        run(deps.minerView ?? Effect.succeed(noView)),
        run(deps.weights)
      ])
      return minerRows({ ...view, sessions, totals, weights, filterReasons: filterReasonsSince(deps.store.db, since) })
    }, { response: answers(MinersBody, "MinersBody"), detail: { summary: "Miners: identity, rank, stake, trust, aggregate, weight, availability, in-flight load, tier and performance record, copy record across rounds, last answer, filter reasons", tags: ["read"] } })
    .get(
      "/rounds",
      async ({ query }) => (await run(deps.store.recentEvaluations(query.limit ?? 50))).map((r) => ({ ...r, created_at_iso: iso(r.created_at) })),
      { query: std(Limit), response: { ...answers(RoundsBody, "RoundsBody"), 422: invalidAnswer }, detail: { summary: "The latest evaluated rounds, newest first", tags: ["read"] } }
    )
    .get(
      "/rounds/:id",
      async ({ params, set }) => {
        // the store keeps the scorer's RoundResult as JSON (checked against RoundBody on the way out)
        const result = (await run(deps.store.evaluationOf(params.id))) as RoundResult | null
        if (result === null) {
          set.status = 404
          return { error: "not found", message: `no evaluated round ${params.id}` }
        }
        const [responses, challenge] = await Promise.all([run(deps.store.responsesOf(params.id)), run(deps.store.getChallenge(params.id))])
        const payload = challenge === null ? null : (JSON.parse(challenge.payload) as { request?: { prompt?: unknown } })
        const prompt = typeof payload?.request?.prompt === "string" ? payload.request.prompt : null
        return { result, responses, prompt, source: challenge?.source ?? null, received_at: iso(challenge?.created_at), updated_at: iso(challenge?.updated_at) }
      },
      { params: std(RoundId), response: { ...answers(RoundBody, "RoundBody"), 404: errorAnswer, 422: invalidAnswer }, detail: { summary: "One round: evaluation, prompt and every stored answer", tags: ["read"] } }
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
      { params: std(HeatmapParams), detail: { summary: "A round's cosine-similarity heatmap (SVG or PNG)", tags: ["read"] } }
    )
    .get("/weights", async () => ({ weights: await run(deps.weights), last_submission: await run(deps.lastSubmission) }), {
      response: answers(WeightsBody, "WeightsBody"),
      detail: { summary: "Current weights and the last submission", tags: ["read"] }
    })
  return deps.console === undefined ? app : app.use(consoleRoutes(deps.console))
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
