// Every config key: its decoder, default, what is allowed and what it does (the table AppConfig's one
// Schema, the --help text and the error messages are built from).
import { homedir } from "node:os"
import { join } from "node:path"
import { Schema } from "effect"

const intBetween = (minimum: number, maximum: number) =>
  Schema.NumberFromString.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum, maximum })))
const numBetween = (minimum: number, maximum: number) =>
  Schema.NumberFromString.pipe(Schema.check(Schema.isFinite(), Schema.isBetween({ minimum, maximum })))
const WsUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^wss?:\/\/[^\s/]+(\/\S*)?$/)))
const HttpUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^https?:\/\/[^\s/]+(\/\S*)?$/)))
const NonEmpty = Schema.String.pipe(Schema.check(Schema.isMinLength(1)))

export interface KeySpec {
  readonly schema: Schema.Codec<unknown, string>
  readonly default: string | undefined
  readonly allowed: string
  readonly doc: string
  readonly secret?: boolean
}

const spec = <S extends Schema.Codec<unknown, string>, const D extends string | undefined>(
  schema: S,
  def: D,
  allowed: string,
  doc: string,
  secret = false
) => ({ schema, default: def, allowed, doc, secret }) as const

/** Every key, its decoder, default, what is allowed and what it does. */
export const ConfigKeys = {
  QUORUM_MODE: spec(Schema.Literals(["demo", "live"]), "demo", "demo | live", "demo: local chain + simulated miners; live: the configured chain and real miners"),
  NETUID: spec(intBetween(0, 65535), "21", "an integer 0..65535", "subnet id"),
  SUBTENSOR_NETWORK: spec(Schema.Literals(["finney", "test", "local"]), "finney", "finney | test | local", "named network (--subtensor.network, BT_SUBTENSOR_NETWORK)"),
  SUBTENSOR_ADDRESS: spec(WsUrl, undefined, "a ws:// or wss:// URL", "overrides SUBTENSOR_NETWORK's endpoint (--subtensor.chain_endpoint, BT_SUBTENSOR_CHAIN_ENDPOINT)"),
  WALLET_NAME: spec(NonEmpty, "default", "a non-empty name", "btcli wallet name (--wallet.name, BT_WALLET_NAME)"),
  HOTKEY_NAME: spec(NonEmpty, "default", "a non-empty name", "btcli hotkey name (--wallet.hotkey, BT_WALLET_HOTKEY)"),
  WALLET_PATH: spec(NonEmpty, join(homedir(), ".bittensor", "wallets"), "a directory path", "btcli wallets root (--wallet.path, BT_WALLET_PATH)"),
  MIN_MINERS: spec(intBetween(1, 1024), "3", "an integer 1..1024", "a round needs at least this many answering miners"),
  MAX_MINERS: spec(intBetween(1, 1024), "10", "an integer 1..1024", "miners queried per challenge"),
  MIN_STAKE_THRESHOLD: spec(numBetween(0, 1e12), "100", "a number ≥ 0 (TAO)", "stake above which a neuron counts as a validator"),
  CHALLENGE_INTERVAL_SECONDS: spec(numBetween(0.1, 86400), "300", "seconds 0.1..86400", "synthetic challenge period"),
  CHALLENGE_TIMEOUT_SECONDS: spec(numBetween(0.1, 600), "120", "seconds 0.1..600", "deadline for miner answers"),
  EVALUATION_TIMEOUT_SECONDS: spec(numBetween(1, 3600), "300", "seconds 1..3600", "deadline for embedding + scoring a round"),
  MAX_CONCURRENT_CHALLENGES: spec(intBetween(1, 256), "15", "an integer 1..256", "challenges in flight at once"),
  WEIGHTS_INTERVAL_SECONDS: spec(numBetween(1, 86400), "1800", "seconds 1..86400", "how often weights are set"),
  WEIGHTS_COMMIT_MODE: spec(
    Schema.Literals(["auto", "set", "hash", "timelock"]),
    "auto",
    "auto | set | hash | timelock",
    "auto: set_weights when commit-reveal is off, else timelocked commit (or hash commit on runtimes without it)"
  ),
  WEIGHTS_VERSION_KEY: spec(intBetween(0, Number.MAX_SAFE_INTEGER), undefined, "an integer ≥ 0", "version key sent with weights (default: the subnet's WeightsVersionKey)"),
  DB_PATH: spec(NonEmpty, "validator.db", "a file path", "SQLite database (WAL); the demo uses .quorum/demo.db, fresh on every run, unless DB_PATH is given"),
  DB_SYNCHRONOUS: spec(
    Schema.Literals(["auto", "FULL", "NORMAL", "EXTRA", "OFF"]),
    "auto",
    "auto | FULL | NORMAL | EXTRA | OFF",
    "SQLite synchronous under WAL; auto: FULL in live mode (no commit lost on power loss), NORMAL in demo"
  ),
  REPLY_MAX_TEXT_CHARS: spec(intBetween(1, 16_000_000), "200000", "an integer 1..16000000", "miner reply cap: response_text characters (over it: ReplyRejected stored instead)"),
  REPLY_MAX_FINISH_REASON_CHARS: spec(intBetween(1, 4096), "64", "an integer 1..4096", "miner reply cap: finish_reason characters"),
  REPLY_MAX_TOOL_CALLS: spec(intBetween(0, 1024), "16", "an integer 0..1024", "miner reply cap: number of tool calls"),
  REPLY_MAX_TOOL_NAME_CHARS: spec(intBetween(1, 4096), "128", "an integer 1..4096", "miner reply cap: tool call name (and id) characters"),
  REPLY_MAX_TOOL_ARGS_CHARS: spec(intBetween(1, 4_000_000), "32768", "an integer 1..4000000", "miner reply cap: tool call arguments characters"),
  REPLY_MAX_TOKENS: spec(intBetween(1, Number.MAX_SAFE_INTEGER), "10000000", "an integer ≥ 1", "miner reply sanity: each usage token count must be an integer 0..this"),
  SHUTDOWN_GRACE_SECONDS: spec(numBetween(0, 600), "15", "seconds 0..600", "on SIGTERM/SIGINT: how long running rounds may finish before they are closed"),
  CHALLENGE_API_URL: spec(HttpUrl, undefined, "an http(s) URL", "Challenge API base URL (none: synthetic challenges only)"),
  CHALLENGE_API_KEY: spec(Schema.String, undefined, "a string", "Challenge API key", true),
  CHALLENGE_API_HOTKEY: spec(NonEmpty, undefined, "an ss58 address", "the Challenge API's hotkey: when set, every API answer must be signed by it"),
  API_HOST: spec(NonEmpty, "127.0.0.1", "a host or IP", "HTTP API bind address"),
  API_PORT: spec(intBetween(0, 65535), "8000", "a port 0..65535", "HTTP API port (0 = any free port)"),
  LOG_LEVEL: spec(
    Schema.Literals(["TRACE", "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "FATAL", "NONE"]),
    "INFO",
    "TRACE | DEBUG | INFO | WARNING | ERROR | FATAL | NONE",
    "minimum log level"
  ),
  LOG_FORMAT: spec(Schema.Literals(["logfmt", "json", "pretty"]), "logfmt", "logfmt | json | pretty", "log line format"),
  MINER_PROTOCOL: spec(Schema.Literals(["dendrite", "fiber"]), "fiber", "dendrite | fiber", "how miners are queried"),
  FIBER_REQUIRE_AUTH: spec(
    Schema.Literals(["true", "false"]),
    "false",
    "true | false",
    "Fiber: refuse miners without the authenticated key exchange (miner key signed by its hotkey); false: plain Loosh miners are used, logged as unauthenticated"
  ),
  MODEL_PATH: spec(NonEmpty, undefined, "a model directory", "explicit embedding model dir (model.onnx + tokenizer.json + config)"),
  MODEL_REPO: spec(NonEmpty, "sentence-transformers/all-MiniLM-L6-v2", "a hub repo id", "model downloaded when none is found locally"),
  MODEL_CACHE_DIR: spec(NonEmpty, undefined, "a directory path", "model cache (default <repo>/.cache/models)"),
  EMBED_POOL_SIZE: spec(intBetween(1, 64), undefined, "an integer 1..64", "embedding worker threads (default: one per core)"),
  EMBED_INTRA_OP_THREADS: spec(intBetween(1, 64), undefined, "an integer 1..64", "onnxruntime threads per worker (default: the cores left per worker, at least 1)"),
  WORKER_NICE: spec(intBetween(0, 19), "10", "an integer 0..19", "nice value of the CPU-heavy worker threads (embedding, round scorer) on Linux, so the event loop that times miner replies wins the CPU; 0 leaves them (use 0 on a machine shared with other CPU-heavy processes: they would starve the workers)"),
  WORKER_GC_SECONDS: spec(intBetween(0, 86400), "30", "an integer 0..86400 (seconds)", "a worker thread (embedding, round scorer) runs a full garbage collection of its own heap after a task once this long has passed since its last one (a 5–40 ms pause of that thread only); JSC alone let the round scorer's heap grow to ~3× what it keeps, and RSS with it; 0 leaves it to JSC"),
  MEMORY_SAVE_SECONDS: spec(intBetween(0, 86400), "60", "an integer 0..86400 (seconds)", "how often the scoring memory (earlier answers, each hotkey's copy record) is saved to DB_PATH, besides at shutdown, and restored at start, so a restart does not forget who copies; a crash loses at most this much of it; 0 neither saves nor restores"),
  EMBED_QUANTIZED: spec(Schema.Literals(["true", "false"]), undefined, "true | false", "run the model folder's int8 graph (model_quantized.onnx) when it has one (default true)"),
  EMBED_MAX_WINDOWS: spec(intBetween(0, 1000), undefined, "an integer 0..1000", "most model windows embedded per text, spread evenly over a long text; 0 = all (default 2)"),
  EMBED_DEVICE: spec(Schema.Literals(["auto", "cpu", "cuda"]), "auto", "auto | cpu | cuda", "onnxruntime execution provider (auto: CUDA when the installed runtime offers it, else CPU)"),
  EMBED_BACKEND: spec(Schema.Literals(["local", "openai"]), "local", "local | openai", "local: the worker pool; openai: an OpenAI-compatible /v1/embeddings server (TEI, vLLM, Infinity, bun run embed-server)"),
  EMBED_API_URL: spec(HttpUrl, undefined, "an http(s) URL", "base URL of the embeddings API, e.g. http://host:8081/v1 (EMBED_BACKEND=openai)"),
  EMBED_API_MODEL: spec(NonEmpty, undefined, "a model name", "model name sent to the embeddings API (EMBED_BACKEND=openai)"),
  EMBED_API_KEY: spec(Schema.String, undefined, "a string", "bearer token for the embeddings API", true),
  EMBED_API_BATCH: spec(intBetween(1, 2048), "64", "an integer 1..2048", "texts per embeddings API request"),
  EMBED_API_TIMEOUT_SECONDS: spec(numBetween(0.1, 600), "30", "seconds 0.1..600", "timeout of each embeddings API request (3 retries on 429/5xx/network errors)"),
  SCORING_CONFIG: spec(NonEmpty, undefined, "a file path", "versioned scoring config (default: the shipped config/scoring.v2.json)"),
  AGGREGATION: spec(
    Schema.Literals(["ema", "tournament", "cumulative", "blend"]),
    undefined,
    "ema | tournament | cumulative | blend",
    "how round rewards become weights (overrides policies.aggregation.kind of the scoring config; default there: ema)"
  ),
  SELECTION: spec(
    Schema.Literals(["availability", "groups", "performance"]),
    undefined,
    "availability | groups | performance",
    "which miners a round asks (overrides policies.selection.kind of the scoring config; default there: availability)"
  ),
  EMA_ALPHA: spec(numBetween(0, 1), "0.3", "a number 0..1", "EMA step toward a round reward"),
  EMA_DECAY: spec(numBetween(0, 1), "0.02", "a number 0..1", "per-round decay of miners not seen"),
  TOURNAMENT_GROUP_SIZE: spec(intBetween(2, 256), "25", "an integer 2..256", "group size of the tournament ranking"),
  HEATMAP_DIR: spec(NonEmpty, "heatmaps", "a directory path", "where heatmap PNG/SVG files are written"),
  RETENTION_HOURS: spec(numBetween(1, 24 * 365), "48", "hours ≥ 1", "how long rounds are kept in the database"),
  DEMO_MIX: spec(
    Schema.String.pipe(Schema.check(Schema.isPattern(/^\s*[a-z-]+=[0-9.]+(\s*,\s*[a-z-]+=[0-9.]+)*\s*$/))),
    "honest=0.5,copycat=0.125,fast-junk=0.125,slow=0.125,offline=0.125",
    "behaviour=share,... (honest, fast-junk, copycat, slow, flaky, malformed, offline)",
    "behaviour mix of the simulated miners in demo mode"
  ),
  DEMO_SEED: spec(intBetween(0, 2 ** 31 - 1), "7", "an integer ≥ 0", "seed of the simulated miners and synthetic challenges"),
  DEMO_CHAIN: spec(Schema.Literals(["auto", "off"]), "auto", "auto | off", "demo: run the local subtensor (chopsticks) when its fixture exists"),
  DEMO_MINERS: spec(intBetween(1, 256), "8", "an integer 1..256", "simulated miners in demo mode"),
  DEMO_MINERS_FILE: spec(NonEmpty, undefined, "a file path", "demo: query the miners listed in this file (run by another process, e.g. bun run loadtest) instead of starting them"),
  DEMO_CORPUS_FILE: spec(NonEmpty, undefined, "a file path", "demo: synthetic challenges from this corpus file (data/corpus.json's format) instead of the shipped one"),
  LOAD_PROBE_FILE: spec(NonEmpty, undefined, "a file path", "write stage timings, RSS and event-loop lag as JSON lines here (bun run loadtest reads them)"),
  DEMO_ROUNDS: spec(intBetween(0, 1_000_000), "0", "an integer ≥ 0 (0 = run until stopped)", "rounds before the demo exits"),
  // operator console: control, Challenge API push, alerts, watchdog, weights safety net
  ADMIN_TOKEN: spec(Schema.String.pipe(Schema.check(Schema.isMinLength(16))), undefined, "a string of ≥ 16 characters", "bearer token of the admin routes (POST /set_running); unset = admin routes disabled", true),
  FIBER_HOST: spec(NonEmpty, "127.0.0.1", "a host or IP", "bind address of the Challenge API push listener (0.0.0.0 to expose it)"),
  FIBER_PORT: spec(intBetween(0, 65535), undefined, "a port 0..65535", "Challenge API push listener (/fiber/*); unset = no push listener"),
  CHALLENGE_API_HOTKEYS: spec(
    Schema.String.pipe(Schema.check(Schema.isPattern(/^\s*[1-9A-HJ-NP-Za-km-z]{40,60}(\s*,\s*[1-9A-HJ-NP-Za-km-z]{40,60})*\s*$/))),
    undefined,
    "comma-separated ss58 hotkeys",
    "hotkeys allowed to push challenges (key exchange)"
  ),
  ALERT_WEBHOOK_URL: spec(HttpUrl, undefined, "an http(s) URL", "Discord/Slack-compatible webhook for alerts", true),
  ALERT_COOLDOWN_SECONDS: spec(numBetween(1, 86400), "900", "seconds 1..86400", "minimum time between two alerts of one kind"),
  ALERT_WEIGHTS_BLOCKS: spec(intBetween(1, 1_000_000), "1000", "blocks ≥ 1", "alert when our weights were not updated for this many blocks"),
  VTRUST_ALERT_BELOW: spec(numBetween(0, 1), "0.5", "a number 0..1", "alert when the vtrust estimate falls below this (or drops by 0.1 between polls)"),
  VTRUST_POLL_SECONDS: spec(numBetween(5, 86400), "300", "seconds 5..86400", "how often the vtrust estimate is computed from chain weights"),
  CHAIN_POLL_SECONDS: spec(numBetween(1, 3600), "12", "seconds 1..3600", "how often block, last update and the activity cutoff are read"),
  WATCHDOG_NO_BLOCK_SECONDS: spec(numBetween(5, 86400), "120", "seconds 5..86400", "no new block for this long: reconnect, then exit non-zero"),
  WATCHDOG_NO_ROUND_MINUTES: spec(numBetween(0, 10080), "30", "minutes (0 = off)", "no scored round for this long: reconnect, then exit non-zero"),
  WATCHDOG_SUBMIT_TIMEOUT_SECONDS: spec(numBetween(10, 86400), "600", "seconds 10..86400", "a weight submission in flight longer than this counts as stuck"),
  WATCHDOG_GRACE_SECONDS: spec(numBetween(1, 86400), "120", "seconds 1..86400", "time to recover after the reconnect before exiting"),
  WEIGHTS_SAFETY_MARGIN_BLOCKS: spec(intBetween(1, 1_000_000), "500", "blocks ≥ 1", "re-submit the last good weights when fewer blocks remain to the activity cutoff")
} as const satisfies Record<string, KeySpec>

export type ConfigKey = keyof typeof ConfigKeys
