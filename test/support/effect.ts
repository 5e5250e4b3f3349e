// bun:test helper with it.effect semantics: scoped, TestClock + TestConsole provided.
import { test } from "bun:test"
import { Effect, Layer, type Scope } from "effect"
import { TestClock, TestConsole } from "effect/testing"

const TestEnv = Layer.mergeAll(TestConsole.layer, TestClock.layer())

/** Runs an Effect test with a TestClock (time only moves with TestClock.adjust). */
export const itEffect = <A, E>(name: string, self: () => Effect.Effect<A, E, Scope.Scope>, timeout?: number) =>
  test(name, () => Effect.runPromise(self().pipe(Effect.scoped, Effect.provide(TestEnv))).then(() => undefined), timeout)

/** Runs an Effect test against the real clock (sockets, workers, child processes). */
export const itLive = <A, E>(name: string, self: () => Effect.Effect<A, E, Scope.Scope>, timeout?: number) =>
  test(name, () => Effect.runPromise(self().pipe(Effect.scoped)).then(() => undefined), timeout)
