// `quorum health [--api-port P] [--api-host H]`: GET /health of a validator on this machine, 3 s timeout.
// Exit 0 when it answers {"status":"ok"}, 1 otherwise (with one line saying why). API_PORT / API_HOST
// are read from the environment like the validator does; a wildcard bind address is probed on 127.0.0.1.
const flag = (args: ReadonlyArray<string>, name: string): string | undefined => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`))
  if (i < 0) return undefined
  const a = args[i] as string
  return a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[i + 1]
}

export const probeHealth = async (args: ReadonlyArray<string>): Promise<number> => {
  const port = flag(args, "--api-port") ?? process.env["API_PORT"] ?? "8000"
  const bind = flag(args, "--api-host") ?? process.env["API_HOST"] ?? "127.0.0.1"
  const host = bind === "0.0.0.0" || bind === "::" || bind === "" ? "127.0.0.1" : bind
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/health`
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) })
    const body = (await res.json()) as { status?: unknown }
    if (res.ok && body.status === "ok") {
      console.log(`healthy: ${url}`)
      return 0
    }
    console.error(`unhealthy: ${url} answered HTTP ${res.status} ${JSON.stringify(body)}`)
  } catch (e) {
    console.error(`unhealthy: ${url}: ${e instanceof Error ? e.message : String(e)}`)
  }
  return 1
}
