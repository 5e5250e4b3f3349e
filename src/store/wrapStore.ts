// One way to decorate the store (metrics, the load probe): every method is forwarded as it is, and a tap only
// sees a call's arguments and decorates the Effect the original method built from ALL of them. A tap cannot
// call the store itself, so it cannot drop or reorder an argument, and a method nobody taps (or one added to
// StoreShape later) is passed through untouched.
import type { Effect } from "effect"
import type { StoreShape } from "./Store.ts"

type EffectMethod = (...args: never[]) => Effect.Effect<unknown, unknown>
type MethodKey = { [K in keyof StoreShape]: StoreShape[K] extends EffectMethod ? K : never }[keyof StoreShape]

/** Per method: (the call's arguments, the original call's Effect) → the Effect to run instead (usually `call` piped). */
export type StoreTaps = {
  readonly [K in MethodKey]?: StoreShape[K] extends (...args: infer A) => infer R ? (args: Readonly<A>, call: R) => R : never
}

export const wrapStore = (store: StoreShape, taps: StoreTaps): StoreShape => {
  const out: Record<string, unknown> = { ...store }
  for (const [key, tap] of Object.entries(taps) as unknown as Array<[MethodKey, ((args: unknown[], call: unknown) => unknown) | undefined]>) {
    if (tap === undefined) continue
    const original = store[key] as (...args: unknown[]) => unknown
    out[key] = (...args: unknown[]) => tap(args, original.apply(store, args))
  }
  return out as unknown as StoreShape
}
