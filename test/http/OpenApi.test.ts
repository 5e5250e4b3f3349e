// /openapi.json against the running API: every route the app serves is documented, every operation declares
// its answers with a schema (errors included), $refs resolve; real answers (200s and errors, API and Fiber push)
// validate against the declared Effect Schemas (strictly: an undeclared field fails) and, with python's
// jsonschema as an independent oracle, against the JSON Schemas in the document itself. /docs references only
// this server: the page's script and stylesheet are the swagger-ui-dist files, byte for byte.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Keyring } from "@polkadot/keyring"
import { cryptoWaitReady } from "@polkadot/util-crypto"
import { Effect, Exit, Schema, Scope } from "effect"
import { Elysia } from "elysia"
import { makeApp } from "../../src/http/Api.ts"
import { DOCS_ASSETS } from "../../src/http/DocsUi.ts"
import { serveFiberPush } from "../../src/http/FiberPush.ts"
import { answers as declareAnswers } from "../../src/http/OpenApi.ts"
import { ChallengeAcceptedBody, KeyExchangedBody, PublicKeyBody, PushErrorBody } from "../../src/http/FiberPushDoc.ts"
import * as B from "../../src/http/schemas.ts"
import { type ApiFixture, ADMIN_TOKEN, startApiFixture } from "../support/apiFixture.ts"
import { pushClient } from "../support/pushClient.ts"
import { skipNote } from "../support/shared.ts"

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> }
type Doc = { paths: Record<string, Record<string, Operation | unknown>> }
const METHODS = ["get", "post", "put", "delete", "patch"]

let api: ApiFixture
let doc: Doc
beforeAll(async () => {
  api = await startApiFixture()
  doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as Doc
})
afterAll(() => api.close())

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({ path, method, op: item[method] as Operation }))
  )

/** The JSON Schema the document declares for `path` `method` `status` (application/json). */
const declared = (path: string, method: string, status: number) => {
  const op = doc.paths[path]?.[method] as Operation | undefined
  const schema = op?.responses?.[String(status)]?.content?.["application/json"]?.schema
  if (schema === undefined) throw new Error(`${method.toUpperCase()} ${path}: no JSON schema declared for ${status}`)
  return schema
}

const strict = (schema: Schema.Top, body: unknown) =>
  Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)(body, { onExcessProperty: "error", errors: "all" })

interface Answer {
  readonly name: string
  readonly path: string
  readonly method: string
  readonly status: number
  readonly schema: Schema.Top
  readonly body: unknown
}
const answers: Answer[] = []

/** Fetches, checks the status, keeps the body for the oracle and checks it strictly against `schema`. */
const answer = async (a: Omit<Answer, "body" | "name">, init?: RequestInit, base = api.url, url = a.path) => {
  const res = await fetch(`${base}${url}`, init)
  expect(res.status).toBe(a.status)
  expect(res.headers.get("content-type") ?? "").toContain("application/json")
  const body: unknown = await res.json()
  const exit = strict(a.schema, body)
  if (Exit.isFailure(exit)) console.error(`${a.method} ${url} ${a.status}: ${String(exit.cause)}\n${JSON.stringify(body)}`)
  expect(Exit.isSuccess(exit)).toBe(true)
  answers.push({ ...a, name: `${a.method.toUpperCase()} ${url} → ${a.status}`, body })
  return body
}

describe("/openapi.json", () => {
  test("documents every route the app serves, each with its answers' schemas (errors too); every $ref resolves", () => {
    const routes = makeApp(api.deps).routes.filter((r) => !(r.hooks as { detail?: { hide?: boolean } }).detail?.hide && r.method !== "OPTIONS")
    expect(routes.length).toBeGreaterThan(10)
    for (const r of routes) {
      const path = r.path.replace(/:([^/.]+)/g, "{$1}")
      expect({ route: `${r.method} ${path}`, documented: doc.paths[path]?.[r.method.toLowerCase()] !== undefined }).toEqual({ route: `${r.method} ${path}`, documented: true })
    }
    const missing: string[] = []
    for (const { path, method, op } of operations()) {
      const statuses = Object.entries(op.responses ?? {})
      if (!statuses.some(([s]) => s.startsWith("2"))) missing.push(`${method} ${path}: no 2xx answer`)
      for (const [status, r] of statuses) {
        const content = Object.entries(r.content ?? {})
        if (content.length === 0) missing.push(`${method} ${path} ${status}: no content`)
        for (const [type, c] of content) if (c.schema === undefined || Object.keys(c.schema).length === 0) missing.push(`${method} ${path} ${status} ${type}: no schema`)
      }
      // routes that decode input also document the 422 it answers
      const withInput = (doc.paths[path]?.[method] as { parameters?: unknown[]; requestBody?: unknown }).parameters !== undefined || (op as { requestBody?: unknown }).requestBody !== undefined
      if (withInput && !path.startsWith("/fiber/") && op.responses?.["422"] === undefined) missing.push(`${method} ${path}: decodes input, no 422`)
      if (!path.startsWith("/fiber/") && path !== "/" && path !== "/dashboard" && path !== "/metrics" && !path.includes("heatmap") && op.responses?.["500"] === undefined)
        missing.push(`${method} ${path}: no 500`)
    }
    expect(missing).toEqual([])
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? []
    for (const ref of refs) {
      const pointer = ref.slice(8, -1)
      expect(pointer.startsWith("#/")).toBe(true)
      const target = pointer.slice(2).split("/").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc)
      expect({ ref: pointer, resolves: target !== undefined }).toEqual({ ref: pointer, resolves: true })
    }
  })

  test("the Fiber push endpoints are documented on their own server", () => {
    for (const p of ["/fiber/public-key", "/fiber/key-exchange", "/fiber/challenge"]) {
      const item = doc.paths[p] as { servers?: Array<{ description: string }> } | undefined
      expect(item?.servers?.[0]?.description).toContain("FIBER_PORT")
    }
    expect(JSON.stringify(declared("/fiber/challenge", "post", 201))).toContain("challenge_id")
  })

  test("real answers validate against the declared schemas: 200s and the errors", async () => {
    const get = (path: string, schema: Schema.Top, status = 200, url = path) => answer({ path, method: "get", status, schema }, undefined, api.url, url)
    await get("/health", B.HealthBody)
    await get("/stats", B.StatsBody)
    const miners = (await get("/miners", B.MinersBody)) as unknown[]
    expect(miners.length).toBe(2)
    expect(((await get("/rounds", B.RoundsBody)) as unknown[]).length).toBe(1)
    await get("/rounds", B.ValidationErrorBody, 422, "/rounds?limit=0")
    const round = (await get("/rounds/{id}", B.RoundBody, 200, "/rounds/r1")) as { responses: unknown[] }
    expect(round.responses.length).toBe(2)
    await get("/rounds/{id}", B.ErrorBody, 404, "/rounds/missing")
    await get("/rounds/{id}/heatmap.{ext}", B.ErrorBody, 404, "/rounds/r1/heatmap.svg")
    await get("/weights", B.WeightsBody)
    await get("/console/state", B.ConsoleStateBody)
    await get("/availability", B.AvailabilityBody)
    const post = (status: number, schema: Schema.Top, auth: string | null, body: unknown) =>
      answer(
        { path: "/set_running", method: "post", status, schema },
        { method: "POST", headers: { "content-type": "application/json", ...(auth === null ? {} : { authorization: auth }) }, body: JSON.stringify(body) }
      )
    await post(401, B.ErrorBody, null, { running: true })
    await post(422, B.ValidationErrorBody, `Bearer ${ADMIN_TOKEN}`, { running: "yes" })
    expect(await post(200, B.SetRunningBody, `Bearer ${ADMIN_TOKEN}`, { running: true })).toEqual({ running: true })
  })

  test("real Fiber push answers validate against their documented schemas", async () => {
    await cryptoWaitReady()
    const kr = new Keyring({ type: "sr25519", ss58Format: 42 })
    const pusher = kr.addFromUri("//OpenApiPushTest")
    const scope = await Effect.runPromise(Scope.make())
    try {
      const seen = new Set<string>()
      const { url } = await Effect.runPromise(
        serveFiberPush({
          host: "127.0.0.1",
          port: 0,
          allowedHotkeys: [pusher.address],
          accept: (c) => Effect.sync(() => (seen.has(c.id) ? { _tag: "Duplicate" as const } : (seen.add(c.id), { _tag: "Accepted" as const })))
        }).pipe(Scope.provide(scope))
      )
      await answer({ path: "/fiber/public-key", method: "get", status: 200, schema: PublicKeyBody }, undefined, url)
      const c = pushClient(url, pusher)
      const ex = await c.exchange()
      expect(ex.status).toBe(200)
      const keep = (path: string, status: number, schema: Schema.Top, body: unknown) => {
        expect(Exit.isSuccess(strict(schema, body))).toBe(true)
        answers.push({ name: `POST ${path} → ${status}`, path, method: "post", status, schema, body })
      }
      keep("/fiber/key-exchange", 200, KeyExchangedBody, ex.body)
      const challenge = { id: "doc-1", prompt: "Name a colour.", metadata: { task_type: "qa" } }
      const first = await c.push(ex.session, challenge)
      expect(first.status).toBe(201)
      keep("/fiber/challenge", 201, ChallengeAcceptedBody, first.body)
      const again = await c.push(ex.session, challenge)
      expect(again.status).toBe(409)
      keep("/fiber/challenge", 409, PushErrorBody, again.body)
      const stranger = await pushClient(url, kr.addFromUri("//NotTheApi")).exchange()
      expect(stranger.status).toBe(403)
      keep("/fiber/key-exchange", 403, PushErrorBody, stranger.body)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })

  const hasJsonSchema = Bun.spawnSync(["python3", "-c", "import jsonschema"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
  if (!hasJsonSchema) skipNote("OpenAPI answers against the document's JSON Schemas", "python3 with jsonschema (apt-get install python3-jsonschema)")
  test.skipIf(!hasJsonSchema)("the same answers validate against the JSON Schemas in /openapi.json (python jsonschema oracle)", () => {
    expect(answers.length).toBeGreaterThanOrEqual(18)
    const cases = answers.map((a) => ({ name: a.name, schema: declared(a.path, a.method, a.status), instance: a.body }))
    // the oracle must be able to fail: a body missing a required field and one with a wrong type
    cases.push({ name: "negative: /availability without in_flight", schema: declared("/availability", "get", 200), instance: { available: true, running: true, capacity: 1 } })
    cases.push({ name: "negative: /miners with a string uid", schema: declared("/miners", "get", 200), instance: [{ ...(answers.find((a) => a.path === "/miners")!.body as object[])[0]!, uid: "3" }] })
    const p = Bun.spawnSync(["python3", new URL("../oracle/jsonschema_check.py", import.meta.url).pathname], { stdin: new TextEncoder().encode(JSON.stringify(cases)), stdout: "pipe", stderr: "pipe" })
    if (p.exitCode !== 0) console.error(p.stderr.toString())
    expect(p.exitCode).toBe(0)
    const results = JSON.parse(p.stdout.toString()) as Array<{ name: string; errors: string[] }>
    const failing = results.filter((r) => r.errors.length > 0).map((r) => r.name)
    expect(failing).toEqual(["negative: /availability without in_flight", "negative: /miners with a string uid"])
  })
})

describe("declared answers at run time", () => {
  test("an answer is sent as the handler made it: a field the schema does not list is kept; a mismatch is sent with a warning, not failed", async () => {
    const body = Schema.Struct({ n: Schema.Finite })
    const seen: unknown[] = []
    const original = console.log
    console.log = (...args: unknown[]) => void seen.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
    const app = new Elysia()
      .get("/extra", () => ({ n: 1, extra: "kept" }), { response: declareAnswers(body, "ExtraBody") })
      .get("/wrong", () => ({ n: "one" }) as unknown as { n: number }, { response: declareAnswers(body, "WrongBody") })
    try {
      expect(await (await app.handle(new Request("http://127.0.0.1/extra"))).json()).toEqual({ n: 1, extra: "kept" })
      expect(seen.join("\n")).not.toContain("documented schema")
      const wrong = await app.handle(new Request("http://127.0.0.1/wrong"))
      expect(wrong.status).toBe(200)
      expect(await wrong.json()).toEqual({ n: "one" })
      await Bun.sleep(10)
    } finally {
      console.log = original
    }
    expect(seen.join("\n")).toContain("does not match its documented schema")
    expect(seen.join("\n")).toContain("WrongBody")
  })
})

describe("/docs", () => {
  test("the page references only this server; its script and stylesheet are swagger-ui-dist's files, byte for byte", async () => {
    const res = await fetch(`${api.url}/docs`)
    expect(res.status).toBe(200)
    const html = await res.text()
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBe(2)
    for (const ref of refs) {
      const u = new URL(ref, `${api.url}/docs`)
      expect(u.origin).toBe(api.url)
      const asset = await fetch(u)
      expect(asset.status).toBe(200)
      const name = u.pathname.split("/").pop() as keyof typeof DOCS_ASSETS
      expect(asset.headers.get("content-type")).toBe(DOCS_ASSETS[name].type)
      const expected = await Bun.file(Bun.resolveSync(`swagger-ui-dist/${name}`, import.meta.dir)).bytes()
      expect(Buffer.from(await asset.bytes()).equals(Buffer.from(expected))).toBe(true)
    }
    // no absolute URL to anywhere else in the page (the spec itself is relative: openapi.json)
    expect(html.match(/https?:\/\/[^\s"'<>]+/g) ?? []).toEqual([])
    expect(html).toContain('"url":"openapi.json"')
  })
})
