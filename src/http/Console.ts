// The operator console's routes on the API listener: the dashboard page (/ and /dashboard), Prometheus
// /metrics, the console state the page draws (/console/state), and the reference's control endpoints:
// GET /availability (what the Challenge API polls) and POST /set_running (pause/resume, bearer token).
import { timingSafeEqual } from "node:crypto"
import { Elysia } from "elysia"
import { Effect, Redacted, Schema } from "effect"
import { DASHBOARD_HTML } from "./dashboard.ts"
import { answers, errorAnswer, invalidAnswer, std } from "./OpenApi.ts"
import { AvailabilityBody, type ConsoleStateBody, ConsoleStateBody as ConsoleState, SetRunningBody } from "./schemas.ts"

export interface ConsoleRouteDeps {
  readonly metricsText: () => Promise<string>
  readonly metricsContentType: string
  /** ADMIN_TOKEN; without it the admin routes answer 403 (nothing is open). */
  readonly adminToken: Redacted.Redacted<string> | undefined
  readonly running: Effect.Effect<boolean>
  readonly setRunning: (on: boolean) => Effect.Effect<void>
  readonly capacity: number
  readonly inFlight: () => number
  readonly state: Effect.Effect<ConsoleStateBody>
}

const SetRunning = Schema.Struct({ running: Schema.Boolean })

/** Constant-time bearer check; null when authorized, else the status and reason. */
export const checkBearer = (header: string | null | undefined, token: Redacted.Redacted<string> | undefined) => {
  if (token === undefined) return { status: 403, message: "admin routes are disabled: set ADMIN_TOKEN to enable them" } as const
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "")
  if (m === null) return { status: 401, message: "missing bearer token (Authorization: Bearer <ADMIN_TOKEN>)" } as const
  const a = Buffer.from(m[1]!.trim())
  const b = Buffer.from(Redacted.value(token))
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { status: 401, message: "wrong bearer token" } as const
  return null
}

const html = () =>
  new Response(DASHBOARD_HTML, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } })

// pages and text answered as a Response (not JSON): documented by hand with their content type
const TEXT = { type: "string" } as const
const HTML_ANSWER = { "200": { description: "the dashboard page", content: { "text/html": { schema: TEXT } } } }
const metricsAnswer = (contentType: string) => ({
  "200": { description: "Prometheus text exposition format", content: { [contentType.split(";")[0]!.trim()]: { schema: TEXT } } }
})

export const consoleRoutes = (deps: ConsoleRouteDeps) => {
  const run = <A>(eff: Effect.Effect<A>) => Effect.runPromise(eff)
  return new Elysia({ name: "quorum-console" })
    .get("/", html, { detail: { summary: "Operator dashboard (HTML)", tags: ["console"], responses: HTML_ANSWER } })
    .get("/dashboard", html, { detail: { summary: "Operator dashboard (HTML)", tags: ["console"], responses: HTML_ANSWER } })
    .get(
      "/metrics",
      async () => new Response(await deps.metricsText(), { headers: { "content-type": deps.metricsContentType } }),
      { detail: { summary: "Prometheus metrics (text exposition format)", tags: ["console"], responses: metricsAnswer(deps.metricsContentType) } }
    )
    .get("/console/state", () => run(deps.state), {
      response: answers(ConsoleState, "ConsoleStateBody"),
      detail: { summary: "Chain status, vtrust, weights history and run state (what the dashboard draws)", tags: ["console"] }
    })
    .get(
      "/availability",
      async () => {
        const running = await run(deps.running)
        const inFlight = deps.inFlight()
        return { available: running && inFlight < deps.capacity, running, capacity: deps.capacity, in_flight: inFlight }
      },
      { response: answers(AvailabilityBody, "AvailabilityBody"), detail: { summary: "Whether the validator takes challenges (polled by the Challenge API)", tags: ["control"] } }
    )
    .post(
      "/set_running",
      async ({ body, headers, set }) => {
        const denied = checkBearer(headers["authorization"], deps.adminToken)
        if (denied !== null) {
          set.status = denied.status
          return { error: "unauthorized", message: denied.message }
        }
        await run(deps.setRunning(body.running))
        await run(Effect.logInfo(body.running ? "resumed by the operator: taking challenges" : "paused by the operator: no new challenges"))
        return { running: body.running }
      },
      {
        body: std(SetRunning),
        response: { ...answers(SetRunningBody, "SetRunningBody"), 401: errorAnswer, 403: errorAnswer, 422: invalidAnswer },
        detail: { summary: "Pause or resume taking challenges (bearer ADMIN_TOKEN)", tags: ["control"], security: [{ bearer: [] }] }
      }
    )
}
