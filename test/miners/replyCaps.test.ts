// Per-field caps on miner replies (issue 10 item 3), over real HTTP: a hostile axon on 127.0.0.1 answers
// with oversized fields, insane token counts and a wrong content type; each becomes a typed ReplyRejected
// (the error is what is stored, not the payload), and an ordinary LLM-sized answer passes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit } from "effect"
import { makeDendriteTransport } from "../../src/miners/Dendrite.ts"
import { DEFAULT_REPLY_CAPS, replyViolation, withReplyCaps } from "../../src/miners/ReplyCaps.ts"
import { devSigner } from "../../src/miners/Signer.ts"
import type { InferenceReply, InferenceRequest } from "../../src/domain/Inference.ts"
import type { MinerTransport } from "../../src/miners/Transport.ts"

let reply: { body: unknown; contentType: string } = { body: {}, contentType: "application/json" }
let server: ReturnType<typeof Bun.serve>
let transport: MinerTransport

const request: InferenceRequest = {
  challengeId: "c", prompt: "hi", messages: [{ role: "user", content: "hi" }], model: null, max_tokens: 64,
  temperature: null, top_p: null, tools: [], tool_choice: null
}
const ok = { response_text: "A black hole is a region of spacetime...".repeat(200), finish_reason: "stop", tool_calls: [], usage: { prompt_tokens: 12, completion_tokens: 2100, total_tokens: 2112 } }
const ask = async (body: unknown, contentType = "application/json") => {
  reply = { body, contentType }
  return Effect.runPromiseExit(transport.query({ uid: 7, hotkey: "5F-miner", ip: "127.0.0.1", port: server.port! }, request, 5_000))
}
const reason = (exit: Exit.Exit<InferenceReply, { readonly reason: string; readonly message: string }>) => {
  if (Exit.isSuccess(exit)) return "ok"
  const f = exit.cause.reasons.find((r) => r._tag === "Fail")
  return f !== undefined && f._tag === "Fail" ? `${f.error.reason}: ${f.error.message}` : "defect"
}

beforeAll(async () => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(JSON.stringify(reply.body), { status: 200, headers: { "content-type": reply.contentType } })
  })
  transport = withReplyCaps(makeDendriteTransport({ signer: await devSigner("//CapsValidator") }), DEFAULT_REPLY_CAPS)
})
afterAll(() => server.stop(true))

describe("reply caps (hostile axon over HTTP)", () => {
  test("an ordinary LLM-sized answer (8k characters, 2k tokens) passes", async () => {
    expect(reason(await ask(ok))).toBe("ok")
    expect(reason(await ask(ok, "application/json; charset=utf-8"))).toBe("ok")
  })
  test("each hostile reply is ReplyRejected naming the field", async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ ...ok, response_text: "x".repeat(1_000_000) }, "application/json", "response_text"],
      [{ ...ok, finish_reason: "s".repeat(100_000) }, "application/json", "finish_reason"],
      [{ ...ok, tool_calls: Array.from({ length: 20 }, () => ({ function: { name: "n".repeat(10_000), arguments: "{}" } })) }, "application/json", "20 tool calls"],
      [{ ...ok, tool_calls: [{ function: { name: "n".repeat(10_000), arguments: "{}" } }] }, "application/json", "name"],
      [{ ...ok, tool_calls: [{ function: { name: "f", arguments: "a".repeat(100_000) } }] }, "application/json", "arguments"],
      [{ ...ok, usage: { prompt_tokens: -5, completion_tokens: 1, total_tokens: 1 } }, "application/json", "usage.prompt_tokens"],
      [{ ...ok, usage: { prompt_tokens: 1, completion_tokens: 1e308, total_tokens: 1 } }, "application/json", "usage.completion_tokens"],
      [{ ...ok, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2.5 } }, "application/json", "usage.total_tokens"],
      [ok, "text/html", "content type"]
    ]
    for (const [body, type, field] of cases) {
      const r = reason(await ask(body, type))
      expect(r.startsWith("ReplyRejected")).toBe(true)
      expect(r).toContain(field)
    }
  })
  test("caps are configurable: a smaller text cap refuses what the default accepts (pure)", () => {
    const r: InferenceReply = { responseText: "x".repeat(500), toolCalls: [], finishReason: "stop", usage: null, latencyMs: 1, status: 200 }
    expect(replyViolation(r, DEFAULT_REPLY_CAPS, "in-process")).toBeUndefined()
    expect(replyViolation(r, { ...DEFAULT_REPLY_CAPS, maxTextChars: 100 }, "in-process")).toContain("cap 100")
  })
})
