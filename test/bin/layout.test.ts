// The names the source and the build script agree on, checked without building: the scoring worker's path in
// source runs, and its embedded name in the binary (what Embedder uses when Bun.isStandaloneExecutable).
import { expect, test } from "bun:test"
import { existsSync } from "node:fs"
import { embeddedName, ROUND_SCORER_WORKER, SCORING_WORKER } from "../../scripts/build.ts"
import { EMBEDDED_ROUND_SCORER_FILE, roundScorerFile } from "../../src/app/Scorer.ts"
import { EMBEDDED_WORKER_FILE, workerFile } from "../../src/embeddings/Embedder.ts"
import { DEFAULT_CORPUS_PATH } from "../../src/challenges/Corpus.ts"

test("source runs use the worker file on disk", () => {
  expect(workerFile(false)).toBe(SCORING_WORKER)
  expect(existsSync(workerFile(false))).toBe(true)
  expect(workerFile()).toBe(SCORING_WORKER) // bun test is not a compiled binary
})

test("the binary's worker name is the one the build gives the worker entry point", () => {
  expect(workerFile(true)).toBe(EMBEDDED_WORKER_FILE)
  expect(embeddedName(SCORING_WORKER)).toBe(EMBEDDED_WORKER_FILE)
})

test("the round scorer's worker: on disk in source runs, the build's embedded name in the binary", () => {
  expect(roundScorerFile(false)).toBe(ROUND_SCORER_WORKER)
  expect(existsSync(roundScorerFile(false))).toBe(true)
  expect(roundScorerFile(true)).toBe(EMBEDDED_ROUND_SCORER_FILE)
  expect(embeddedName(ROUND_SCORER_WORKER)).toBe(EMBEDDED_ROUND_SCORER_FILE)
})

test("the corpus file import resolves to data/corpus.json in source runs", () => {
  expect(DEFAULT_CORPUS_PATH.endsWith("/data/corpus.json")).toBe(true)
  expect(existsSync(DEFAULT_CORPUS_PATH)).toBe(true)
})
