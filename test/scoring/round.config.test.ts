// Unit cases of scoreRound: config loading.
import { describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { DEFAULT_SCORING_CONFIG_PATH, decodeScoringConfig, loadScoringConfig, type ScoringConfigError } from "../../src/domain/ScoringConfig.ts"
import { config, score, scene } from "./roundScene.ts"

describe("config loading", () => {
  const fail = (u: unknown) => Effect.runPromise(Effect.flip(decodeScoringConfig(u, "test.json")))
  const base = JSON.parse(JSON.stringify(config)) as Record<string, unknown>

  test("config/scoring.v2.json decodes to the built-in default; v1 still loads, its cosines as the default calibration", async () => {
    const loaded = await Effect.runPromise(loadScoringConfig())
    expect(loaded).toEqual(config)
    expect(DEFAULT_SCORING_CONFIG_PATH.endsWith("config/scoring.v2.json")).toBe(true)
    const v1Path = join(import.meta.dir, "../../config/scoring.v1.json")
    const v1 = await Effect.runPromise(loadScoringConfig(v1Path))
    const raw = JSON.parse(readFileSync(v1Path, "utf8")) as { thresholds: { relevanceFloor: number; consensusDistance: number } }
    expect(v1.version).toBe(1)
    expect(v1.calibration["default"]!.relevanceFloor).toBe(raw.thresholds.relevanceFloor)
    expect(v1.calibration["default"]!.consensusDistance).toBe(raw.thresholds.consensusDistance)
    expect(v1.lexical).toEqual(config.lexical)
    const s = scene(40)
    const res = score({ prompt: s.prompt, responses: [s.honest(1), s.honest(2), s.honest(3)] }, v1)
    expect(res.miners.reduce((x, m) => x + m.reward, 0)).toBeCloseTo(1, 12)
  })

  test("bad values, unknown keys, unknown axes and broken rules name the key", async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...base, calibration: { default: { ...config.calibration["default"]!, relevanceFloor: 3 } } }, "calibration.default.relevanceFloor", /between -1 and 1/],
      [{ ...base, thresholds: { ...config.thresholds, relevanceFlor: 0.2 } }, "thresholds.relevanceFlor", /excess/],
      [{ ...base, calibration: { "use-lite": config.calibration["default"]! } }, "calibration", /needs a "default"/],
      [{ ...base, lexical: { ...config.lexical, copyShare: 2 } }, "lexical.copyShare", /between 0 and 1/],
      [{ ...base, axes: { ...config.axes, charisma: 1 } }, "axes.charisma", /unknown axis/],
      [{ ...base, taskTypes: { ...config.taskTypes, x: { optimalMs: 1, axes: { speed: 0 } } } }, "taskTypes.x.axes", /all be 0/],
      [{ ...base, defaultTaskType: "nope" }, "defaultTaskType", /not one of taskTypes/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: 0.5 }, { upTo: 2, score: 0.9 }] } }, "speed.tiers.1.score", /faster is never worse/],
      [{ ...base, speed: { ...config.speed, tiers: [{ upTo: 1, score: "x" }] } }, "speed.tiers.0.score", /number/],
      [{ ...base, version: 3 }, "version", /2/],
      [{ ...base, calibration: { default: { ...config.calibration["default"]!, accuracyFull: 0.1 } } }, "calibration.default.accuracyFull", /above accuracyFloor/]
    ]
    for (const [u, key, msg] of cases) {
      const e: ScoringConfigError = await fail(u)
      expect(e._tag).toBe("ScoringConfigError")
      expect(e.path).toBe("test.json")
      expect(e.key).toBe(key)
      expect(e.message).toMatch(msg)
    }
  })

  test("a missing file and invalid JSON fail with the file named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-cfg-"))
    const missing = await Effect.runPromise(Effect.flip(loadScoringConfig(join(dir, "none.json"))))
    expect(missing.key).toBe("(file)")
    expect(missing.path).toBe(join(dir, "none.json"))
    const broken = join(dir, "broken.json")
    writeFileSync(broken, '{"version": 2,')
    const bad = await Effect.runPromise(Effect.flip(loadScoringConfig(broken)))
    expect(bad.key).toBe("(json)")
    expect(bad.path).toBe(broken)
  })
})
