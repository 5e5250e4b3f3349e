// The `policies` section of the versioned scoring config and the AGGREGATION / SELECTION overrides.
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { effectivePolicies } from "../../src/app/Validator.ts"
import { decodeScoringConfig } from "../../src/domain/ScoringConfig.ts"
import { DEFAULT_POLICIES, DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"

const base = JSON.parse(JSON.stringify(DEFAULT_SCORING_CONFIG)) as Record<string, unknown>

describe("policies in the scoring config", () => {
  test("defaults are today's behaviour; a file without the section gets them; a chosen policy loads", async () => {
    expect(DEFAULT_POLICIES.selection.kind).toBe("availability")
    expect(DEFAULT_POLICIES.aggregation.kind).toBe("ema")
    expect(DEFAULT_POLICIES.aggregation.stakeBlend.enabled).toBe(false)
    const { policies: _, ...without } = base
    expect((await Effect.runPromise(decodeScoringConfig(without))).policies).toEqual(DEFAULT_POLICIES)
    const chosen = { ...DEFAULT_POLICIES, selection: { ...DEFAULT_POLICIES.selection, kind: "performance", maxConcurrentTasks: 5 } }
    expect((await Effect.runPromise(decodeScoringConfig({ ...base, policies: chosen }))).policies.selection.maxConcurrentTasks).toBe(5)
  })

  test("a bad policy value names its key", async () => {
    const bad = async (policies: unknown) => (await Effect.runPromise(Effect.flip(decodeScoringConfig({ ...base, policies })))).key
    expect(await bad({ ...DEFAULT_POLICIES, selection: { ...DEFAULT_POLICIES.selection, kind: "lottery" } })).toBe("policies.selection.kind")
    expect(await bad({ ...DEFAULT_POLICIES, selection: { ...DEFAULT_POLICIES.selection, maxConcurrentTasks: 0 } })).toBe("policies.selection.maxConcurrentTasks")
    expect(await bad({ ...DEFAULT_POLICIES, aggregation: { ...DEFAULT_POLICIES.aggregation, stakeBlend: { enabled: true, share: 3 } } })).toBe("policies.aggregation.stakeBlend.share")
  })

  test("AGGREGATION and SELECTION override the file's kinds, nothing else", () => {
    expect(effectivePolicies(DEFAULT_POLICIES, {})).toEqual(DEFAULT_POLICIES)
    const p = effectivePolicies(DEFAULT_POLICIES, { AGGREGATION: "blend", SELECTION: "groups" })
    expect([p.aggregation.kind, p.selection.kind]).toEqual(["blend", "groups"])
    expect(p.aggregation.stakeBlend).toEqual(DEFAULT_POLICIES.aggregation.stakeBlend)
  })
})
