import { describe, expect, test } from "bun:test"
import { Effect, Exit, Redacted } from "effect"
import { ConfigError, configHelp, decodeConfig, parseCliFlags, parseDotEnv, suggestFlag } from "../../src/config/AppConfig.ts"

const run = (sources: Parameters<typeof decodeConfig>[0]) => Effect.runPromiseExit(decodeConfig(sources))
const failure = async (sources: Parameters<typeof decodeConfig>[0]): Promise<ConfigError> => {
  const exit = await run(sources)
  if (Exit.isSuccess(exit)) throw new Error("expected a ConfigError")
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (err === undefined || err._tag !== "Fail") throw new Error("expected a typed failure")
  return err.error as ConfigError
}

describe("AppConfig", () => {
  test("defaults decode to typed values", async () => {
    const cfg = await Effect.runPromise(decodeConfig({ argv: [], env: {} }))
    expect(cfg.NETUID).toBe(21)
    expect(cfg.MIN_MINERS).toBe(3)
    expect(cfg.MAX_MINERS).toBe(10)
    expect(cfg.CHALLENGE_TIMEOUT_SECONDS).toBe(120)
    expect(cfg.SUBTENSOR_NETWORK).toBe("finney")
    expect(cfg.SUBTENSOR_ADDRESS).toBeUndefined()
    expect(cfg.LOG_LEVEL).toBe("Info")
    expect(cfg.sources.NETUID).toBe("default")
  })

  test("precedence: CLI flag > env > .env > default", async () => {
    const dotenv = "NETUID=3\nMAX_MINERS=20\nAPI_PORT=9001\n"
    const cfg = await Effect.runPromise(
      decodeConfig({ argv: ["--netuid", "7"], env: { NETUID: "5", MAX_MINERS: "12" }, dotenv })
    )
    expect(cfg.NETUID).toBe(7)
    expect(cfg.sources.NETUID).toBe("cli")
    expect(cfg.MAX_MINERS).toBe(12)
    expect(cfg.sources.MAX_MINERS).toBe("env")
    expect(cfg.API_PORT).toBe(9001)
    expect(cfg.sources.API_PORT).toBe("dotenv")
  })

  test("a bad value names the key, the value, the source and what is allowed", async () => {
    const err = await failure({ argv: [], env: { NETUID: "abc" } })
    expect(err._tag).toBe("ConfigError")
    expect(err.key).toBe("NETUID")
    expect(err.value).toBe("abc")
    expect(err.source).toBe("env")
    expect(err.message).toContain("NETUID")
    expect(err.message).toContain("abc")
    expect(err.message).toContain("0..65535")
  })

  test("out-of-range, bad literal and bad URL are rejected", async () => {
    expect((await failure({ argv: [], env: { API_PORT: "70000" } })).key).toBe("API_PORT")
    expect((await failure({ argv: [], env: { SUBTENSOR_NETWORK: "mainnet" } })).allowed).toContain("finney")
    expect((await failure({ argv: [], env: { SUBTENSOR_ADDRESS: "http://x" } })).key).toBe("SUBTENSOR_ADDRESS")
    expect((await failure({ argv: ["--challenge-timeout-seconds=-1"], env: {} })).key).toBe("CHALLENGE_TIMEOUT_SECONDS")
  })

  test("MIN_MINERS above MAX_MINERS fails at start", async () => {
    const err = await failure({ argv: [], env: { MIN_MINERS: "8", MAX_MINERS: "4" } })
    expect(err.key).toBe("MIN_MINERS")
  })

  test("unknown CLI flags fail with the list of known ones", async () => {
    const err = await failure({ argv: ["--netuidd", "3"], env: {} })
    expect(err.message).toContain("--netuidd")
    expect(err.allowed).toContain("--netuid")
  })

  test("secrets are redacted in values and errors", async () => {
    const cfg = await Effect.runPromise(decodeConfig({ argv: [], env: { CHALLENGE_API_KEY: "s3cret" } }))
    expect(cfg.CHALLENGE_API_KEY).toBeDefined()
    expect(String(cfg.CHALLENGE_API_KEY)).not.toContain("s3cret")
    expect(Redacted.value(cfg.CHALLENGE_API_KEY as Redacted.Redacted<string>)).toBe("s3cret")
  })

  test("Python-style log levels are accepted", async () => {
    const cfg = await Effect.runPromise(decodeConfig({ argv: [], env: { LOG_LEVEL: "warning" } }))
    expect(cfg.LOG_LEVEL).toBe("Warn")
  })

  test(".env parsing handles comments, quotes and export", () => {
    expect(parseDotEnv('# c\nexport A=1\nB="x y"\nC=\'z\'\nD=v # trailing\n\nbad line\n')).toEqual({ A: "1", B: "x y", C: "z", D: "v" })
  })

  test("CLI flag forms", () => {
    const { flags, unknown, missingValue, rest } = parseCliFlags(["run", "--NETUID=4", "--max-miners", "9", "--log-level", "DEBUG", "--x"])
    expect(flags).toEqual({ NETUID: "4", MAX_MINERS: "9", LOG_LEVEL: "DEBUG" })
    expect(unknown).toEqual(["--x"])
    expect(missingValue).toEqual([])
    expect(rest).toEqual(["run"])
  })
})

describe("AppConfig: btcli conventions", () => {
  test("btcli flags map to our keys; --logging.debug is a switch", async () => {
    const cfg = await Effect.runPromise(
      decodeConfig({
        argv: ["--netuid", "5", "--subtensor.network", "test", "--subtensor.chain_endpoint=ws://127.0.0.1:9944", "--wallet.name", "ops", "--wallet.hotkey", "hk1", "--wallet.path", "/w", "--logging.debug"],
        env: {}
      })
    )
    expect(cfg).toMatchObject({ NETUID: 5, SUBTENSOR_NETWORK: "test", SUBTENSOR_ADDRESS: "ws://127.0.0.1:9944", WALLET_NAME: "ops", HOTKEY_NAME: "hk1", WALLET_PATH: "/w", LOG_LEVEL: "Debug" })
    expect(cfg.sources.WALLET_NAME).toBe("cli")
    expect((await Effect.runPromise(decodeConfig({ argv: ["--logging.trace"], env: {} }))).LOG_LEVEL).toBe("Trace")
    expect((await Effect.runPromise(decodeConfig({ argv: ["--logging.info"], env: { LOG_LEVEL: "ERROR" } }))).LOG_LEVEL).toBe("Info")
  })

  test("defaults are btcli's default/default", async () => {
    const cfg = await Effect.runPromise(decodeConfig({ argv: [], env: {} }))
    expect([cfg.WALLET_NAME, cfg.HOTKEY_NAME]).toEqual(["default", "default"])
  })

  test("the SDK's BT_* variables are read; our own names win over them; flags win over both", async () => {
    const bt = {
      BT_SUBTENSOR_NETWORK: "test",
      BT_SUBTENSOR_CHAIN_ENDPOINT: "wss://node.example:443",
      BT_WALLET_NAME: "btw",
      BT_WALLET_HOTKEY: "bth",
      BT_WALLET_PATH: "/bt/wallets"
    }
    const cfg = await Effect.runPromise(decodeConfig({ argv: [], env: bt }))
    expect(cfg).toMatchObject({ SUBTENSOR_NETWORK: "test", SUBTENSOR_ADDRESS: "wss://node.example:443", WALLET_NAME: "btw", HOTKEY_NAME: "bth", WALLET_PATH: "/bt/wallets" })
    expect(cfg.sources.WALLET_NAME).toBe("env")
    const ours = await Effect.runPromise(decodeConfig({ argv: ["--wallet.hotkey", "flag"], env: { ...bt, WALLET_NAME: "mine" } }))
    expect([ours.WALLET_NAME, ours.HOTKEY_NAME]).toEqual(["mine", "flag"])
    // a bad BT_* value is reported under our key, from env
    const err = await failure({ argv: [], env: { BT_SUBTENSOR_NETWORK: "mainnet" } })
    expect(err.key).toBe("SUBTENSOR_NETWORK")
    expect(err.source).toBe("env")
  })

  test("unknown flags get a did-you-mean", async () => {
    expect(suggestFlag("--netuidd")).toBe("--netuid")
    expect(suggestFlag("--wallet.nme")).toBe("--wallet.name")
    expect(suggestFlag("--subtensor.chain-endpoint")).toBe("--subtensor.chain_endpoint")
    expect(suggestFlag("--completely-unrelated-thing")).toBeUndefined()
    const err = await failure({ argv: ["--wallet.hotkye", "x"], env: {} })
    expect(err.message).toContain("did you mean --wallet.hotkey?")
  })

  test("every bad key and flag is reported at once", async () => {
    const err = await failure({ argv: ["--netuidd", "3", "--api-port", "70000", "--max-miners"], env: { NETUID: "abc", SUBTENSOR_NETWORK: "mainnet" } })
    expect(err.problems?.length).toBe(5)
    for (const s of ["--netuidd", "API_PORT", "--max-miners needs a value", "NETUID", "SUBTENSOR_NETWORK"]) expect(err.message).toContain(s)
    expect(err.message).toStartWith("5 config problems")
  })

  test("a bare flag that needs a value is an error, not \"true\"", async () => {
    for (const argv of [["--db-path"], ["--db-path", "--netuid", "3"]]) {
      const err = await failure({ argv, env: {} })
      expect(err.key).toBe("--db-path")
      expect(err.message).toContain("--db-path needs a value")
    }
  })

  test("--help lists the btcli spellings and BT_* variables", () => {
    const help = configHelp()
    for (const s of ["--wallet.name", "--subtensor.chain_endpoint", "--logging.debug", "BT_WALLET_HOTKEY"]) expect(help).toContain(s)
  })
})
