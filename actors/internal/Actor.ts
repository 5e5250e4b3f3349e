// A tiny actor: a bounded mailbox (Effect Queue), one receive loop fiber, per-message error isolation,
// and a supervision policy for defects (restart with an intensity cap, then escalate to the parent through
// `crashed`).
import { Cause, Deferred, Effect, Queue, Schedule, Schema } from "effect"
import type { Scope } from "effect"

export class ActorCrashed extends Schema.TaggedError<ActorCrashed>()("ActorCrashed", {
  actor: Schema.String,
  message: Schema.String
}) {}

export class AskTimeout extends Schema.TaggedError<AskTimeout>()("AskTimeout", {
  actor: Schema.String,
  timeoutMs: Schema.Number
}) {}

export class MailboxClosed extends Schema.TaggedError<MailboxClosed>()("MailboxClosed", {
  actor: Schema.String
}) {}

export interface ActorRef<Msg> {
  readonly name: string
  /** Enqueues a message; waits while the mailbox is full (back-pressure). */
  readonly tell: (msg: Msg) => Effect.Effect<void, MailboxClosed>
  /** Enqueues without waiting; false when the mailbox is full (the caller decides what to do). */
  readonly tryTell: (msg: Msg) => Effect.Effect<boolean>
  /** Current mailbox length. */
  readonly size: Effect.Effect<number>
  /**
   * Fails with ActorCrashed once the actor exhausted its restarts (its mailbox is then closed); never
   * succeeds. The parent awaits it: a supervisor drops the child, the app stops on a crashed singleton.
   */
  readonly crashed: Effect.Effect<never, ActorCrashed>
}

export interface ActorOptions {
  readonly name: string
  /** Mailbox capacity (bounded: senders wait when it is full). */
  readonly capacity: number
  /** Restarts allowed after a defect before the crash escalates (OTP max_restarts). */
  readonly maxRestarts?: number
}

/** Restart policy: exponential backoff from 100 ms, capped in count (the intensity). */
export const restartPolicy = (maxRestarts: number) =>
  Schedule.exponential("100 millis").pipe(Schedule.upTo({ times: maxRestarts }))

/**
 * Starts an actor in the current scope. `handle` processes one message at a time (mailbox semantics).
 * A typed failure of one message is logged and the loop continues; a defect restarts the loop (state
 * kept outside the loop survives) up to `maxRestarts` times, then the crash escalates: the mailbox closes
 * (senders get MailboxClosed instead of waiting forever) and `crashed` fails with ActorCrashed.
 */
export const make = <Msg, E, R>(
  options: ActorOptions,
  handle: (msg: Msg) => Effect.Effect<void, E, R>
): Effect.Effect<ActorRef<Msg>, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const mailbox = yield* Queue.bounded<Msg>(options.capacity)
    const one = Queue.take(mailbox).pipe(
      Effect.flatMap((msg) =>
        handle(msg).pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterrupts(cause) && !Cause.hasFails(cause) && !Cause.hasDies(cause)
              ? Effect.failCause(cause)
              : Cause.hasDies(cause)
                ? Effect.die(Cause.squash(cause))
                : Effect.logWarning("message failed", Cause.pretty(cause))
          )
        )
      )
    )
    const loop = Effect.forever(one).pipe(
      Effect.catchDefect((defect) =>
        Effect.logError("actor crashed, restarting", String(defect)).pipe(
          Effect.andThen(Effect.fail(new ActorCrashed({ actor: options.name, message: String(defect) })))
        )
      ),
      Effect.retry(restartPolicy(options.maxRestarts ?? 5)),
      Effect.annotateLogs({ actor: options.name })
    )
    const crashed = yield* Deferred.make<never, ActorCrashed>()
    yield* Effect.forkScoped(
      loop.pipe(
        // a typed failure never ends the loop (it is logged per message); only the crash past the cap does
        Effect.catch((e) =>
          e instanceof ActorCrashed
            ? Effect.logError("actor gave up after its restarts; escalating", { actor: options.name, message: e.message }).pipe(
                Effect.andThen(Queue.shutdown(mailbox)),
                Effect.andThen(Deferred.fail(crashed, e))
              )
            : Effect.void
        )
      )
    )
    yield* Effect.addFinalizer(() => Queue.shutdown(mailbox))
    return {
      name: options.name,
      tell: (msg: Msg) =>
        Queue.offer(mailbox, msg).pipe(
          Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail(new MailboxClosed({ actor: options.name }))))
        ),
      tryTell: (msg: Msg) =>
        Queue.size(mailbox).pipe(
          Effect.flatMap((n) => (n >= options.capacity ? Effect.succeed(false) : Queue.offer(mailbox, msg)))
        ),
      size: Queue.size(mailbox),
      crashed: Deferred.await(crashed)
    }
  })

/** Ask pattern: the message carries a Deferred; the caller waits for it with a timeout. */
export const ask = <Msg, A, E>(
  ref: ActorRef<Msg>,
  build: (reply: Deferred.Deferred<A, E>) => Msg,
  timeoutMs: number
): Effect.Effect<A, E | AskTimeout | MailboxClosed> =>
  Effect.gen(function* () {
    const reply = yield* Deferred.make<A, E>()
    yield* ref.tell(build(reply))
    return yield* Deferred.await(reply).pipe(
      Effect.timeoutOrElse({
        duration: `${timeoutMs} millis`,
        orElse: () => Effect.fail(new AskTimeout({ actor: ref.name, timeoutMs }))
      })
    )
  })
