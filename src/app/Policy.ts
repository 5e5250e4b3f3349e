// Policy of the jobs and actors the app starts (named here, not inline).
export const VALIDATOR_POLICY = {
  /** How often the miner list (metagraph or simulated registry) is read again. */
  minersRefreshMs: { demo: 30_000, live: 120_000 },
  /** Registration events closer than this reconcile once. */
  minerChangeDebounceMs: 500,
  probeIntervalMs: 60_000,
  probeDelayMs: 2_000,
  probeTimeoutMs: 5_000,
  retentionEveryMs: 3_600_000,
  aggregateAskTimeoutMs: 10_000,
  /** How often awaitEvaluated looks at the counter. */
  evaluatedPollMs: 100
} as const
