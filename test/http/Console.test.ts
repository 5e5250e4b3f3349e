// The console routes on the API listener: /metrics in the Prometheus text format (checked with promtool when
// it is installed), the dashboard page, /availability, /set_running behind a bearer token, /openapi.json
// covering every route, 422 bodies as JSON objects.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Ref } from "effect"
import { ADMIN_TOKEN as TOKEN, type ApiFixture, startApiFixture } from "../support/apiFixture.ts"

let api: ApiFixture
let url: string
let running: Ref.Ref<boolean>

beforeAll(async () => {
  api = await startApiFixture()
  url = api.url
  running = api.running
})
afterAll(() => api.close())

describe("operator console routes", () => {
  test("/metrics: Prometheus text with the listed metrics; promtool accepts it", async () => {
    const res = await fetch(`${url}/metrics`)
    expect(res.headers.get("content-type")).toContain("text/plain")
    const text = await res.text()
    for (const name of [
      "quorum_rounds_total",
      "quorum_answers_total",
      "quorum_stage_seconds_bucket",
      "quorum_mailbox_depth",
      "quorum_inflight_queries",
      "quorum_worker_pool_utilisation",
      "quorum_embeddings_total",
      "quorum_chain_connected",
      "quorum_chain_best_block",
      "quorum_blocks_since_weights_update",
      "quorum_blocks_to_activity_cutoff",
      "quorum_weight_submissions_total",
      "quorum_vtrust_estimate",
      "quorum_model_loaded",
      "quorum_process_resident_memory_bytes",
      "quorum_event_loop_lag_seconds"
    ])
      expect(text).toContain(name)
    expect(text).toContain('quorum_rounds_total{outcome="evaluated"} 1')
    expect(text).toContain('quorum_answers_total{uid="3",outcome="rewarded"} 1')
    expect(text).toContain('quorum_answers_total{uid="4",outcome="error:Timeout"} 1')
    expect(text).toMatch(/quorum_stage_seconds_count\{stage="queue"\} 1/)
    expect(text).toMatch(/quorum_stage_seconds_count\{stage="miner"\} 1/)
    const promtool = Bun.which("promtool")
    if (promtool === null) {
      console.warn("[skip] promtool check metrics: promtool not installed (apt-get install prometheus)")
      return
    }
    const p = Bun.spawnSync([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" })
    const out = p.stdout.toString() + p.stderr.toString()
    if (p.exitCode !== 0) console.error(out)
    expect(p.exitCode).toBe(0)
  })

  test("the Grafana dashboard in deploy/ queries only metrics the validator exports", async () => {
    const text = await (await fetch(`${url}/metrics`)).text()
    const dash = (await Bun.file(new URL("../../deploy/grafana-dashboard.json", import.meta.url)).json()) as { panels: Array<{ targets: Array<{ expr: string }> }> }
    const names = new Set(dash.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/quorum_[a-z_]+/g) ?? [])))
    expect(names.size).toBeGreaterThan(10)
    for (const n of names) expect(text).toContain(n)
  })

  test("/ and /dashboard serve the page; /miners has rank, stake, trust, entity and ISO timestamps", async () => {
    for (const path of ["/", "/dashboard"]) {
      const res = await fetch(`${url}${path}`)
      expect(res.headers.get("content-type")).toContain("text/html")
      expect(await res.text()).toContain("Quorum validator")
    }
    const miners = (await (await fetch(`${url}/miners`)).json()) as Array<Record<string, unknown>>
    const m3 = miners.find((m) => m["uid"] === 3)!
    expect(m3["rank"]).toBe(1)
    expect(m3["stake"]).toBe(12.5)
    expect(m3["trust"]).toBe(1)
    expect(m3["aggregate"]).toBe(0.7)
    expect(m3["coldkey"]).toBe("ck3")
    expect(String(m3["last_answer_at"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const m4 = miners.find((m) => m["uid"] === 4)!
    expect(m4["filter_reasons"]).toEqual({ error: 1 })
    expect(m4["rank"]).toBe(2)
    const round = (await (await fetch(`${url}/rounds/r1`)).json()) as Record<string, unknown>
    expect(round["prompt"]).toBe("Why is the sky blue?")
    expect(String(round["received_at"])).toMatch(/Z$/)
  })

  test("/availability; /set_running needs the bearer token and really flips the state", async () => {
    expect(await (await fetch(`${url}/availability`)).json()).toEqual({ available: true, running: true, capacity: 15, in_flight: 2 })
    const post = (auth: string | null, body: unknown) =>
      fetch(`${url}/set_running`, { method: "POST", headers: { "content-type": "application/json", ...(auth === null ? {} : { authorization: auth }) }, body: JSON.stringify(body) })
    expect((await post(null, { running: false })).status).toBe(401)
    expect((await post("Bearer wrong-token-of-some-length", { running: false })).status).toBe(401)
    expect(await Effect.runPromise(Ref.get(running))).toBe(true)
    const bad = await post(`Bearer ${TOKEN}`, { running: "no" })
    expect(bad.status).toBe(422)
    const body = (await bad.json()) as Record<string, unknown>
    expect(typeof body).toBe("object")
    expect(body["error"]).toBe("invalid request")
    expect(typeof body["message"]).toBe("string")
    const ok = await post(`Bearer ${TOKEN}`, { running: false })
    expect(ok.status).toBe(200)
    expect(await Effect.runPromise(Ref.get(running))).toBe(false)
    expect(((await (await fetch(`${url}/availability`)).json()) as { available: boolean }).available).toBe(false)
    await post(`Bearer ${TOKEN}`, { running: true })
    expect(await Effect.runPromise(Ref.get(running))).toBe(true)
  })

  test("422 bodies are JSON objects, not JSON inside a string", async () => {
    const res = await fetch(`${url}/rounds?limit=0`)
    expect(res.status).toBe(422)
    const body = (await res.json()) as Record<string, unknown>
    expect(body["error"]).toBe("invalid request")
    expect(() => JSON.parse(String(body["message"]))).toThrow()
  })

  test("/openapi.json documents every route with its schemas; /docs serves the UI", async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema?: unknown }>; requestBody?: unknown }>> }
    for (const p of ["/health", "/stats", "/miners", "/rounds", "/rounds/{id}", "/rounds/{id}/heatmap.{ext}", "/weights", "/metrics", "/", "/dashboard", "/availability", "/set_running", "/console/state"])
      expect(Object.keys(doc.paths)).toContain(p)
    const limit = doc.paths["/rounds"]!["get"]!.parameters?.find((x) => x.name === "limit")
    expect(limit).toBeDefined()
    expect(doc.paths["/set_running"]!["post"]!.requestBody).toBeDefined()
    expect(JSON.stringify(doc.paths["/set_running"]!["post"]!.requestBody)).toContain("boolean")
    const ui = await fetch(`${url}/docs`)
    expect(ui.status).toBe(200)
    const page = await ui.text()
    expect(page).toContain("swagger-ui")
    expect(page).toContain("openapi.json")
  })
})
