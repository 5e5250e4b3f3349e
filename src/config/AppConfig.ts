// All configuration, decoded by ONE Effect Schema from (highest first) CLI flags, environment, a .env file,
// and defaults. A bad value fails at start with a message naming the key, the value and what is allowed.
// Names follow the reference validator where it has them (NETUID, SUBTENSOR_NETWORK, ...); the Python
// bittensor SDK's flags (--wallet.name, --subtensor.network, --logging.debug, ...) and BT_* variables are
// accepted beside them (see BTCLI_FLAGS / BT_ENV). Every bad key is reported at once.
import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { join, resolve } from "node:path"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { insecureUrlProblem } from "../challenges/ChallengeApiAuth.ts"

const intBetween = (minimum: number, maximum: number) =>
  Schema.NumberFromString.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum, maximum })))
const numBetween = (minimum: number, maximum: number) =>
  Schema.NumberFromString.pipe(Schema.check(Schema.isFinite(), Schema.isBetween({ minimum, maximum })))
const WsUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^wss?:\/\/[^\s/]+(\/\S*)?$/)))
const HttpUrl = Schema.String.pipe(Schema.check(Schema.isPattern(/^https?:\/\/[^\s/]+(\/\S*)?$/)))
const NonEmpty = Schema.String.pipe(Schema.check(Schema.isMinLength(1)))

interface KeySpec {
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

/** The one schema for all config (string inputs → typed values). */
export const AppConfigSchema = Schema.Struct(
  Object.fromEntries(
    Object.entries(ConfigKeys).map(([k, s]) => [k, s.default === undefined ? Schema.optionalKey(s.schema) : s.schema])
  ) as { [K in ConfigKey]: (typeof ConfigKeys)[K]["default"] extends string ? (typeof ConfigKeys)[K]["schema"] : Schema.optionalKey<(typeof ConfigKeys)[K]["schema"]> }
)

type Decoded = typeof AppConfigSchema.Type
export type AppConfigValues = Omit<Decoded, "CHALLENGE_API_KEY" | "EMBED_API_KEY" | "ADMIN_TOKEN" | "LOG_LEVEL"> & {
  readonly CHALLENGE_API_KEY: Redacted.Redacted<string> | undefined
  readonly EMBED_API_KEY: Redacted.Redacted<string> | undefined
  readonly ADMIN_TOKEN: Redacted.Redacted<string> | undefined
  readonly LOG_LEVEL: "Trace" | "Debug" | "Info" | "Warn" | "Error" | "Fatal" | "None"
  /** Where each key's value came from. */
  readonly sources: Readonly<Record<ConfigKey, "cli" | "env" | "dotenv" | "default" | "unset">>
}

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  key: Schema.String,
  value: Schema.String,
  source: Schema.String,
  allowed: Schema.String,
  message: Schema.String,
  /** Every problem found (the fields above describe the first). */
  problems: Schema.optional(Schema.Array(Schema.String))
}) {}

/** Parses `.env` text: KEY=VALUE lines, `#` comments, optional quotes, `export ` prefix. */
export const parseDotEnv = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (m === null) continue
    let v = m[2] ?? ""
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) {
      v = v.slice(1, -1)
    } else {
      const hash = v.indexOf(" #")
      if (hash >= 0) v = v.slice(0, hash).trimEnd()
    }
    out[m[1] as string] = v
  }
  return out
}

/** The Python SDK's (btcli's) flag names for our keys. */
export const BTCLI_FLAGS: Readonly<Record<string, ConfigKey>> = {
  "subtensor.network": "SUBTENSOR_NETWORK",
  "subtensor.chain_endpoint": "SUBTENSOR_ADDRESS",
  "wallet.name": "WALLET_NAME",
  "wallet.hotkey": "HOTKEY_NAME",
  "wallet.path": "WALLET_PATH"
}
/** The SDK's switches: `--logging.debug` is LOG_LEVEL=DEBUG (they take no value). */
export const SWITCHES: Readonly<Record<string, readonly [ConfigKey, string]>> = {
  "logging.trace": ["LOG_LEVEL", "TRACE"],
  "logging.debug": ["LOG_LEVEL", "DEBUG"],
  "logging.info": ["LOG_LEVEL", "INFO"]
}
/** The SDK's environment variables, read when our own name is not set. */
export const BT_ENV: Readonly<Record<string, ConfigKey>> = {
  BT_SUBTENSOR_NETWORK: "SUBTENSOR_NETWORK",
  BT_SUBTENSOR_CHAIN_ENDPOINT: "SUBTENSOR_ADDRESS",
  BT_WALLET_NAME: "WALLET_NAME",
  BT_WALLET_HOTKEY: "HOTKEY_NAME",
  BT_WALLET_PATH: "WALLET_PATH"
}

const kebab = (key: string) => key.toLowerCase().replaceAll("_", "-")

/** Every flag spelling we accept, for suggestions. */
const knownFlagNames = (): Array<string> => [...Object.keys(ConfigKeys).map(kebab), ...Object.keys(BTCLI_FLAGS), ...Object.keys(SWITCHES)]

const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return row[b.length] as number
}

/** The closest known flag to `flag` (e.g. `--netuidd` → `--netuid`), when it is close enough to be a typo. */
export const suggestFlag = (flag: string): string | undefined => {
  const name = flag.replace(/^--/, "").split("=")[0]?.toLowerCase().replaceAll("_", "-") ?? ""
  let best: { name: string; d: number } | undefined
  for (const known of knownFlagNames()) {
    const d = editDistance(name, known.replaceAll("_", "-"))
    if (best === undefined || d < best.d) best = { name: known, d }
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 4)) ? `--${best.name}` : undefined
}

/** A flag problem found while parsing argv. */
export interface FlagProblem {
  readonly flag: string
  readonly reason: "unknown" | "missing-value"
}

/**
 * Parses `--netuid 5`, `--netuid=5`, `--NETUID=5`, `--challenge-timeout-seconds 30`, btcli's
 * `--wallet.name x` / `--subtensor.chain_endpoint ws://…` and switches (`--logging.debug`). A flag that
 * needs a value and has none (`--netuid` at the end, or followed by another flag) is a problem, not "true".
 */
export const parseCliFlags = (
  argv: ReadonlyArray<string>
): { flags: Record<string, string>; unknown: string[]; missingValue: string[]; rest: string[] } => {
  const flags: Record<string, string> = {}
  const unknown: string[] = []
  const missingValue: string[] = []
  const rest: string[] = []
  const keys = new Set<string>(Object.keys(ConfigKeys))
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (!a.startsWith("--")) {
      rest.push(a)
      continue
    }
    const eq = a.indexOf("=")
    const raw = eq >= 0 ? a.slice(2, eq) : a.slice(2)
    const switched = SWITCHES[raw.toLowerCase()]
    if (switched !== undefined && eq < 0) {
      flags[switched[0]] = switched[1]
      continue
    }
    const name = BTCLI_FLAGS[raw.toLowerCase()] ?? raw.replaceAll("-", "_").toUpperCase()
    if (!keys.has(name)) {
      unknown.push(a)
      continue
    }
    if (eq >= 0) flags[name] = a.slice(eq + 1)
    else {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith("--")) {
        flags[name] = next
        i++
      } else missingValue.push(a)
    }
  }
  return { flags, unknown, missingValue, rest }
}

export interface ConfigSources {
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
  /** Contents of the .env file, if any. */
  readonly dotenv?: string
}

const logLevelOf = (s: string): AppConfigValues["LOG_LEVEL"] => {
  switch (s) {
    case "TRACE":
      return "Trace"
    case "DEBUG":
      return "Debug"
    case "WARNING":
    case "WARN":
      return "Warn"
    case "ERROR":
      return "Error"
    case "FATAL":
      return "Fatal"
    case "NONE":
      return "None"
    default:
      return "Info"
  }
}

const standard = Schema.toStandardSchemaV1(AppConfigSchema)

const issueKey = (issue: { readonly path?: ReadonlyArray<unknown> | undefined } | undefined) => String(issue?.path?.[0] ?? "?")

/** Decodes all config from its sources; bad keys fail with one ConfigError listing every problem. */
export const decodeConfig = (sources: ConfigSources): Effect.Effect<AppConfigValues, ConfigError> =>
  Effect.gen(function* () {
    const { flags, unknown, missingValue } = parseCliFlags(sources.argv)
    const problems: Array<ConfigProblem> = []
    for (const flag of unknown) {
      const hint = suggestFlag(flag)
      problems.push({ key: flag, value: "", source: "cli", allowed: "a known flag", reason: `unknown flag ${flag}${hint === undefined ? "" : ` (did you mean ${hint}?)`}` })
    }
    for (const flag of missingValue) problems.push({ key: flag, value: "", source: "cli", allowed: "a value", reason: `${flag} needs a value (${flag} <value> or ${flag}=<value>)` })
    const dot = sources.dotenv === undefined ? {} : parseDotEnv(sources.dotenv)
    const btEnv: Record<string, string> = {}
    for (const [bt, key] of Object.entries(BT_ENV)) {
      const v = sources.env[bt]
      if (v !== undefined && v !== "" && btEnv[key] === undefined) btEnv[key] = v
    }
    const input: Record<string, string> = {}
    const origin: Record<string, "cli" | "env" | "dotenv" | "default" | "unset"> = {}
    for (const [key, s] of Object.entries(ConfigKeys) as Array<[ConfigKey, KeySpec]>) {
      const fromCli = flags[key]
      const fromEnv = sources.env[key] !== undefined && sources.env[key] !== "" ? sources.env[key] : btEnv[key]
      const fromDot = dot[key]
      const [value, src] =
        fromCli !== undefined
          ? [fromCli, "cli" as const]
          : fromEnv !== undefined && fromEnv !== ""
            ? [fromEnv, "env" as const]
            : fromDot !== undefined && fromDot !== ""
              ? [fromDot, "dotenv" as const]
              : [s.default, s.default === undefined ? ("unset" as const) : ("default" as const)]
      origin[key] = src
      if (value !== undefined) input[key] = key === "LOG_LEVEL" ? value.toUpperCase() : value
    }
    // each key on its own, so every bad value is reported, not only the first
    for (const [key, s] of Object.entries(ConfigKeys) as Array<[ConfigKey, KeySpec]>) {
      const value = input[key]
      if (value === undefined) continue
      const r = yield* Effect.promise(async () => Schema.toStandardSchemaV1(s.schema)["~standard"].validate(value))
      if (r.issues !== undefined) {
        const shown = s.secret === true ? "<redacted>" : value
        problems.push({ key, value: shown, source: origin[key] ?? "?", allowed: s.allowed, reason: `${key}=${JSON.stringify(shown)} (from ${origin[key] ?? "?"}): ${r.issues[0]?.message ?? "invalid"}; allowed: ${s.allowed}` })
      }
    }
    if (problems.length > 0) return yield* configErrorOf(problems)
    const result = yield* Effect.promise(async () => standard["~standard"].validate(input))
    if (result.issues !== undefined) {
      const key = issueKey(result.issues[0])
      return yield* configErrorOf([{ key, value: input[key] ?? "", source: origin[key] ?? "?", allowed: "?", reason: `${key}: ${result.issues[0]?.message ?? "invalid"}` }])
    }
    const v = result.value as Decoded
    const cross = crossCheck(v)
    if (cross !== null) return yield* cross
    return {
      ...v,
      CHALLENGE_API_KEY: v.CHALLENGE_API_KEY === undefined ? undefined : Redacted.make(v.CHALLENGE_API_KEY),
      EMBED_API_KEY: v.EMBED_API_KEY === undefined ? undefined : Redacted.make(v.EMBED_API_KEY),
      ADMIN_TOKEN: v.ADMIN_TOKEN === undefined ? undefined : Redacted.make(v.ADMIN_TOKEN),
      LOG_LEVEL: logLevelOf(v.LOG_LEVEL),
      sources: origin as AppConfigValues["sources"]
    }
  })

/** One bad key or flag. */
export interface ConfigProblem {
  readonly key: string
  readonly value: string
  readonly source: string
  readonly allowed: string
  readonly reason: string
}

/** One error for all problems: the first one's fields, a message listing every one. */
const configErrorOf = (problems: ReadonlyArray<ConfigProblem>): ConfigError => {
  const first = problems[0] as ConfigProblem
  const message =
    problems.length === 1
      ? `Invalid config: ${first.reason}.`
      : `${problems.length} config problems:\n${problems.map((p) => `  - ${p.reason}`).join("\n")}`
  return new ConfigError({
    key: first.key,
    value: first.value,
    source: first.source,
    allowed: first.reason.startsWith("unknown flag") ? knownFlagNames().map((f) => `--${f}`).join(", ") : first.allowed,
    message,
    problems: problems.map((p) => p.reason)
  })
}

const crossCheck = (v: Decoded): ConfigError | null => {
  const insecure = v.CHALLENGE_API_URL === undefined ? undefined : insecureUrlProblem(v.CHALLENGE_API_URL)
  if (insecure !== undefined) {
    return new ConfigError({
      key: "CHALLENGE_API_URL",
      value: v.CHALLENGE_API_URL ?? "",
      source: "",
      allowed: "an https:// URL (http:// only for 127.0.0.1 / localhost / ::1)",
      message: `Invalid config CHALLENGE_API_URL=${JSON.stringify(v.CHALLENGE_API_URL)}: ${insecure}.`
    })
  }
  if (v.MIN_MINERS > v.MAX_MINERS) {
    return new ConfigError({
      key: "MIN_MINERS",
      value: String(v.MIN_MINERS),
      source: "",
      allowed: `≤ MAX_MINERS (${v.MAX_MINERS})`,
      message: `Invalid config MIN_MINERS=${v.MIN_MINERS}: must not exceed MAX_MINERS=${v.MAX_MINERS}; lower MIN_MINERS or raise MAX_MINERS.`
    })
  }
  if (v.EMBED_BACKEND === "openai" && (v.EMBED_API_URL === undefined || v.EMBED_API_MODEL === undefined)) {
    const key = v.EMBED_API_URL === undefined ? "EMBED_API_URL" : "EMBED_API_MODEL"
    return new ConfigError({
      key,
      value: "",
      source: "",
      allowed: ConfigKeys[key].allowed,
      message: `EMBED_BACKEND=openai needs EMBED_API_URL and EMBED_API_MODEL; set ${key} (e.g. http://127.0.0.1:8081/v1 from bun run embed-server).`
    })
  }
  return null
}

/** The SQLite synchronous level the config asks for (auto: FULL live, NORMAL demo). */
export const dbSynchronous = (c: Pick<AppConfigValues, "DB_SYNCHRONOUS" | "QUORUM_MODE">): "FULL" | "NORMAL" | "EXTRA" | "OFF" =>
  c.DB_SYNCHRONOUS !== "auto" ? c.DB_SYNCHRONOUS : c.QUORUM_MODE === "live" ? "FULL" : "NORMAL"

/** The project root (where package.json is), from this file's location. */
export const PROJECT_ROOT = resolve(import.meta.dir, "..", "..")

/** Reads argv, the environment and `.env` in the working directory. */
export const loadConfig = (argv: ReadonlyArray<string> = process.argv.slice(2)) =>
  Effect.gen(function* () {
    const dotPath = resolve(process.env["DOTENV_PATH"] ?? ".env")
    const dotenv = existsSync(dotPath)
      ? yield* Effect.try({
          try: () => readFileSync(dotPath, "utf8"),
          catch: (e) =>
            new ConfigError({ key: "DOTENV_PATH", value: dotPath, source: "env", allowed: "a readable file", message: `Cannot read ${dotPath}: ${String(e)}` })
        })
      : undefined
    return yield* decodeConfig(dotenv === undefined ? { argv, env: process.env } : { argv, env: process.env, dotenv })
  })

/** The decoded config as a service. */
export class AppConfig extends Context.Service<AppConfig, AppConfigValues>()("quorum/config/AppConfig") {
  static readonly layer = (argv?: ReadonlyArray<string>) => Layer.effect(AppConfig, loadConfig(argv))
  static readonly layerFrom = (sources: ConfigSources) => Layer.effect(AppConfig, decodeConfig(sources))
}

/** Human-readable list of keys for `--help`. */
export const configHelp = (): string =>
  (Object.entries(ConfigKeys) as Array<[string, KeySpec]>)
    .map(([k, s]) => `  --${kebab(k).padEnd(30)} ${k}  ${s.doc} [${s.allowed}]${s.default !== undefined && s.secret !== true ? ` (default ${s.default})` : ""}`)
    .join("\n") +
  `\n\nbtcli spellings: ${Object.entries(BTCLI_FLAGS).map(([f, k]) => `--${f} (${k})`).join(", ")}; ` +
  `${Object.keys(SWITCHES).map((f) => `--${f}`).join(", ")} (LOG_LEVEL); env ${Object.keys(BT_ENV).join(", ")}`
