// The operator's side of the running validator, kept out of Validator.ts: instrumented parts for the actors
// (metrics), then the console (chain status, vtrust, weights history), alerts, the watchdog, the weights safety
// net, the control routes and the Challenge API push listener.
import { Deferred, Effect, Schedule } from "effect"
import type { Scope } from "effect"
import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import * as ChallengeSupervisor from "../../actors/ChallengeSupervisor.ts"
import type { Scored } from "../../actors/ScoringActor.ts"
import type { SubmitFailure, SubmitOutcome } from "../domain/Weights.ts"
import type { Challenge } from "../domain/Challenge.ts"
import type { ChainProbe } from "../chain/ChainProbe.ts"
import type { AppConfigValues } from "../config/AppConfig.ts"
import type { ConsoleRouteDeps } from "../http/Console.ts"
import { type Accepted, serveFiberPush } from "../http/FiberPush.ts"
import type { MinerViewInput } from "../http/minerView.ts"
import { iso } from "../http/minerView.ts"
import type { LastSubmission } from "../http/schemas.ts"
import {
  instrumentEmbed,
  instrumentScore,
  instrumentStore,
  instrumentSubmit,
  instrumentTransport,
  makeRoundTracker,
  recordScored
} from "../metrics/instrument.ts"
import { makeMetrics } from "../metrics/Metrics.ts"
import type { MinerTransport } from "../miners/Transport.ts"
import type { PerformanceState } from "../scoring/performance.ts"
import type { RoundEmbeddings, RoundInput, RoundResult } from "../scoring/types.ts"
import type { StoreShape } from "../store/Store.ts"
import { type AlertKind, makeAlerter } from "./Alerts.ts"
import { makeConsole } from "./Console.ts"
import { runWatchdog, type WatchdogTripped } from "./Watchdog.ts"
import { rememberGood, runSafetyNet, type Weights } from "./WeightsSafetyNet.ts"

type Submit = (weights: Weights) => Effect.Effect<SubmitOutcome, SubmitFailure>

export interface OperatorInput {
  readonly store: StoreShape
  readonly transport: MinerTransport
  readonly embedRound: (round: RoundInput) => Effect.Effect<RoundEmbeddings, { readonly message: string }>
  readonly score: (round: RoundInput, emb: RoundEmbeddings) => Effect.Effect<RoundResult, { readonly message: string }>
  readonly submitWeights: Submit
  readonly now: () => number
  readonly model?: { readonly name: string; readonly utilisation?: () => number }
}

/** Step 1 (before the actors exist): instrumented parts and the metrics registry. */
export const instrumentParts = (i: OperatorInput) => {
  const metrics = makeMetrics()
  const rounds = makeRoundTracker()
  const submittingSince = { at: null as number | null }
  const store = instrumentStore(i.store, metrics, rounds)
  const remember = rememberGood(i.store, i.now)
  const counted = instrumentSubmit(i.submitWeights, metrics)
  const submitWeights: Submit = (weights) =>
    Effect.acquireUseRelease(
      Effect.sync(() => (submittingSince.at = i.now())),
      () => counted(weights).pipe(Effect.tap(() => remember(weights))),
      () => Effect.sync(() => (submittingSince.at = null))
    )
  if (i.model !== undefined) {
    metrics.model.set({ model: i.model.name }, 1)
    if (i.model.utilisation !== undefined) metrics.setSources({ poolUtilisation: i.model.utilisation })
  }
  metrics.setSources({ inFlightRounds: rounds.inFlight })
  return {
    metrics,
    rounds,
    store,
    transport: instrumentTransport(i.transport, metrics),
    embedRound: instrumentEmbed(i.embedRound, metrics, rounds, i.now),
    score: instrumentScore(i.score, metrics),
    submitWeights,
    submittingSince: Effect.sync(() => submittingSince.at)
  }
}
export type Instrumented = ReturnType<typeof instrumentParts>

export interface ConsoleInput {
  readonly config: AppConfigValues
  readonly parts: Instrumented
  readonly chain: ChainProbe | null
  readonly supervisor: ChallengeSupervisor.ChallengeSupervisor
  readonly mailboxes: () => Promise<Record<string, number>>
  readonly results: Effect.Effect<Scored>
  readonly weights: () => Weights
  readonly aggregate: () => ReadonlyMap<number, number | null>
  /** Seed 003's per-miner records as last published (tier, performance in /miners). */
  readonly performance?: () => PerformanceState
  readonly identities: Effect.Effect<MinerViewInput["identities"]>
  readonly setNow: Effect.Effect<unknown, { readonly _tag: string }>
  readonly lastSubmission: Effect.Effect<LastSubmission>
  readonly heatmapDir: string
  readonly name: string
  readonly startedAt: number
  readonly now: () => number
}

const newestHeatmaps = (dir: string, k: number): string[] => {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".svg"))
      .map((f) => ({ id: f.slice(0, -4), t: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t)
      .slice(0, k)
      .map((x) => x.id)
  } catch {
    return []
  }
}

/** Step 2 (after the actors): console loops, alerts, watchdog, safety net, push listener; returns the API extras. */
export const startOperator = (i: ConsoleInput): Effect.Effect<
  {
    readonly routes: ConsoleRouteDeps
    readonly minerView: Effect.Effect<Pick<MinerViewInput, "identities" | "aggregate" | "stakes" | "trust" | "performance">>
    readonly watchdog: Effect.Effect<never, WatchdogTripped>
    readonly running: Effect.Effect<boolean>
    readonly fiberUrl: string | null
  },
  import("../http/Api.ts").HttpServerError,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const { config, parts } = i
    const { metrics } = parts
    metrics.setSources({ mailboxes: i.mailboxes })
    const alerter = makeAlerter({ url: config.ALERT_WEBHOOK_URL, cooldownMs: config.ALERT_COOLDOWN_SECONDS * 1000, name: i.name })
    const alert = (kind: AlertKind, message: string) => alerter.alert(kind, message).pipe(Effect.asVoid)
    const console = yield* makeConsole({
      chain: i.chain,
      metrics,
      now: i.now,
      chainPollMs: config.CHAIN_POLL_SECONDS * 1000,
      vtrustPollMs: config.VTRUST_POLL_SECONDS * 1000,
      weights: i.weights,
      onVtrust: (s, prev) => {
        if (s.value === null) return Effect.void
        if (s.value < config.VTRUST_ALERT_BELOW) return alert("vtrust_drop", `vtrust estimate ${s.value.toFixed(3)} is below ${config.VTRUST_ALERT_BELOW}`)
        if (prev?.value != null && prev.value - s.value > 0.1) return alert("vtrust_drop", `vtrust estimate fell from ${prev.value.toFixed(3)} to ${s.value.toFixed(3)}`)
        return alerter.resolve("vtrust_drop")
      }
    })
    yield* console.start

    // per scored round: metrics, the round clock, the "all miners failing" alert
    yield* Effect.forkScoped(
      Effect.forever(
        i.results.pipe(
          Effect.tap(({ round, result }) =>
            Effect.gen(function* () {
              recordScored(metrics, round, result)
              yield* console.roundScored
              yield* console.sampleWeights
              const failing = round.responses.length > 0 && round.responses.every((r) => r.error !== undefined)
              if (failing) yield* alert("all_miners_failing", `every one of ${round.responses.length} miners failed in round ${round.id}`)
              else yield* alerter.resolve("all_miners_failing")
            })
          )
        )
      )
    )

    // chain alerts: weights not set for N blocks, chain down
    if (i.chain !== null) {
      yield* Effect.forkScoped(
        Effect.gen(function* () {
          const s = yield* console.chain
          if (s === null) return
          if (!s.connected) yield* alert("chain_down", "the chain websocket is disconnected")
          else yield* alerter.resolve("chain_down")
          if (s.blocksSinceUpdate !== null && s.blocksSinceUpdate > config.ALERT_WEIGHTS_BLOCKS)
            yield* alert("weights_not_set", `our weights were last updated ${s.blocksSinceUpdate} blocks ago (cutoff ${s.activityCutoff ?? "?"})`)
          else if (s.blocksSinceUpdate !== null) yield* alerter.resolve("weights_not_set")
        }).pipe(Effect.repeat(Schedule.spaced(`${config.CHAIN_POLL_SECONDS * 1000} millis`)), Effect.delay("5 seconds"))
      )
      yield* Effect.forkScoped(
        runSafetyNet({
          store: i.parts.store,
          status: console.chain,
          lastRoundAt: console.lastRoundAt,
          current: i.weights,
          submit: parts.submitWeights,
          setNow: i.setNow,
          marginBlocks: config.WEIGHTS_SAFETY_MARGIN_BLOCKS,
          freshWindowMs: Math.max(2 * config.WEIGHTS_INTERVAL_SECONDS, 600) * 1000,
          pollMs: config.CHAIN_POLL_SECONDS * 1000,
          retryMs: 60_000,
          now: i.now
        })
      )
    }

    // the watchdog runs as a fiber whose failure the program awaits (→ non-zero exit)
    const tripped = yield* Deferred.make<never, WatchdogTripped>()
    yield* Effect.forkScoped(
      runWatchdog({
        now: i.now,
        startedAt: i.startedAt,
        blockMovedAt: i.chain === null ? null : console.blockMovedAt,
        // paused by the operator: no rounds is expected, not a stall
        lastRoundAt: Effect.gen(function* () {
          return (yield* console.running) ? yield* console.lastRoundAt : i.now()
        }),
        submittingSince: parts.submittingSince,
        reconnect: console.reconnect.pipe(Effect.andThen(console.pollChainNow)),
        alerter,
        noBlockSeconds: config.WATCHDOG_NO_BLOCK_SECONDS,
        noRoundSeconds: config.WATCHDOG_NO_ROUND_MINUTES * 60,
        submitTimeoutSeconds: config.WATCHDOG_SUBMIT_TIMEOUT_SECONDS,
        graceSeconds: config.WATCHDOG_GRACE_SECONDS
      }).pipe(Effect.catch((e) => Deferred.fail(tripped, e)))
    )

    // the Challenge API push: persisted (and deduplicated by the store) before the 201, then run
    const accept = (challenge: Challenge): Effect.Effect<Accepted> =>
      Effect.gen(function* () {
        if (!(yield* console.running)) return { _tag: "Paused" } as const
        const stored = yield* parts.store.putChallenge({ id: challenge.id, source: "api", payload: challenge, now: i.now() }).pipe(
          Effect.as({ _tag: "Accepted" } as const),
          Effect.catchTag("DuplicateChallenge", () => Effect.succeed({ _tag: "Duplicate" } as const)),
          Effect.catchTag("StoreError", (e) => Effect.succeed({ _tag: "Failed", message: e.message } as const))
        )
        if (stored._tag === "Accepted") {
          yield* i.supervisor.ref.tell(new ChallengeSupervisor.Persisted(challenge)).pipe(
            Effect.catch(() => Effect.logWarning("pushed challenge stored but the supervisor is stopped; it resumes at the next start", { challenge: challenge.id }))
          )
          yield* Effect.logInfo("challenge pushed by the Challenge API", { challenge: challenge.id })
        }
        return stored
      })
    let fiberUrl: string | null = null
    if (config.FIBER_PORT !== undefined) {
      const hotkeys = (config.CHALLENGE_API_HOTKEYS ?? "").split(",").map((h) => h.trim()).filter((h) => h.length > 0)
      if (hotkeys.length === 0) yield* Effect.logWarning("FIBER_PORT is set but CHALLENGE_API_HOTKEYS is empty: every key exchange will be refused")
      const served = yield* serveFiberPush({ host: config.FIBER_HOST, port: config.FIBER_PORT, allowedHotkeys: hotkeys, accept })
      fiberUrl = served.url
      yield* Effect.logInfo("Challenge API push listener up", { url: served.url, hotkeys: hotkeys.length })
    }

    const state = Effect.gen(function* () {
      const [running, chain, vtrust, history, lastRoundAt, lastSubmission] = [
        yield* console.running,
        yield* console.chain,
        yield* console.vtrust,
        yield* console.history,
        yield* console.lastRoundAt,
        yield* i.lastSubmission
      ]
      return {
        running,
        has_chain: console.hasChain,
        chain:
          chain === null
            ? null
            : {
                connected: chain.connected,
                best_block: chain.bestBlock,
                last_update: chain.lastUpdate,
                activity_cutoff: chain.activityCutoff,
                blocks_since_update: chain.blocksSinceUpdate,
                blocks_to_cutoff: chain.blocksToCutoff,
                at: iso(chain.at)
              },
        vtrust: vtrust === null ? null : { value: vtrust.value, validators: vtrust.validators, at: iso(vtrust.at) },
        weights_history: history,
        last_round_at: iso(lastRoundAt),
        last_submission: lastSubmission,
        heatmaps: newestHeatmaps(i.heatmapDir, 4)
      }
    })

    return {
      routes: {
        metricsText: () => metrics.text(),
        metricsContentType: metrics.contentType,
        adminToken: config.ADMIN_TOKEN,
        running: console.running,
        setRunning: console.setRunning,
        capacity: config.MAX_CONCURRENT_CHALLENGES,
        inFlight: parts.rounds.inFlight,
        state
      },
      minerView: Effect.gen(function* () {
        const c = yield* console.consensus
        return {
          identities: yield* i.identities,
          aggregate: i.aggregate(),
          ...(i.performance === undefined ? {} : { performance: i.performance() }),
          stakes: yield* console.stakes,
          trust: c?.minerTrust ?? new Map()
        }
      }),
      watchdog: Deferred.await(tripped),
      running: console.running,
      fiberUrl
    }
  })
