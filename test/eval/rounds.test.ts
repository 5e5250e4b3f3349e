import { describe, expect, test } from "bun:test"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { mulberry32 } from "../../src/domain/random.ts"
import { ADVERSARY_KINDS, CONSTANT_TEXT, COPY_DELAY_MS, firstSentence, makeAdversaries, REFUSALS, smallEdits } from "../../src/eval/adversaries.ts"
import { baseModels, hasDataset, loadDataset, parseLeaderboard, variantModels, variantOf } from "../../src/eval/dataset.ts"
import { assignIdentities, speedProfile } from "../../src/eval/identity.ts"
import { buildRound, makePlan, strongestModel } from "../../src/eval/rounds.ts"
import { syntheticDataset, syntheticRaw } from "./synthetic.ts"

const d = syntheticDataset()
const opts = { seed: 7, models: 3, reference: false }

describe("eval data set", () => {
  test("base models, variants, leaderboard", () => {
    expect(baseModels(d)).toEqual(["alpha", "bravo", "charlie", "delta", "echo-model", "fam"])
    expect(variantModels(d)).toEqual(["fam_concise", "fam_verbose"])
    expect(variantOf("fam_verbose")).toEqual({ family: "fam", style: "verbose" })
    expect(variantOf("alpha")).toBeNull()
    expect(d.lc.get("alpha")).toBe(60.5)
    expect(strongestModel(d)).toBe("alpha")
    expect(() => parseLeaderboard("name,score\na,1\n")).toThrow("length_controlled_winrate")
  })

  test("loadDataset reads the directory layout; hasDataset says when it is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-evalds-"))
    expect(hasDataset(dir)).toBe(false)
    const raw = syntheticRaw()
    mkdirSync(join(dir, "outputs"))
    writeFileSync(join(dir, "prompts.json"), JSON.stringify(raw.prompts))
    writeFileSync(join(dir, "leaderboard.csv"), raw.leaderboard)
    for (const [m, o] of raw.outputs) writeFileSync(join(dir, "outputs", `${m}.json`), JSON.stringify(o))
    expect(hasDataset(dir)).toBe(true)
    const loaded = loadDataset(dir)
    expect(loaded.prompts.length).toBe(6)
    expect(loaded.outputs.get("bravo")?.get(20)).toBe(d.outputs.get("bravo")?.get(20)!)
    writeFileSync(join(dir, "outputs", "broken.json"), JSON.stringify({ outputs: [{ index: "x" }] }))
    expect(() => loadDataset(dir)).toThrow("outputs/broken.json")
  })
})

describe("identities and latency", () => {
  test("distinct, stable per name, independent of the other names", () => {
    const names = ["a", "b", "c", "adv:empty"]
    const ids = assignIdentities(names)
    for (const key of ["uid", "hotkey", "coldkey", "ip"] as const) expect(new Set([...ids.values()].map((i) => i[key])).size).toBe(4)
    expect(assignIdentities([...names].reverse())).toEqual(ids)
    expect(ids.get("a")!.hotkey).toBe(assignIdentities(["a", "zz"]).get("a")!.hotkey)
    const p = speedProfile("gpt4")
    expect(p).toEqual(speedProfile("gpt4"))
    expect(p.ttftMs >= 300 && p.ttftMs <= 1200 && p.msPerChar >= 2 && p.msPerChar <= 8).toBe(true)
  })
})

describe("rounds", () => {
  const plan = makePlan(d, opts)

  test("K honest base models, every variant, one of each adversary kind, each with its identity", () => {
    const r = buildRound(d, plan, 0)
    const honest = r.miners.filter((m) => m.kind === "honest")
    expect(honest.length).toBe(3)
    for (const m of honest) expect(baseModels(d)).toContain(m.name)
    expect(r.miners.filter((m) => m.kind === "variant").map((m) => m.name)).toEqual(["fam_concise", "fam_verbose"])
    expect(r.miners.filter((m) => m.kind === "adversary").map((m) => m.adversary)).toEqual([...ADVERSARY_KINDS])
    expect(new Set(r.input.responses.map((x) => x.uid)).size).toBe(r.input.responses.length)
    expect(new Set(r.input.responses.map((x) => x.ip)).size).toBe(r.input.responses.length)
    expect(r.input.reference).toBeNull()
    expect(r.miners.map((m) => m.uid)).toEqual(r.input.responses.map((x) => x.uid))
  })

  test("seeded: the same round twice, round r independent of how many are built; another seed differs", () => {
    expect(buildRound(d, makePlan(d, opts), 3)).toEqual(buildRound(d, plan, 3))
    const other = makePlan(d, { ...opts, seed: 8 })
    const texts = (s: typeof plan) => [0, 1, 2, 3, 4, 5].map((r) => buildRound(d, s, r).input.responses.map((x) => x.text).join("|"))
    expect(texts(other)).not.toEqual(texts(plan))
    expect(new Set(plan.order)).toEqual(new Set([0, 1, 2, 3, 4, 5]))
  })

  test("adversary texts and latencies follow their recipe", () => {
    const seenConstant = new Set<string>()
    for (let k = 0; k < 6; k++) {
      const r = buildRound(d, plan, k)
      const by = (kind: string) => r.input.responses[r.miners.findIndex((m) => m.adversary === kind)]!
      const honest = r.input.responses.filter((_, j) => r.miners[j]!.kind === "honest")
      expect(by("empty").text).toBe("")
      expect(by("echo").text).toBe(r.input.prompt)
      expect(by("jumble").text.split(" ").sort()).toEqual(r.input.prompt.split(" ").sort())
      expect(REFUSALS).toContain(by("refusal").text)
      expect(by("constant").text).toBe(CONSTANT_TEXT)
      seenConstant.add(by("constant").hotkey)
      const fs = by("first_sentence")
      const src = honest.find((h) => firstSentence(h.text) === fs.text)!
      expect(src).toBeDefined()
      expect(fs.latencyMs).toBe(src.latencyMs! + COPY_DELAY_MS)
      const ec = by("edited_copy")
      const copied = honest.filter((h) => h.latencyMs! + COPY_DELAY_MS === ec.latencyMs)
      expect(copied.length).toBeGreaterThan(0)
      expect(ec.text).not.toBe(copied[0]!.text)
      // a truncation of a one-sentence answer would be that answer, and 3 edits must stay small: sources are
      // answers of several sentences, and of ≥ 30 words, whenever the round has one
      const words = (t: string) => t.split(/\s+/).filter((w) => w !== "").length
      if (honest.some((h) => firstSentence(h.text).length < h.text.trim().length)) expect(fs.text.length).toBeLessThan(src.text.trim().length)
      if (honest.some((h) => words(h.text) >= 30)) expect(copied.some((h) => words(h.text) >= 30)).toBe(true)
      // the junk is about as long as the honest median and built from other prompts' answers
      const rw = by("random_words").text
      expect(rw.length).toBeGreaterThan(0.7 * honest[1]!.text.length)
      const p = plan.order[k]!
      expect(rw).not.toContain(`topic${p}`)
      expect(by("other_prompt").text).not.toContain(`prompt ${p}.`)
      for (const h of [...honest]) {
        expect(h.latencyMs!).toBeGreaterThan(0.85 * 300)
        expect(h.latencyMs!).toBeLessThan(1.15 * (1200 + 8 * h.text.length))
      }
    }
    expect(seenConstant.size).toBe(1)
  })

  test("--reference: the strongest model answers as the reference and is no miner", () => {
    const refPlan = makePlan(d, { ...opts, reference: true, models: 10 })
    expect(refPlan.referenceModel).toBe("alpha")
    const r = buildRound(d, refPlan, 2)
    expect(r.input.reference).toBe(d.outputs.get("alpha")!.get(r.promptIndex)!)
    expect(r.miners.map((m) => m.name)).not.toContain("alpha")
    expect(r.miners.filter((m) => m.kind === "honest").length).toBe(5)
    expect(makePlan(d, { ...opts, reference: true, referenceModel: "bravo" }).pool).not.toContain("bravo")
    expect(() => makePlan(d, { ...opts, reference: true, referenceModel: "nobody" })).toThrow("nobody")
  })

  test("a truncation is taken from an answer of several sentences, an edited copy from one of ≥ 30 words", () => {
    const short = { text: "Yes.", latencyMs: 300 }
    const long = { text: `Yes. ${"The sender says a chatbot could improve things and wants to talk soon about it. ".repeat(3)}`, latencyMs: 2000 }
    for (let seed = 1; seed <= 20; seed++) {
      const advs = makeAdversaries({ prompt: "Is the sender interested?", honest: [short, long], vocabulary: ["zebra"], otherPromptAnswer: "x" }, mulberry32(seed))
      const by = (k: string) => advs.find((a) => a.kind === k)!
      expect(by("first_sentence")).toMatchObject({ text: "Yes.", latencyMs: long.latencyMs + COPY_DELAY_MS })
      expect(by("edited_copy").latencyMs).toBe(long.latencyMs + COPY_DELAY_MS)
    }
    // with no such answer the round's answers are used as they are
    const only = makeAdversaries({ prompt: "p", honest: [short], vocabulary: [], otherPromptAnswer: "x" }, mulberry32(1))
    expect(only.find((a) => a.kind === "first_sentence")!.text).toBe("Yes.")
  })

  test("smallEdits changes a few words and keeps the rest", () => {
    const text = "one two three four five six seven eight nine ten eleven twelve"
    const edited = smallEdits(text, ["zebra"], mulberry32(3))
    expect(edited).not.toBe(text)
    const a = text.split(" ")
    const b = edited.split(" ")
    expect(b.length).toBeGreaterThanOrEqual(a.length - 3)
    expect(b.filter((w) => a.includes(w)).length).toBeGreaterThanOrEqual(a.length - 3)
  })
})
