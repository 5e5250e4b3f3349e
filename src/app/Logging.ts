// Structured logging for the validator: logfmt (default), JSON lines or pretty, with the configured minimum
// level, on stderr (stdout stays free for machine-readable output). `Effect.logInfo("msg", { k: v })` becomes
// `msg="msg" k=v`: plain-object arguments are flattened into fields, like log annotations.
import { Cause, Effect, Logger, References } from "effect"
import type { AppConfigValues } from "../config/AppConfig.ts"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.getPrototypeOf(u) === Object.prototype

/** One log entry as ordered fields (pure; exported for tests). */
export const logFields = (options: {
  readonly message: unknown
  readonly level: string
  readonly date: Date
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause?: string | undefined
}): Array<[string, unknown]> => {
  const fields: Array<[string, unknown]> = [["ts", options.date.toISOString()], ["level", options.level]]
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const text: Array<string> = []
  const extra: Array<[string, unknown]> = []
  for (const p of parts) {
    if (isRecord(p)) for (const [k, v] of Object.entries(p)) extra.push([k, v])
    else text.push(typeof p === "string" ? p : String(p))
  }
  fields.push(["msg", text.join(" ")])
  fields.push(...extra)
  for (const [k, v] of Object.entries(options.annotations)) fields.push([k, v])
  if (options.cause !== undefined) fields.push(["cause", options.cause])
  return fields
}

const logfmtValue = (v: unknown): string => {
  const s = typeof v === "string" ? v : v === undefined ? "undefined" : JSON.stringify(v) ?? String(v)
  return /^[A-Za-z0-9_.:/@+#-]+$/.test(s) ? s : JSON.stringify(s)
}

export const formatLogfmt = (fields: ReadonlyArray<[string, unknown]>): string =>
  fields.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(" ")

export const formatJsonLine = (fields: ReadonlyArray<[string, unknown]>): string =>
  JSON.stringify(Object.fromEntries(fields), (_k, v) => (typeof v === "bigint" ? v.toString() : v))

const structuredLogger = (format: "logfmt" | "json") =>
  Logger.make(({ message, logLevel, date, fiber, cause }) => {
    const fields = logFields({
      message,
      level: logLevel.toUpperCase(),
      date,
      annotations: fiber.getRef(References.CurrentLogAnnotations),
      cause: cause.reasons.length > 0 ? Cause.pretty(cause) : undefined
    })
    process.stderr.write((format === "json" ? formatJsonLine(fields) : formatLogfmt(fields)) + "\n")
  })

export const loggerLayer = (format: AppConfigValues["LOG_FORMAT"]) =>
  Logger.layer([format === "pretty" ? Logger.consolePretty({ colors: "auto" }) : structuredLogger(format)])

/** Runs `self` with the config's log format and minimum level. */
export const withLogging =
  (config: Pick<AppConfigValues, "LOG_FORMAT" | "LOG_LEVEL">) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    self.pipe(Effect.provide(loggerLayer(config.LOG_FORMAT)), Effect.provideService(References.MinimumLogLevel, config.LOG_LEVEL))
