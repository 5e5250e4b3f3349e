// `bun scripts/bench/scoring.ts [--quick]`: one round of 256 responses at d = 384 (synthetic unit vectors with
// real structure: honest paraphrases, a sybil farm, off-topic junk, copies, errors), timed end to end as the
// validator runs it after embedding: the responses' cosine matrix (blocked kernel) + scoreRound (filters, copy
// detection against the novelty memory, average-linkage clustering, axes, rewards). Baseline measured in the
// same run: the same round with the naive cosine triple loop. Also prints the parts separately.
import { cosineMatrix, cosineMatrixNaive } from "../../src/scoring/similarity.ts"
import { NoveltyMemory, scoreRound } from "../../src/scoring/round.ts"
import { DEFAULT_SCORING_CONFIG } from "../../src/scoring/tasks.ts"
import type { RoundEmbeddings } from "../../src/scoring/types.ts"
import {
  answerDirection,
  around,
  buildRound,
  orthogonalTo,
  prose,
  randomUnit,
  rng,
  type SynthResponse
} from "../../test/fixtures/rounds/synthetic.ts"
import { medianMs } from "../lib/timing.ts"

const N = 256
const DIM = 384

const makeRound = () => {
  const r = rng(20240601)
  const prompt = randomUnit(DIM, r)
  const dir = answerDirection(prompt, r)
  const alt = orthogonalTo(answerDirection(prompt, r), dir)
  const responses: Array<SynthResponse> = []
  for (let uid = 0; uid < N; uid++) {
    const kind = uid % 16
    if (kind < 10) responses.push({ uid, vec: around(dir, 0.5, r), text: prose(r, 60), latencyMs: 800 + Math.floor(r() * 8000) })
    else if (kind < 12) responses.push({ uid, vec: around(alt, 0.3, r), text: prose(r, 60), latencyMs: 300, ip: "6.6.6.6" })
    else if (kind === 12) responses.push({ uid, vec: orthogonalTo(randomUnit(DIM, r), prompt, dir), text: prose(r, 40), latencyMs: 5 })
    else if (kind === 13 && responses.length > 0) {
      const o = responses[Math.floor(r() * responses.length)]!
      responses.push({ uid, vec: o.vec, text: o.text, latencyMs: (o.latencyMs ?? 0) + 50 })
    } else if (kind === 14) responses.push({ uid, vec: dir, text: "", latencyMs: null, finishReason: null, error: "Timeout" })
    else responses.push({ uid, vec: around(dir, 0.6, r), text: prose(r, 60), latencyMs: 1500 + Math.floor(r() * 3000), finishReason: "length" })
  }
  return buildRound({ prompt, promptText: "benchmark prompt", responses })
}

const timeMs = (f: () => unknown, reps: number): number => medianMs(f, reps, 2)

export async function run(args: ReadonlyArray<string> = process.argv.slice(2)): Promise<void> {
  const quick = args.includes("--quick")
  const REPS = quick ? 5 : 21
  const { input, emb } = makeRound()
  const memory = new NoveltyMemory({ capacity: DEFAULT_SCORING_CONFIG.novelty.capacity, perPrompt: DEFAULT_SCORING_CONFIG.novelty.perPrompt })
  scoreRound(input, emb, DEFAULT_SCORING_CONFIG, memory) // fill the memory for this prompt (steady state)

  const roundWith = (matrix: typeof cosineMatrix) => () => {
    const e: RoundEmbeddings = { ...emb, similarity: matrix(emb.responses, N, DIM) }
    return scoreRound(input, e, DEFAULT_SCORING_CONFIG, memory)
  }

  const check = roundWith(cosineMatrix)()
  const filtered: Record<string, number> = {}
  for (const m of check.miners) filtered[m.filtered ?? "paid"] = (filtered[m.filtered ?? "paid"] ?? 0) + 1

  const blocked = timeMs(roundWith(cosineMatrix), REPS)
  const naive = timeMs(roundWith(cosineMatrixNaive), REPS)
  const simOnly = timeMs(() => cosineMatrix(emb.responses, N, DIM), REPS)
  const scoreOnly = timeMs(() => scoreRound(input, emb, DEFAULT_SCORING_CONFIG, memory), REPS)

  console.log(`scoring: ${N} responses × d=${DIM}, median of ${REPS} runs${quick ? " (--quick)" : ""}`)
  console.log(`  outcome: ${Object.entries(filtered).map(([k, v]) => `${k}=${v}`).join(" ")}; consensus ${check.consensus.length} uids`)
  console.log(`  round (blocked cosine + scoreRound): ${blocked.toFixed(2)} ms`)
  console.log(`  baseline (naive cosine + scoreRound): ${naive.toFixed(2)} ms  → ${(naive / blocked).toFixed(2)}× slower`)
  console.log(`  parts: cosineMatrix ${simOnly.toFixed(2)} ms, scoreRound ${scoreOnly.toFixed(2)} ms`)
}

if (import.meta.main) await run()
