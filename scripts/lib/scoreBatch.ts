// Batch and replay modes of `bun run score` (scripts/score.ts keeps the single-file form):
//  - batch: many round files / directories of them, one model load, one JSON line per round
//    {id, file, miners:[{uid, reward, axes, filtered, note?}], consensus}; --memory carries one NoveltyMemory across
//    the rounds in the order given (directories: files sorted by name), as the live validator does.
//  - replay: rounds stored in the validator's SQLite file (challenge, answers, evaluation) scored again with
//    the current config; per miner the stored reward/filter next to the new one.
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { Effect, Logger, Schema } from "effect"
import { ChallengeSchema } from "../../src/domain/Challenge.ts"
import { formatRoundFileError, loadRoundFile } from "../../src/domain/RoundFile.ts"
import { formatScoringConfigError, loadScoringConfig } from "../../src/domain/ScoringConfig.ts"
import { Embedder } from "../../src/embeddings/Embedder.ts"
import { makeNoveltyMemory, scoreRound } from "../../src/scoring/round.ts"
import type { RoundInput, RoundResult } from "../../src/scoring/types.ts"
import { makeStore, openDatabase, type StoreShape } from "../../src/store/Store.ts"

export interface ScoreOptions {
  readonly json: boolean
  readonly model: string | undefined
  readonly config: string | undefined
  readonly memory: boolean
}

/** Round files under the given paths: files as given, directories expanded to their *.json files (recursive, sorted). */
export const collectRoundFiles = (paths: ReadonlyArray<string>): Array<string> =>
  paths.flatMap((p) => {
    if (!existsSync(p) || !statSync(p).isDirectory()) return [p]
    return readdirSync(p, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(p, f))
      .filter((f) => statSync(f).isFile())
  })

class ReplayError extends Schema.TaggedError<ReplayError>()("ReplayError", { message: Schema.String }) {}

/** Embeds and scores the rounds in order with one model load (and one memory with `memory`). */
const scoreAll = (rounds: ReadonlyArray<RoundInput>, options: ScoreOptions, each: (k: number, result: RoundResult) => void) =>
  Effect.gen(function* () {
    const config = yield* loadScoringConfig(options.config)
    yield* Effect.gen(function* () {
      const embedder = yield* Embedder
      const memory = options.memory ? makeNoveltyMemory(config) : undefined
      for (const [k, round] of rounds.entries()) {
        const emb = yield* embedder.embedRound(round)
        const result = scoreRound(round, emb, config, memory)
        yield* Effect.sync(() => each(k, result))
      }
    }).pipe(Effect.provide(Embedder.layer({ modelPath: options.model, poolSize: 1 })), Effect.scoped)
  })

// the filter's note (why it earned 0) when it has one, so a replayed run can be read without the single-file table
const minerJson = (result: RoundResult) =>
  result.miners.map((m) => ({ uid: m.uid, reward: m.reward, axes: m.axes, filtered: m.filtered, ...(m.note === undefined ? {} : { note: m.note }) }))

/** Runs a program, mapping the known failures to a message on stderr and exit 1. */
const runProgram = async (program: Effect.Effect<void, { readonly _tag: string }>): Promise<number> => {
  const exit = await Effect.runPromiseExit(
    program.pipe(
      Effect.map(() => null),
      Effect.catch((e: unknown) => {
        const tagged = e as { _tag?: string; message?: string; operation?: string }
        const message =
          tagged._tag === "RoundFileError"
            ? `bad round file: ${formatRoundFileError(e as never)}`
            : tagged._tag === "ScoringConfigError"
              ? `bad scoring config: ${formatScoringConfigError(e as never)}`
              : tagged._tag === "ModelNotFound"
                ? `embedding model not found: ${tagged.message}`
                : tagged._tag === "EmbedError"
                  ? `embedding failed (${tagged.operation}): ${tagged.message}`
                  : `${tagged._tag ?? "error"}: ${tagged.message ?? String(e)}`
        return Effect.succeed(message)
      }),
      Effect.provide(Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]))
    )
  )
  if (exit._tag === "Failure") {
    console.error(`score: unexpected failure\n${String(exit.cause)}`)
    return 1
  }
  if (exit.value !== null) {
    console.error(exit.value)
    return 1
  }
  return 0
}

export const runBatch = (paths: ReadonlyArray<string>, options: ScoreOptions): Promise<number> => {
  const files = collectRoundFiles(paths)
  return runProgram(
    Effect.gen(function* () {
      if (files.length === 0) return yield* new ReplayError({ message: `no round files (*.json) under ${paths.join(", ")}` })
      // every file is decoded before the model loads: a bad file fails fast
      const rounds = yield* Effect.forEach(files, loadRoundFile)
      yield* scoreAll(rounds, options, (k, result) => {
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ id: result.roundId, file: files[k]!, miners: minerJson(result), consensus: result.consensus })}\n`)
          return
        }
        const line = result.miners.map((m) => `${m.uid}:${m.reward.toFixed(4)}${m.filtered === null ? "" : `(${m.filtered})`}`).join(" ")
        console.log(`${result.roundId} [${files[k]}] consensus ${result.consensus.join(",") || "none"} | ${line}`)
      })
    })
  )
}

const StoredEvaluation = Schema.Struct({
  miners: Schema.Array(Schema.Struct({ uid: Schema.Number, reward: Schema.Number, filtered: Schema.NullOr(Schema.String) })),
  consensus: Schema.Array(Schema.Number)
})
const decodeStored = Schema.decodeUnknownEffect(StoredEvaluation)
const decodeChallenge = Schema.decodeUnknownEffect(Schema.fromJsonString(ChallengeSchema))

interface StoredRound {
  readonly input: RoundInput
  readonly old: typeof StoredEvaluation.Type | null
}

const loadStored = (store: StoreShape, id: string) =>
  Effect.gen(function* () {
    const row = yield* store.getChallenge(id)
    if (row === null) return yield* new ReplayError({ message: `round ${id} is not in the store` })
    const challenge = yield* decodeChallenge(row.payload).pipe(
      Effect.mapError((e) => new ReplayError({ message: `round ${id}: stored challenge does not decode: ${e.message}` }))
    )
    const responses = yield* store.responsesOf(id)
    const stored = yield* store.evaluationOf(id)
    const old =
      stored === null
        ? null
        : yield* decodeStored(stored).pipe(Effect.mapError((e) => new ReplayError({ message: `round ${id}: stored evaluation does not decode: ${e.message}` })))
    const input: RoundInput = {
      id,
      prompt: challenge.request.prompt,
      taskType: challenge.taskType,
      reference: challenge.reference,
      tools: challenge.tools,
      responses
    }
    return { input, old } satisfies StoredRound
  })

export interface ReplaySelection {
  readonly round?: string | undefined
  readonly last?: number | undefined
}

const fmt = (reward: number | undefined, filtered: string | null | undefined) =>
  reward === undefined ? "-" : `${reward.toFixed(4)}${filtered === null || filtered === undefined ? "" : ` ${filtered}`}`

export const runReplay = (dbPath: string, select: ReplaySelection, options: ScoreOptions): Promise<number> =>
  runProgram(
    Effect.gen(function* () {
      if (!existsSync(dbPath)) return yield* new ReplayError({ message: `no database at ${dbPath}` })
      const store = yield* Effect.acquireRelease(
        Effect.try({ try: () => makeStore(openDatabase(dbPath)), catch: (e) => new ReplayError({ message: `cannot open ${dbPath}: ${String(e)}` }) }),
        (s) => Effect.sync(() => s.db.close())
      )
      // oldest first, so --memory sees the rounds in the order the validator did
      const ids =
        select.round !== undefined ? [select.round] : (yield* store.recentEvaluations(select.last ?? 1)).map((e) => e.challenge_id).reverse()
      if (ids.length === 0) return yield* new ReplayError({ message: `no evaluated rounds in ${dbPath}` })
      const rounds = yield* Effect.forEach(ids, (id) => loadStored(store, id))
      yield* scoreAll(
        rounds.map((r) => r.input),
        options,
        (k, result) => {
          const old = new Map((rounds[k]!.old?.miners ?? []).map((m) => [m.uid, m]))
          const miners = result.miners.map((m) => {
            const o = old.get(m.uid)
            const changed = o === undefined || Math.abs(o.reward - m.reward) > 1e-9 || o.filtered !== m.filtered
            return {
              uid: m.uid,
              hotkey: m.hotkey,
              old: o === undefined ? null : { reward: o.reward, filtered: o.filtered },
              new: { reward: m.reward, filtered: m.filtered, axes: m.axes },
              changed
            }
          })
          const changed = miners.filter((m) => m.changed).length
          const consensus = { old: rounds[k]!.old?.consensus ?? null, new: result.consensus }
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ id: result.roundId, miners, consensus, changed })}\n`)
            return
          }
          console.log(`round ${result.roundId}: ${changed} of ${miners.length} miners changed; consensus ${consensus.old?.join(",") ?? "-"} → ${consensus.new.join(",") || "none"}`)
          console.log("      uid  old                      new")
          for (const m of miners) {
            console.log(`${m.changed ? "*" : " "} ${String(m.uid).padStart(7)}  ${fmt(m.old?.reward, m.old?.filtered).padEnd(24)} ${fmt(m.new.reward, m.new.filtered)}`)
          }
        }
      )
    }).pipe(Effect.scoped)
  )
