// Demo miners that run in another process (`bun run loadtest` starts them with scripts/loadtest/miners.ts):
// the validator reads their list from DEMO_MINERS_FILE instead of starting simulated miners itself. Their
// hotkeys follow from the seed (simMinerUri), so the local chain can register them exactly as it registers
// in-process simulated miners.
import { readFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { BEHAVIOURS } from "../miners/sim/Behaviour.ts"
import { AnswerBoard } from "../miners/sim/Behaviour.ts"
import { simMinerUri, type SimMiners } from "../miners/sim/SimMiners.ts"
import { pairFromUri } from "../miners/Signer.ts"

export const MinersFile = Schema.Struct({
  protocol: Schema.Literals(["dendrite", "fiber"]),
  seed: Schema.Number,
  miners: Schema.Array(
    Schema.Struct({
      uid: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 65535 }))),
      hotkey: Schema.String,
      ip: Schema.String,
      port: Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 65535 }))),
      behaviour: Schema.Literals(BEHAVIOURS)
    })
  )
})
export type MinersFile = typeof MinersFile.Type

export class MinersFileError extends Schema.TaggedError<MinersFileError>()("MinersFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** The external miners as a SimMiners value (stop is a no-op: their process owns them). */
export const externalMiners = (path: string, protocol: "dendrite" | "fiber") =>
  Effect.gen(function* () {
    const file = yield* Effect.try({
      try: () => Schema.decodeUnknownSync(MinersFile)(JSON.parse(readFileSync(path, "utf8"))),
      catch: (e) => new MinersFileError({ path, message: `DEMO_MINERS_FILE ${path} is not a miners list: ${String(e)}` })
    })
    if (file.protocol !== protocol) {
      return yield* new MinersFileError({ path, message: `the miners speak ${file.protocol}, MINER_PROTOCOL is ${protocol}; set MINER_PROTOCOL=${file.protocol}` })
    }
    const miners = yield* Effect.forEach(file.miners, (m) =>
      Effect.promise(() => pairFromUri(simMinerUri(file.seed, m.uid))).pipe(
        Effect.flatMap((keypair) =>
          keypair.address === m.hotkey
            ? Effect.succeed({ uid: m.uid, hotkey: m.hotkey, port: m.port, behaviour: m.behaviour, keypair, target: { uid: m.uid, hotkey: m.hotkey, ip: m.ip, port: m.port } })
            : Effect.fail(new MinersFileError({ path, message: `uid ${m.uid}: hotkey ${m.hotkey} is not the one seed ${file.seed} derives` }))
        )
      )
    )
    const sim: SimMiners = { miners, board: new AnswerBoard(), stop: () => Promise.resolve() }
    return sim
  })
