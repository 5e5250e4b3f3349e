// Where config values come from besides the environment: `.env` text and CLI flags (our keys in kebab
// case, the Python SDK's btcli spellings and switches, the SDK's BT_* variables), with a suggestion for a
// mistyped flag.
import { ConfigKeys, type ConfigKey } from "./ConfigKeys.ts"

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

export const kebab = (key: string) => key.toLowerCase().replaceAll("_", "-")

/** Every flag spelling we accept, for suggestions. */
export const knownFlagNames = (): Array<string> => [...Object.keys(ConfigKeys).map(kebab), ...Object.keys(BTCLI_FLAGS), ...Object.keys(SWITCHES)]

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

