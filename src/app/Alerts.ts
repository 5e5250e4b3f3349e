// Operator alerts: a webhook POST with a body both Discord (`content`) and Slack (`text`) accept, per-kind
// cooldown so a persisting condition is reported once per period, a timeout on every call, and a log line
// whether or not a webhook is configured. A failing webhook is logged, never fatal.
import { Effect } from "effect"

export type AlertKind = "weights_not_set" | "chain_down" | "all_miners_failing" | "model_missing" | "vtrust_drop" | "watchdog"

export interface AlertOptions {
  readonly url: string | undefined
  /** Minimum time between two alerts of the same kind (ms). */
  readonly cooldownMs: number
  readonly timeoutMs?: number
  readonly now?: () => number
  /** Prefix naming this validator in every message (e.g. hotkey or host). */
  readonly name?: string
}

export interface Alerter {
  /** Sends unless the same kind was sent within the cooldown; true when it was sent (or logged). */
  readonly alert: (kind: AlertKind, message: string) => Effect.Effect<boolean>
  /** Clears a kind's cooldown once its condition is over, so the next occurrence alerts at once. */
  readonly resolve: (kind: AlertKind) => Effect.Effect<void>
  readonly sent: () => number
}

export const makeAlerter = (o: AlertOptions): Alerter => {
  const now = o.now ?? Date.now
  const last = new Map<AlertKind, number>()
  let sent = 0
  const post = (body: string) =>
    Effect.tryPromise({
      try: async (signal) => {
        const res = await fetch(o.url!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 10_000)])
        })
        await res.body?.cancel()
        if (res.status >= 300) throw new Error(`webhook answered ${res.status}`)
      },
      catch: (e) => String(e)
    })
  return {
    sent: () => sent,
    resolve: (kind) => Effect.sync(() => void last.delete(kind)),
    alert: (kind, message) =>
      Effect.gen(function* () {
        const t = now()
        const prev = last.get(kind)
        if (prev !== undefined && t - prev < o.cooldownMs) return false
        last.set(kind, t)
        const text = `${o.name === undefined ? "" : `[${o.name}] `}quorum alert ${kind}: ${message}`
        yield* Effect.logWarning("alert", { kind, message })
        if (o.url === undefined) return true
        yield* post(JSON.stringify({ content: text, text, username: "quorum", kind })).pipe(
          Effect.tap(() => Effect.sync(() => sent++)),
          Effect.catch((e) => Effect.logWarning("alert webhook failed; check ALERT_WEBHOOK_URL", { kind, message: e }))
        )
        return true
      })
  }
}
