// Named subtensor networks and the endpoint resolution the validator uses:
// SUBTENSOR_ADDRESS (a ws:// or wss:// URL) wins over SUBTENSOR_NETWORK (a name, or itself a URL as
// the Python SDK accepts). Every endpoint passes the same schema check before it reaches WsProvider.
import { Effect, Schema } from "effect"

export const NETWORKS = {
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443",
  archive: "wss://archive.chain.opentensor.ai:443",
  local: "ws://127.0.0.1:9944"
} as const satisfies Record<string, string>

export const NetworkName = Schema.Literals(["finney", "test", "archive", "local"])
export type NetworkName = typeof NetworkName.Type

const isWsUrl = (s: string): boolean => {
  if (!/^wss?:\/\/\S+$/.test(s)) return false
  try {
    const u = new URL(s)
    return (u.protocol === "ws:" || u.protocol === "wss:") && u.hostname.length > 0
  } catch {
    return false
  }
}

/** A ws:// or wss:// URL with a host. */
export const WsEndpoint = Schema.String.pipe(
  Schema.check(Schema.makeFilter((s: string) => isWsUrl(s) || "expected a ws:// or wss:// URL with a host")),
  Schema.brand("WsEndpoint")
)
export type WsEndpoint = typeof WsEndpoint.Type

export class InvalidEndpoint extends Schema.TaggedError<InvalidEndpoint>()("InvalidEndpoint", {
  key: Schema.String,
  value: Schema.String
}) {
  override get message(): string {
    return `${this.key}=${JSON.stringify(this.value)} is not a network name (${
      NetworkName.literals.join(", ")
    }) or a ws:// / wss:// URL. Next: set ${this.key} to one of those`
  }
}

export interface EndpointInput {
  /** SUBTENSOR_NETWORK: a name or a URL. */
  readonly network?: string | undefined
  /** SUBTENSOR_ADDRESS: a URL; wins over `network`. */
  readonly address?: string | undefined
}

export interface ResolvedEndpoint {
  readonly endpoint: WsEndpoint
  /** The named network, or "custom" for an explicit URL. */
  readonly network: NetworkName | "custom"
}

const decodeEndpoint = Schema.decodeUnknownExit(WsEndpoint)
const isNetworkName = Schema.is(NetworkName)

/** Resolves the endpoint: address (checked) > network name > network URL; default finney. */
export const resolveEndpoint = (input: EndpointInput): Effect.Effect<ResolvedEndpoint, InvalidEndpoint> =>
  Effect.gen(function*() {
    const address = input.address?.trim()
    if (address !== undefined && address.length > 0) {
      const d = decodeEndpoint(address)
      if (d._tag === "Failure") return yield* new InvalidEndpoint({ key: "SUBTENSOR_ADDRESS", value: address })
      return { endpoint: d.value, network: "custom" as const }
    }
    const network = input.network?.trim() ?? "finney"
    const name = network.length === 0 ? "finney" : network.toLowerCase()
    if (isNetworkName(name)) {
      return { endpoint: WsEndpoint.make(NETWORKS[name]), network: name }
    }
    const d = decodeEndpoint(network)
    if (d._tag === "Failure") return yield* new InvalidEndpoint({ key: "SUBTENSOR_NETWORK", value: network })
    return { endpoint: d.value, network: "custom" as const }
  })

/** The same resolution from an environment record (SUBTENSOR_NETWORK / SUBTENSOR_ADDRESS). */
export const resolveEndpointFromEnv = (
  env: Readonly<Record<string, string | undefined>> = process.env
): Effect.Effect<ResolvedEndpoint, InvalidEndpoint> =>
  resolveEndpoint({ network: env["SUBTENSOR_NETWORK"], address: env["SUBTENSOR_ADDRESS"] })
