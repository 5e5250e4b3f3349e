// All configuration, decoded by ONE Effect Schema from (highest first) CLI flags, environment, a .env file,
// and defaults. A bad value fails at start with a message naming the key, the value and what is allowed.
// Names follow the reference validator where it has them (NETUID, SUBTENSOR_NETWORK, ...); the Python
// bittensor SDK's flags (--wallet.name, --subtensor.network, --logging.debug, ...) and BT_* variables are
// accepted beside them (see BTCLI_FLAGS / BT_ENV). Every bad key is reported at once.
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { insecureUrlProblem } from "../challenges/ChallengeApiAuth.ts"
import { type ConfigKey, ConfigKeys, type KeySpec } from "./ConfigKeys.ts"
import { BT_ENV, BTCLI_FLAGS, type ConfigSources, kebab, knownFlagNames, parseCliFlags, parseDotEnv, SWITCHES, suggestFlag } from "./ConfigSources.ts"

export { type ConfigKey, ConfigKeys } from "./ConfigKeys.ts"
export { BT_ENV, BTCLI_FLAGS, type ConfigSources, type FlagProblem, parseCliFlags, parseDotEnv, suggestFlag, SWITCHES } from "./ConfigSources.ts"

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
