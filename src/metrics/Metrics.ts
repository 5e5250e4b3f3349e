// Prometheus metrics of the running validator (prom-client, text exposition format 0.0.4). One registry per
// validator (tests run several in one process). Everything an operator alerts on is here: rounds and answers
// by outcome, stage latencies, mailbox depths, in-flight queries, worker-pool utilisation, chain status
// (connected, best block, blocks since our last weights update, blocks to the activity cutoff), weight
// submissions by outcome, the vtrust estimate, the model, and process RSS / event-loop lag.
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Counter, Gauge, Histogram, Registry } from "prom-client"

/** Pipeline stages timed as histograms (seconds). */
export type Stage = "queue" | "fanout" | "miner" | "embed" | "score" | "store"

/** Gauges read when Prometheus scrapes (callbacks set by the validator once its parts exist). */
export interface MetricSources {
  readonly mailboxes?: () => Promise<Record<string, number>>
  readonly inFlightRounds?: () => number
  readonly poolUtilisation?: () => number
}

const STAGE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export const makeMetrics = () => {
  const registry = new Registry()
  const sources: { current: MetricSources } = { current: {} }
  const r = [registry]

  const rounds = new Counter({ name: "quorum_rounds_total", help: "Rounds by outcome (evaluated, skipped, failed).", labelNames: ["outcome"], registers: r })
  const answers = new Counter({
    name: "quorum_answers_total",
    help: "Miner answers by miner uid and outcome (rewarded, zero, filtered reason, or the transport error).",
    labelNames: ["uid", "outcome"],
    registers: r
  })
  const stage = new Histogram({
    name: "quorum_stage_seconds",
    help: "Latency of pipeline stages: queue (received→running), fanout (running→scoring starts), miner (request→last byte), embed, score, store.",
    labelNames: ["stage"],
    buckets: STAGE_BUCKETS,
    registers: r
  })
  const embeddings = new Counter({ name: "quorum_embeddings_total", help: "Texts embedded (rate() gives embeddings/s).", registers: r })
  const embeddingsPerSecond = new Gauge({ name: "quorum_embeddings_per_second", help: "Embedding throughput of the last embedded round.", registers: r })
  const inFlightQueries = new Gauge({ name: "quorum_inflight_queries", help: "Miner queries waiting for an answer.", registers: r })
  new Gauge({
    name: "quorum_inflight_rounds",
    help: "Rounds between running and evaluated.",
    registers: r,
    collect() {
      this.set(sources.current.inFlightRounds?.() ?? 0)
    }
  })
  new Gauge({
    name: "quorum_mailbox_depth",
    help: "Messages waiting in each actor's mailbox.",
    labelNames: ["actor"],
    registers: r,
    async collect() {
      const depths = (await sources.current.mailboxes?.()) ?? {}
      for (const [actor, n] of Object.entries(depths)) this.set({ actor }, n)
    }
  })
  new Gauge({
    name: "quorum_worker_pool_utilisation",
    help: "Fraction of the embedding worker pool's capacity in use (piscina utilization).",
    registers: r,
    collect() {
      this.set(sources.current.poolUtilisation?.() ?? 0)
    }
  })
  const chainConnected = new Gauge({ name: "quorum_chain_connected", help: "1 when the chain websocket is connected (0 without a chain).", registers: r })
  const bestBlock = new Gauge({ name: "quorum_chain_best_block", help: "Best block number seen.", registers: r })
  const blocksSinceUpdate = new Gauge({ name: "quorum_blocks_since_weights_update", help: "Blocks since our hotkey's last weights update (LastUpdate).", registers: r })
  const blocksToCutoff = new Gauge({ name: "quorum_blocks_to_activity_cutoff", help: "Blocks left before the activity cutoff makes our weights inactive.", registers: r })
  const submissions = new Counter({ name: "quorum_weight_submissions_total", help: "Weight submissions by kind and outcome.", labelNames: ["kind", "outcome"], registers: r })
  const vtrust = new Gauge({ name: "quorum_vtrust_estimate", help: "Our agreement with the stake-weighted clipped consensus (Yuma-style validator trust, 0..1).", registers: r })
  const model = new Gauge({ name: "quorum_model_loaded", help: "1 when the embedding model is loaded.", labelNames: ["model"], registers: r })
  const rss = new Gauge({
    name: "quorum_process_resident_memory_bytes",
    help: "Resident set size of the validator process.",
    registers: r,
    collect() {
      this.set(process.memoryUsage.rss())
    }
  })
  const lag = monitorEventLoopDelay({ resolution: 20 })
  lag.enable()
  new Gauge({
    name: "quorum_event_loop_lag_seconds",
    help: "Event-loop delay since the previous scrape (stat p99 and max, seconds).",
    labelNames: ["stat"],
    registers: r,
    collect() {
      const p99 = lag.percentile(99)
      this.set({ stat: "p99" }, Number.isFinite(p99) ? p99 / 1e9 : 0)
      this.set({ stat: "max" }, Number.isFinite(lag.max) ? lag.max / 1e9 : 0)
      lag.reset()
    }
  })
  void rss

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    setSources: (s: MetricSources) => {
      sources.current = { ...sources.current, ...s }
    },
    stop: () => lag.disable(),
    rounds,
    answers,
    stage,
    embeddings,
    embeddingsPerSecond,
    inFlightQueries,
    chainConnected,
    bestBlock,
    blocksSinceUpdate,
    blocksToCutoff,
    submissions,
    vtrust,
    model,
    observe: (s: Stage, seconds: number) => stage.observe({ stage: s }, Math.max(0, seconds))
  }
}

export type Metrics = ReturnType<typeof makeMetrics>
