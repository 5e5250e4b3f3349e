// The round scorer off the event loop: the one-thread worker pool gives exactly the in-process results, keeps
// the novelty memory across rounds (a text one hotkey sends to different prompts is caught as constant in the
// worker too), and a round that cannot be scored fails with a typed ScoreError without taking the thread down.
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { makeScorer, ScoreError } from "../../src/app/Scorer.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../../src/scoring/types.ts"
import { answerDirection, around, buildRound, prose, randomUnit, rng } from "../fixtures/rounds/synthetic.ts"

const DIM = 32
const CANNED = "Thank you for your question here is a detailed and helpful answer with the most important points and a summary"

/** Round k: five honest answers around one direction, a junk line, and uid 9's canned text (the same every round). */
const roundOf = (k: number): { input: RoundInput; emb: RoundEmbeddings } => {
  const r = rng(100 + k)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const shared = prose(r, 25)
  return buildRound({
    id: `r${k}`,
    prompt,
    promptText: `question number ${k} about a topic ${prose(r, 4)}`,
    responses: [
      ...[1, 2, 3, 4, 5].map((uid) => ({ uid, vec: around(dir, 0.15, r), text: `${shared} ${prose(r, 12)}`, latencyMs: 800 + 300 * uid })),
      { uid: 7, vec: randomUnit(DIM, r), text: "zz qq xx", latencyMs: 50 },
      { uid: 9, vec: dir, text: CANNED, latencyMs: 100 }
    ]
  })
}

const scoreAll = (inWorker: boolean) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const scorer = yield* makeScorer({}, { inWorker })
        expect(scorer.where).toBe(inWorker ? "worker" : "main")
        const out: Array<RoundResult> = []
        for (let k = 0; k < 4; k++) {
          const { input, emb } = roundOf(k)
          out.push(yield* scorer.score(input, emb))
        }
        return { results: out, remembered: yield* scorer.remembered }
      })
    )
  )

describe("Scorer", () => {
  test("the worker thread scores exactly as the main thread, memory carried across rounds", async () => {
    const [main, inWorker] = [await scoreAll(false), await scoreAll(true)]
    expect(inWorker).toEqual(main)
    expect(inWorker.remembered).toBeGreaterThan(0)
    const worker = inWorker.results
    const canned = worker.map((r) => r.miners.find((m) => m.uid === 9)!)
    expect(canned[0]!.filtered).not.toBe("constant")
    for (const m of canned.slice(1)) expect(m.filtered).toBe("constant")
    expect(worker.every((r) => r.miners.filter((m) => m.reward > 0).length >= 3)).toBe(true)
  }, 60_000)

  test("a round the scorer rejects is a ScoreError; the next round still scores", async () => {
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const scorer = yield* makeScorer({})
          const good = roundOf(0)
          // embeddings for fewer rows than there are answers
          const broken: RoundEmbeddings = { ...good.emb, responses: new Float32Array(new ArrayBuffer(4)), similarity: new Float32Array(new ArrayBuffer(4)) }
          const failed = yield* Effect.flip(scorer.score(good.input, broken))
          const next = yield* scorer.score(good.input, good.emb)
          return { failed, next }
        })
      )
    )
    expect(result.failed).toBeInstanceOf(ScoreError)
    expect(result.failed.roundId).toBe("r0")
    expect(result.next.miners.length).toBe(7)
  }, 60_000)
})
