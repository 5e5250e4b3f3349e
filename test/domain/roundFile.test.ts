// A round written with toRoundFile reads back (schema, semantic checks) to the same RoundInput: eval dumps
// replay through `bun run score` exactly as the eval scored them.
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { decodeRoundFile, toRoundFile } from "../../src/domain/RoundFile.ts"
import type { RoundInput } from "../../src/scoring/types.ts"

const round: RoundInput = {
  id: "r-1",
  prompt: "What is the capital of France?",
  taskType: "chat",
  reference: "Paris.",
  tools: [{ name: "lookup", parameters: { type: "object" } }, { name: "noop" }],
  responses: [
    { uid: 3, hotkey: "hk3", coldkey: "ck3", ip: "10.0.0.3", text: "Paris.", latencyMs: 812.5, finishReason: "stop", toolCalls: [], availability: 0.75 },
    { uid: 7, hotkey: "hk7", coldkey: "", ip: "", text: "", latencyMs: null, finishReason: null, toolCalls: [], error: "Timeout" },
    { uid: 9, hotkey: "hk9", coldkey: "ck9", ip: "10.0.0.9", text: "", latencyMs: 40, finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"q":"France"}' }, { name: "noop", arguments: "{}" }] }
  ]
}

describe("toRoundFile", () => {
  test("round-trips through decodeRoundFile", async () => {
    const back = await Effect.runPromise(decodeRoundFile(JSON.parse(JSON.stringify(toRoundFile(round)))))
    expect(back).toEqual(round)
  })

  test("a dumped round with no reference and no tools stays without them", async () => {
    const bare: RoundInput = { ...round, reference: null, tools: [] }
    const back = await Effect.runPromise(decodeRoundFile(JSON.parse(JSON.stringify(toRoundFile(bare)))))
    expect(back.reference).toBeNull()
    expect(back.tools).toEqual([])
  })
})
