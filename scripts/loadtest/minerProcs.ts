// The load test's miner processes: N shards of scripts/loadtest/miners.ts (uid % N = K in shard K), so a burst of
// requests reaches several event loops at once, as a subnet's miners are separate machines. Starts them, waits
// for every ready line, and merges their lists into the one miner list the validator reads (miners.json) and the
// baseline client's (baseline-miners.json). Each shard writes its own served-K.jsonl.
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export interface MinerShardsOptions {
  readonly root: string
  /** Where the run's files go (--out). */
  readonly dir: string
  readonly shards: number
  readonly count: number
  readonly spare: number
  readonly protocol: string
  readonly mix: string
  readonly seed: string
  /** nice(1) value for every miner process (0 = none). */
  readonly nice: number
}

export const shardFile = (kind: "served" | "miners" | "spare" | "log", k: number) =>
  kind === "served" ? `served-${k}.jsonl` : kind === "miners" ? `miners-${k}.json` : kind === "spare" ? `baseline-miners-${k}.json` : `miners-${k}.log`

type Proc = ReturnType<typeof Bun.spawn>

const firstLine = async (stream: ReadableStream<Uint8Array>, ms: number): Promise<string | null> => {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buf = ""
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)])
    if (r === null || r.done === true) break
    buf += decoder.decode(r.value, { stream: true })
    const nl = buf.indexOf("\n")
    if (nl >= 0) {
      reader.releaseLock()
      return buf.slice(0, nl)
    }
  }
  return null
}

interface ListFile { readonly protocol: string; readonly seed?: number; readonly latency?: unknown; readonly miners: ReadonlyArray<{ readonly uid: number }> }

/** Spawns the shards (each under nice when asked: a nice value is per thread, so it is set at exec). */
export const spawnMinerShards = (o: MinerShardsOptions): Array<Proc> =>
  Array.from({ length: o.shards }, (_, k) =>
    Bun.spawn(
      [...(o.nice > 0 ? ["nice", "-n", String(o.nice)] : []), process.execPath, join(o.root, "scripts/loadtest/miners.ts"),
        "--count", String(o.count), "--protocol", o.protocol, "--mix", o.mix, "--seed", o.seed,
        "--shard", String(k), "--shards", String(o.shards),
        "--list", join(o.dir, shardFile("miners", k)), "--served", join(o.dir, shardFile("served", k)),
        "--spare", String(o.spare), "--spare-list", join(o.dir, shardFile("spare", k))],
      { cwd: o.root, stdout: "pipe", stderr: Bun.file(join(o.dir, shardFile("log", k))) }
    ))

/** Waits for every shard's ready line; then writes the merged lists. Returns null when all are up, else what failed. */
export const awaitMinerShards = async (o: MinerShardsOptions, procs: ReadonlyArray<Proc>, ms: number): Promise<string | null> => {
  const lines = await Promise.all(procs.map((p) => firstLine(p.stdout as ReadableStream<Uint8Array>, ms)))
  const down = lines.flatMap((l, k) => (l === null || !l.includes('"ready":true') ? [k] : []))
  if (down.length > 0) return `miner shard(s) ${down.join(", ")} did not start (see ${down.map((k) => join(o.dir, shardFile("log", k))).join(", ")})`
  const merge = (kind: "miners" | "spare", to: string) => {
    const parts = procs.map((_, k) => JSON.parse(readFileSync(join(o.dir, shardFile(kind, k)), "utf8")) as ListFile)
    const miners = parts.flatMap((p) => p.miners).sort((a, b) => a.uid - b.uid)
    writeFileSync(join(o.dir, to), JSON.stringify({ ...parts[0]!, miners }))
  }
  merge("miners", "miners.json")
  if (o.spare > 0) merge("spare", "baseline-miners.json")
  return null
}

/** The served files a run left in `dir`: the shards' (served-K.jsonl), or a single-process run's served.jsonl. */
export const servedFiles = (dir: string, exists: (path: string) => boolean): Array<string> => {
  const files: Array<string> = []
  for (let k = 0; exists(join(dir, shardFile("served", k))); k++) files.push(join(dir, shardFile("served", k)))
  return files.length > 0 ? files : [join(dir, "served.jsonl")]
}
