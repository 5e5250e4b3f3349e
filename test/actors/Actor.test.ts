import { describe, expect } from "bun:test"
import { Deferred, Effect, Fiber, Ref, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as Actor from "../../actors/internal/Actor.ts"
import { itEffect } from "../support/effect.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", { n: Schema.Number }) {}

type Msg = { readonly _tag: "Add"; readonly n: number } | { readonly _tag: "Get"; readonly reply: Deferred.Deferred<number> } | { readonly _tag: "Fail" } | { readonly _tag: "Die" } | { readonly _tag: "Ignore" }

const counter = Effect.gen(function* () {
  const state = yield* Ref.make(0)
  const ref = yield* Actor.make<Msg, Boom, never>({ name: "counter", capacity: 4, maxRestarts: 3 }, (msg) => {
    switch (msg._tag) {
      case "Add":
        return Ref.update(state, (s) => s + msg.n)
      case "Get":
        return Ref.get(state).pipe(Effect.flatMap((s) => Deferred.succeed(msg.reply, s)), Effect.asVoid)
      case "Fail":
        return Effect.fail(new Boom({ n: 1 }))
      case "Die":
        return Effect.die("kaboom")
      case "Ignore":
        return Effect.void
    }
  })
  return ref
})

describe("Actor", () => {
  itEffect("processes messages in order, one at a time", () =>
    Effect.gen(function* () {
      const ref = yield* counter
      for (let i = 1; i <= 10; i++) yield* ref.tell({ _tag: "Add", n: i })
      const v = yield* Actor.ask(ref, (reply: Deferred.Deferred<number>) => ({ _tag: "Get", reply }) as Msg, 1000)
      expect(v).toBe(55)
    })
  )

  itEffect("a failed message is isolated; a defect restarts the loop and state outside it survives", () =>
    Effect.gen(function* () {
      const ref = yield* counter
      yield* ref.tell({ _tag: "Add", n: 2 })
      yield* ref.tell({ _tag: "Fail" })
      yield* ref.tell({ _tag: "Die" })
      yield* ref.tell({ _tag: "Add", n: 3 })
      const fiber = yield* Effect.forkChild(Actor.ask(ref, (reply: Deferred.Deferred<number>) => ({ _tag: "Get", reply }) as Msg, 10_000))
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("100 millis") // restart backoff
      expect(yield* Fiber.join(fiber)).toBe(5)
    })
  )

  itEffect("ask times out when no reply comes", () =>
    Effect.gen(function* () {
      const ref = yield* counter
      const fiber = yield* Effect.forkChild(
        Effect.flip(Actor.ask(ref, (_reply: Deferred.Deferred<number>) => ({ _tag: "Ignore" }) as Msg, 500))
      )
      yield* TestClock.adjust("600 millis")
      const err = yield* Fiber.join(fiber)
      expect(err._tag).toBe("AskTimeout")
    })
  )

  itEffect("tryTell reports a full mailbox instead of waiting", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const ref = yield* Actor.make<number, never, never>({ name: "slow", capacity: 2 }, () => Deferred.await(gate))
      yield* ref.tell(1) // taken by the loop, blocks on the gate
      yield* Effect.yieldNow
      expect(yield* ref.tryTell(2)).toBe(true)
      expect(yield* ref.tryTell(3)).toBe(true)
      expect(yield* ref.tryTell(4)).toBe(false)
      yield* Deferred.succeed(gate, undefined)
    })
  )

  itEffect("past the restart cap the crash escalates: crashed fails with ActorCrashed and the mailbox closes", () =>
    Effect.gen(function* () {
      const ref = yield* counter
      const watch = yield* Effect.forkChild(Effect.flip(ref.crashed))
      // maxRestarts 3: the fourth defect is one too many
      for (let i = 0; i < 4; i++) {
        yield* ref.tell({ _tag: "Die" }).pipe(Effect.ignore)
        for (let k = 0; k < 20; k++) yield* TestClock.adjust("100 millis")
      }
      const crash = yield* Fiber.join(watch)
      expect(crash._tag).toBe("ActorCrashed")
      expect(crash.actor).toBe("counter")
      const late = yield* Effect.flip(ref.tell({ _tag: "Add", n: 1 }))
      expect(late._tag).toBe("MailboxClosed")
    })
  )

  itEffect("a crash within the cap does not escalate", () =>
    Effect.gen(function* () {
      const ref = yield* counter
      yield* ref.tell({ _tag: "Die" })
      for (let k = 0; k < 20; k++) yield* TestClock.adjust("100 millis")
      yield* ref.tell({ _tag: "Add", n: 4 })
      expect(yield* Actor.ask(ref, (reply: Deferred.Deferred<number>) => ({ _tag: "Get", reply }) as Msg, 1000)).toBe(4)
      const crashed = yield* ref.crashed.pipe(Effect.timeoutOption("1 millis"), Effect.forkChild)
      yield* TestClock.adjust("10 millis")
      expect((yield* Fiber.join(crashed))._tag).toBe("None")
    })
  )
})
