// The chain connection: one ApiPromise over a WsProvider for the layer's lifetime.
// - Start: connect with capped exponential backoff until `connectTimeoutMs`; ChainUnreachable (endpoint,
//   attempts, last socket error, what to do) if the node never answers or the API cannot initialize.
// - Signing: the runtime's extension list is read from its metadata and unknown extensions are declared
//   to the registry (extensions.ts), re-derived when the runtime (metadata) changes.
// - Drops: WsProvider's own fixed-delay auto-connect is off; a supervisor fiber reconnects with capped
//   exponential backoff and logs a structured warning per attempt. The provider re-creates the
//   subscriptions (new heads) and the API re-checks the chain on reconnect.
// - Calls: `use(operation, f)` runs a promise-returning call with a timeout; failures are ChainCallError.
// - Heads: `blocks` is a Stream of new best block numbers (subscribeNewHeads), `lastHead` the latest seen.
import { ApiPromise, WsProvider } from "@polkadot/api"
import type { ProviderInterface } from "@polkadot/rpc-provider/types"
import { Clock, Context, Effect, Fiber, Layer, Option, PubSub, Queue, Schema, type Scope, Stream } from "effect"
import { ChainCallError } from "./ChainErrors.ts"
import { deriveFromMetadata, type ExtDef, type ExtensionPlan } from "./extensions.ts"
import { type EndpointInput, resolveEndpoint } from "./networks.ts"

export class ChainUnreachable extends Schema.TaggedError<ChainUnreachable>()("ChainUnreachable", {
  endpoint: Schema.String,
  attempts: Schema.Number,
  timeoutMs: Schema.Number,
  lastError: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `cannot reach the subtensor node at ${this.endpoint}: ${this.attempts} attempt(s) in ${this.timeoutMs} ms${
      this.lastError !== undefined ? ` (last: ${this.lastError})` : ""
    }. Next: check that the node is running and reachable from here (firewall, TLS, port), and SUBTENSOR_NETWORK / SUBTENSOR_ADDRESS`
  }
}

export interface ConnectionOptions {
  readonly endpoint: string
  /** Give up starting after this long (default 30 s). */
  readonly connectTimeoutMs?: number
  /** Default timeout for `use` (default 30 s). */
  readonly callTimeoutMs?: number
  /** First reconnect delay (default 250 ms); doubles per attempt up to `reconnectMaxMs`. */
  readonly reconnectInitialMs?: number
  /** Reconnect delay cap (default 30 s). */
  readonly reconnectMaxMs?: number
  /** Per-attempt limit for a socket to open (default 10 s). */
  readonly attemptTimeoutMs?: number
  /** WsProvider per-request timeout (default 60 s). */
  readonly rpcTimeoutMs?: number
  /** Declare the runtime's unknown signed extensions (default true). */
  readonly deriveExtensions?: boolean
}

export interface ConnectionShape {
  readonly endpoint: string
  /** The live API (for code that composes its own calls; prefer `use`). */
  readonly api: ApiPromise
  /** Runs `f(api)` with a timeout; any failure (reject, disconnect, timeout) is a ChainCallError. */
  readonly use: <A>(
    operation: string,
    f: (api: ApiPromise) => Promise<A>,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<A, ChainCallError>
  /** The best block number, read from the node now. */
  readonly head: Effect.Effect<number, ChainCallError>
  /** The last best block number seen on the new-heads subscription. */
  readonly lastHead: Effect.Effect<Option.Option<number>>
  readonly isConnected: Effect.Effect<boolean>
  /** Successful reconnections since start. */
  readonly reconnects: Effect.Effect<number>
  /** New best block numbers as they arrive (each subscriber sees blocks from when it subscribes). */
  readonly blocks: Stream.Stream<number>
  /** The signed-extension setup in use. */
  readonly extensions: Effect.Effect<ExtensionPlan | undefined>
}

const describe = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null) {
    const r = e as { message?: unknown; error?: unknown; type?: unknown }
    if (typeof r.message === "string" && r.message.length > 0) return r.message
    if (r.error instanceof Error) return r.error.message
    if (typeof r.type === "string") return `socket ${r.type}`
  }
  return String(e)
}

const backoffMs = (attempt: number, initial: number, max: number): number =>
  Math.min(max, initial * 2 ** Math.max(0, attempt - 1))

type OpenResult = { readonly _tag: "Open" } | { readonly _tag: "Closed"; readonly error: string }

/** One connection attempt: resolves when the socket opens, or with the reason it closed. */
const openOnce = (provider: WsProvider, timeoutMs: number): Effect.Effect<OpenResult> => {
  let lastError = "connection closed"
  return Effect.callback<OpenResult>((resume) => {
    const offs = [
      provider.on("connected", () => resume(Effect.succeed({ _tag: "Open" }))),
      provider.on("error", (e: unknown) => {
        lastError = describe(e)
      }),
      provider.on("disconnected", () => resume(Effect.succeed({ _tag: "Closed", error: lastError })))
    ]
    provider.connect().catch((e: unknown) => resume(Effect.succeed({ _tag: "Closed", error: describe(e) })))
    return Effect.sync(() => offs.forEach((off) => off()))
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeoutMs,
      orElse: () =>
        Effect.promise(() => provider.disconnect().catch(() => undefined)).pipe(
          Effect.as<OpenResult>({ _tag: "Closed", error: `socket did not open within ${timeoutMs} ms` })
        )
    })
  )
}

export class Connection extends Context.Service<Connection, ConnectionShape>()("quorum/chain/Connection") {
  /** Connects at build time (ChainUnreachable if it cannot), disconnects when the scope closes. */
  static readonly layer = (options: ConnectionOptions) => Layer.effect(Connection, make(options))
  /** The endpoint from SUBTENSOR_ADDRESS / SUBTENSOR_NETWORK (networks.ts), then `layer`. */
  static readonly layerResolved = (input: EndpointInput, options: Omit<ConnectionOptions, "endpoint"> = {}) =>
    Layer.unwrap(Effect.map(resolveEndpoint(input), ({ endpoint }) => Connection.layer({ ...options, endpoint })))
}

export const make = Effect.fn("Connection.make")(function*(
  options: ConnectionOptions
): Effect.fn.Return<ConnectionShape, ChainUnreachable, Scope.Scope> {
  const endpoint = options.endpoint
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000
  const callTimeoutMs = options.callTimeoutMs ?? 30_000
  const initialMs = options.reconnectInitialMs ?? 250
  const maxMs = options.reconnectMaxMs ?? 30_000
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000
  const log = Effect.annotateLogs({ service: "Connection", endpoint })
  yield* Effect.logInfo("connecting to the subtensor node", { timeout_s: connectTimeoutMs / 1000 }).pipe(log)
  // a progress line every 5 s until connected (or failed): an unreachable node is not silent for 30 s
  const progress = yield* Effect.forkScoped(
    Effect.logInfo("still connecting").pipe(log, Effect.delay("5 seconds"), Effect.forever)
  )

  const provider = yield* Effect.try({
    try: () => new WsProvider(endpoint, false, {}, options.rpcTimeoutMs ?? 60_000),
    catch: (e) => new ChainUnreachable({ endpoint, attempts: 0, timeoutMs: connectTimeoutMs, lastError: describe(e) })
  })
  let closing = false
  yield* Effect.addFinalizer(() =>
    Effect.promise(() => {
      closing = true
      return provider.disconnect().catch(() => undefined)
    })
  )

  // --- 1. first connection, with backoff, bounded by connectTimeoutMs
  let attempts = 0
  let lastError: string | undefined
  const firstOpen = Effect.gen(function*() {
    while (true) {
      attempts++
      const r = yield* openOnce(provider, Math.min(attemptTimeoutMs, connectTimeoutMs))
      if (r._tag === "Open") return
      lastError = r.error
      yield* Effect.logDebug("connect attempt failed").pipe(Effect.annotateLogs({ attempt: attempts, error: r.error }), log)
      yield* Effect.sleep(backoffMs(attempts, initialMs, maxMs))
    }
  })
  const started = yield* Clock.currentTimeMillis
  yield* firstOpen.pipe(
    Effect.timeoutOrElse({
      duration: connectTimeoutMs,
      orElse: () => Effect.fail(new ChainUnreachable({ endpoint, attempts, timeoutMs: connectTimeoutMs, ...(lastError !== undefined ? { lastError } : {}) }))
    })
  )

  // --- 2. the API (metadata, registry) on the open socket
  const userExtensions: ExtDef = {}
  const api = new ApiPromise({
    provider: provider as unknown as ProviderInterface,
    noInitWarn: true,
    signedExtensions: userExtensions
  })
  yield* Effect.addFinalizer(() => Effect.promise(() => api.disconnect().catch(() => undefined)))
  const remaining = Math.max(1, connectTimeoutMs - ((yield* Clock.currentTimeMillis) - started))
  yield* Effect.tryPromise({
    try: () => api.isReadyOrError,
    catch: (e) =>
      new ChainUnreachable({ endpoint, attempts, timeoutMs: connectTimeoutMs, lastError: `API initialization failed: ${describe(e)}` })
  }).pipe(
    Effect.timeoutOrElse({
      duration: remaining,
      orElse: () =>
        Effect.fail(
          new ChainUnreachable({ endpoint, attempts, timeoutMs: connectTimeoutMs, lastError: "connected, but the API did not initialize (metadata) in time" })
        )
    })
  )

  // --- 3. signed extensions from the runtime's metadata
  let plan: ExtensionPlan | undefined
  let planFor: unknown
  const applyExtensions = Effect.gen(function*() {
    if (options.deriveExtensions === false || planFor === api.runtimeMetadata) return
    const next = deriveFromMetadata(api.runtimeMetadata)
    for (const k of Object.keys(userExtensions)) delete userExtensions[k]
    Object.assign(userExtensions, next.userExtensions)
    api.registry.setSignedExtensions([...api.registry.signedExtensions], { ...userExtensions })
    plan = next
    planFor = api.runtimeMetadata
    yield* Effect.logInfo("signed extensions derived from metadata").pipe(
      Effect.annotateLogs({
        specVersion: api.runtimeVersion.specVersion.toNumber(),
        extensions: next.identifiers.join(","),
        declared: Object.keys(next.userExtensions).join(",")
      }),
      log
    )
    for (const w of next.warnings) yield* Effect.logWarning(w).pipe(log)
  })
  yield* applyExtensions

  // --- 4. new heads → PubSub (the provider re-subscribes after a reconnect)
  const heads = yield* PubSub.sliding<number>({ capacity: 256, replay: 1 })
  yield* Effect.addFinalizer(() => PubSub.shutdown(heads))
  let lastHead: number | undefined
  const headEvents = yield* Queue.unbounded<number>()
  const unsubHeads = yield* Effect.tryPromise({
    try: () =>
      api.rpc.chain.subscribeNewHeads((header) => {
        const n = header.number.toNumber()
        lastHead = n
        Queue.offerUnsafe(headEvents, n)
      }),
    catch: (e) => new ChainUnreachable({ endpoint, attempts, timeoutMs: connectTimeoutMs, lastError: `subscribeNewHeads: ${describe(e)}` })
  })
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      try {
        if (provider.isConnected) unsubHeads()
      } catch {
        // the socket is going away anyway
      }
    })
  )
  yield* Queue.take(headEvents).pipe(
    Effect.tap((n) => PubSub.publish(heads, n)),
    // a runtime upgrade swaps api.runtimeMetadata: re-derive the extensions for the new runtime
    Effect.tap(() => applyExtensions),
    Effect.forever,
    Effect.forkScoped
  )

  // --- 5. reconnect supervisor
  let reconnects = 0
  const drops = yield* Queue.unbounded<void>()
  const offDrop = provider.on("disconnected", () => {
    if (!closing) Queue.offerUnsafe(drops, undefined)
  })
  yield* Effect.addFinalizer(() => Effect.sync(() => offDrop()))
  const reconnect = Effect.gen(function*() {
    yield* Queue.take(drops)
    yield* Queue.clear(drops)
    let attempt = 0
    let error = "socket closed"
    while (!provider.isConnected && !closing) {
      attempt++
      const delay = backoffMs(attempt, initialMs, maxMs)
      yield* Effect.logWarning("chain connection lost; reconnecting").pipe(
        Effect.annotateLogs({ attempt, delayMs: delay, error }),
        log
      )
      yield* Effect.sleep(delay)
      if (provider.isConnected || closing) break
      const r = yield* openOnce(provider, attemptTimeoutMs)
      if (r._tag === "Closed") error = r.error
    }
    yield* Queue.clear(drops)
    if (provider.isConnected && attempt > 0) {
      reconnects++
      yield* Effect.logInfo("chain connection restored").pipe(Effect.annotateLogs({ attempts: attempt, reconnects }), log)
    }
  })
  yield* reconnect.pipe(Effect.forever, Effect.forkScoped)

  // runs first on release: no reconnect attempts while the layer shuts down
  yield* Effect.addFinalizer(() => Effect.sync(() => {
    closing = true
  }))

  yield* Fiber.interrupt(progress)
  yield* Effect.logInfo("connected").pipe(
    Effect.annotateLogs({ attempts, specVersion: api.runtimeVersion.specVersion.toNumber(), chain: api.runtimeChain.toString() }),
    log
  )

  const use = <A>(
    operation: string,
    f: (api: ApiPromise) => Promise<A>,
    callOptions?: { readonly timeoutMs?: number }
  ): Effect.Effect<A, ChainCallError> => {
    const timeoutMs = callOptions?.timeoutMs ?? callTimeoutMs
    return Effect.tryPromise({
      try: () => f(api),
      catch: (cause) => new ChainCallError({ operation, cause })
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.fail(
            new ChainCallError({
              operation,
              cause: new Error(`no answer within ${timeoutMs} ms${provider.isConnected ? "" : " (disconnected)"}`)
            })
          )
      }),
      Effect.withSpan(`Connection.use ${operation}`)
    )
  }

  return Connection.of({
    endpoint,
    api,
    use,
    head: use("chain.getHeader", async (a) => (await a.rpc.chain.getHeader()).number.toNumber()),
    lastHead: Effect.sync(() => Option.fromNullishOr(lastHead)),
    isConnected: Effect.sync(() => provider.isConnected),
    reconnects: Effect.sync(() => reconnects),
    blocks: Stream.fromPubSub(heads),
    extensions: Effect.sync(() => plan)
  })
})
