// bun run loadtest [--miners 256] [--duration 10m] [--protocol fiber|dendrite] [--mix honest=70,junk=10,copycat=10,slow=5,flaky=5]
//                  [--rate 60] (challenges/min) [--per-challenge 16] (miners asked per challenge: MAX_MINERS; "all" = --miners)
//                  [--out DIR] [--chain off|local] [--timeout 12] (s) [--warmup 60s]
//                  [--goal-rate N] (default: --rate) [--drain 60s] (most wait after the window) [--model DIR] [--seed S]
//                  [--reanalyze] (no run: the report again from the files a run left in --out, same flags)
//                  [--profile] (the validator's CPU profile, as markdown and .cpuprofile, in DIR/prof)
//                  [--miners-nice N] (0..19: the miner processes, which stand for other machines, yield the CPU)
//                  [--miner-procs auto|N] (the simulated miners' processes, uid % N each; auto: one per 2 cores, ≤ 4 —
//                  on 2 cores more processes only add contention: floor p99 13.2 / 11.1 / 16.4 ms with 1 / 2 / 4)
//                  [--baseline-every auto] (a burst of the validator's transport alone to spare miners; auto = every
//                  4 challenge intervals, a quarter of the validator's requests; 0 = none)
// Drives the REAL validator process (src/main.ts: its workers, store, transports, actors) against simulated
// miners that are real HTTP servers in a separate process (scripts/loadtest/miners.ts, answers and latencies
// from alpacaeval-dev). Shows a progress bar, then writes DIR/report.json and PNG plots and exits 1 when a
// goal is missed, saying which stage limits throughput.
import { Database } from "bun:sqlite"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { Resvg } from "@resvg/resvg-js"
import { loadAlpaca } from "../src/miners/sim/AlpacaCorpus.ts"
import { barChart, lineChart } from "./loadtest/charts.ts"
import { awaitMinerShards, servedFiles, shardFile, spawnMinerShards } from "./loadtest/minerProcs.ts"
import { parseServed, parseStalls, type ProbeLine, type ProbeReq } from "./loadtest/probes.ts"
import { analyze, type Report } from "./loadtest/report.ts"

const ROOT = resolve(import.meta.dir, "..")
const { values } = parseArgs({
  options: {
    miners: { type: "string", default: "256" },
    duration: { type: "string", default: "10m" },
    protocol: { type: "string", default: "fiber" },
    mix: { type: "string", default: "honest=70,junk=10,copycat=10,slow=5,flaky=5" },
    rate: { type: "string", default: "60" },
    "per-challenge": { type: "string", default: "16" },
    out: { type: "string" },
    chain: { type: "string", default: "off" },
    timeout: { type: "string", default: "12" },
    warmup: { type: "string" },
    "goal-rate": { type: "string" },
    drain: { type: "string", default: "60s" },
    model: { type: "string" },
    seed: { type: "string", default: "1" },
    reanalyze: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    "miners-nice": { type: "string", default: "0" },
    "miner-procs": { type: "string", default: "auto" },
    "baseline-every": { type: "string", default: "auto" },
    help: { type: "boolean", default: false }
  },
  strict: true
})
const header = readFileSync(import.meta.path, "utf8").split("\n")
const usage = header.slice(0, header.findIndex((l) => l.startsWith("// Drives"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n")
const die = (msg: string): never => {
  console.error(`loadtest: ${msg}\n${usage}`)
  process.exit(2)
}
if (values.help) {
  console.log(usage)
  process.exit(0)
}
/** "10m", "30s", "90" (seconds) → ms. */
const durationMs = (s: string, name: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (m === null) return die(`--${name} must look like 30s, 10m or 1h, got "${s}"`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"]
  return Number(m[1]) * unit
}
const positive = (s: string, name: string) => {
  const n = Number(s)
  return Number.isFinite(n) && n > 0 ? n : die(`--${name} must be a positive number, got "${s}"`)
}
const miners = Math.floor(positive(values.miners, "miners"))
if (miners > 256) die("--miners is at most 256 (DEMO_MINERS' limit)")
const duration = durationMs(values.duration, "duration")
const rate = positive(values.rate, "rate")
// the validator asks MAX_MINERS of the registered miners per challenge (default 10; the eval's rounds have 16
// honest answers); "all" sends every challenge to every miner (a stress far past the validator's defaults)
const perChallenge = values["per-challenge"] === "all" ? miners : Math.min(miners, Math.floor(positive(values["per-challenge"], "per-challenge")))
const timeoutS = positive(values.timeout, "timeout")
const minersNice = Number(values["miners-nice"])
if (!Number.isInteger(minersNice) || minersNice < 0 || minersNice > 19) die(`--miners-nice must be an integer 0..19, got "${values["miners-nice"]}"`)
const minerProcs = values["miner-procs"] === "auto" ? Math.min(4, Math.max(1, Math.floor(navigator.hardwareConcurrency / 2))) : Number(values["miner-procs"])
if (!Number.isInteger(minerProcs) || minerProcs < 1 || minerProcs > 16) die(`--miner-procs must be auto or an integer 1..16, got "${values["miner-procs"]}"`)
const baselineEvery = values["baseline-every"] === "auto"
  ? Math.round((4 * 60_000) / rate)
  : values["baseline-every"] === "0" ? 0 : durationMs(values["baseline-every"], "baseline-every")
// the baseline client asks as many miners per burst as the validator per challenge, from twice as many spares
// (at most 64: a burst is then at most 64 requests, whatever --per-challenge says)
const spareMiners = baselineEvery === 0 ? 0 : Math.min(64, Math.max(2 * perChallenge, 8))
const warmup = values.warmup === undefined ? Math.min(60_000, duration * 0.2) : durationMs(values.warmup, "warmup")
const goalRate = values["goal-rate"] === undefined ? rate : positive(values["goal-rate"], "goal-rate")
if (values.protocol !== "fiber" && values.protocol !== "dendrite") die("--protocol must be fiber or dendrite")
if (values.chain !== "off" && values.chain !== "local") die("--chain must be off or local")
const mix = values.mix.replace(/\bjunk=/g, "fast-junk=").replace(/\bfast-fast-junk=/g, "fast-junk=")
/** Everything a run writes into --out. */
const RUN_FILES = [
  "validator.db", "validator.db-wal", "validator.db-shm", "validator.log", "validator.err.log", "probe.jsonl", "served.jsonl",
  "miners.json", "miners.log", "corpus.json", "baseline-miners.json", "baseline.jsonl", "baseline.log", "baseline.err.log",
  "none.env", "report.json", "challenges_per_minute.png", "stage_latency.png", "rss.png", "event_loop_lag.png",
  "reward_share.png", "heatmaps", "prof",
  ...Array.from({ length: 16 }, (_, k) => (["served", "miners", "spare", "log"] as const).map((kind) => shardFile(kind, k))).flat()
]
const out = resolve(values.out ?? join(ROOT, ".quorum", `loadtest-${new Date().toISOString().replace(/[:.]/g, "-")}`))
const file = (name: string) => join(out, name)
// a new run in a used --out starts clean: the validator would reopen the old store and append to the old probe,
// and the report would count the earlier run's rounds (only the files a run writes are removed)
if (!values.reanalyze) {
  const left = RUN_FILES.filter((name) => existsSync(file(name)))
  if (left.length > 0) console.error(`loadtest: ${out} holds an earlier run (${left.join(", ")}); removing those files`)
  for (const name of left) rmSync(file(name), { recursive: true, force: true })
}
mkdirSync(join(out, "heatmaps"), { recursive: true })

const probe: Array<ProbeLine> = []
const env: Record<string, string> = { MAX_CONCURRENT_CHALLENGES: String(Math.max(15, Math.ceil((rate / 60) * timeoutS * 1.5))) }
if (values.reanalyze) {
  for (const l of readFileSync(file("probe.jsonl"), "utf8").split("\n")) if (l !== "") probe.push(JSON.parse(l) as ProbeLine)
} else {
  await runLoad()
}
const minerList = JSON.parse(readFileSync(file("miners.json"), "utf8")) as { miners: Array<{ uid: number; behaviour: string }>; latency: { meanMs: number; sdMs: number } }

// --- report --------------------------------------------------------------------------------------
// one served file per miner process; records and stalls carry their shard (a stall only delays its own miners)
const servedByShard = servedFiles(out, existsSync).map((f) => readFileSync(f, "utf8").split("\n"))
const one = servedByShard.length === 1
const served = servedByShard.flatMap((lines, k) => parseServed(lines, one ? undefined : k))
const minerStalls = servedByShard.flatMap((lines, k) => parseStalls(lines, one ? undefined : k))
const baseline = existsSync(file("baseline.jsonl"))
  ? readFileSync(file("baseline.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as ProbeReq)
  : []
const db = new Database(file("validator.db"), { readonly: true })
const stored = db.query<{ c: string; uid: number; ok: number }, []>("SELECT challenge_id AS c, uid, error IS NULL AS ok FROM responses").all().map((r) => ({ c: r.c, uid: r.uid, ok: r.ok === 1 }))
db.close()
const report = analyze({
  probe,
  served,
  stored,
  behaviours: new Map(minerList.miners.map((m) => [m.uid, m.behaviour])),
  timeoutMs: timeoutS * 1000,
  durationMs: duration,
  warmupMs: warmup,
  goals: { challengesPerMinute: goalRate, overheadP99Ms: 5, rssGrowth: 0.1, deadlineSlackMs: 1000 },
  maxConcurrent: Number(env["MAX_CONCURRENT_CHALLENGES"]),
  baseline,
  minerStalls
})
const full = {
  ...report,
  config: { miners, per_challenge: perChallenge, duration_ms: duration, warmup_ms: warmup, protocol: values.protocol, mix, rate_per_minute: rate, timeout_s: timeoutS, chain: values.chain, cores: navigator.hardwareConcurrency, miner_latency: minerList.latency, miners_nice: minersNice, miner_procs: servedByShard.length, baseline_every_ms: baselineEvery, baseline_spare_miners: spareMiners }
}
writeFileSync(file("report.json"), JSON.stringify(full, null, 2))
renderPlots(full)

const stageRows = Object.entries(report.stages_ms).map(([k, d]) => `  ${k.padEnd(9)} p50 ${String(d.p50).padStart(8)}  p95 ${String(d.p95).padStart(8)}  p99 ${String(d.p99).padStart(8)}  (n=${d.n})`)
console.log(
  [
    `loadtest: ${miners} miners (${perChallenge} per challenge), ${values.protocol}, ${duration / 1000}s (warm-up ${warmup / 1000}s), report in ${out}`,
    `  challenges/min ${report.challenges_per_minute} (goal ${goalRate}), lost ${report.lost}, rss ${report.rss.start_mb} → ${report.rss.end_mb} MB (${report.rss.growth_pct}%), lag p99 max ${report.event_loop_lag_ms.p99_of_seconds.max} ms`,
    `  main-thread heap ${report.rss.heap_start_mb} → ${report.rss.heap_end_mb} MB; bounded caches ${JSON.stringify(report.rss.caches_start)} → ${JSON.stringify(report.rss.caches_end)}`,
    "  stage latency (ms):",
    ...stageRows,
    `  overhead after the warm-up; over all requests (start-up included) p50 ${report.overhead_all_requests_ms.p50}  p99 ${report.overhead_all_requests_ms.p99} ms`,
    report.overhead_parts_ms.to_miner.n === 0
      ? "  overhead legs: not measured (the miners' lines carry no start/end stamps)"
      : `  overhead legs: query → miner handler p50 ${report.overhead_parts_ms.to_miner.p50}  p99 ${report.overhead_parts_ms.to_miner.p99} ms; ` +
        `miner ready → reply parsed p50 ${report.overhead_parts_ms.from_miner.p50}  p99 ${report.overhead_parts_ms.from_miner.p99} ms`,
    report.baseline_client_ms.requests === 0
      ? "  baseline client: not run"
      : `  baseline client (same transport alone, spare miners, same run): overhead p50 ${report.baseline_client_ms.overhead.p50}  p99 ${report.baseline_client_ms.overhead.p99} ms; ` +
        `to miner p99 ${report.baseline_client_ms.to_miner.p99} ms (${report.baseline_client_ms.requests} requests)`,
    `  miner process stalls (its own event loop blocked ≥ 20 ms): ${report.miner_stalls.count} (${report.miner_stalls.total_ms} ms); ` +
      `${report.miner_stalls.requests_behind} validator requests waited on them (overhead p99 with them ${report.miner_stalls.overhead_with_them_ms.p99} ms)`,
    `  miners' own lateness (their process, not charged to the validator): p50 ${report.miner_process_lateness_ms.p50}  p99 ${report.miner_process_lateness_ms.p99} ms`,
    `  reward share: ${JSON.stringify(report.reward_share_by_behaviour)}`,
    `  limit: ${report.limit}`,
    `  overhead: ${report.overhead_limit}`,
    ...report.goals.map((g) => `  ${g.ok ? "ok  " : "MISS"} ${g.name}: ${g.measured} (goal ${g.target})`)
  ].join("\n")
)
if (!report.ok) {
  console.error(`LOAD TEST FAILED: ${report.goals.filter((g) => !g.ok).map((g) => `${g.name} ${g.measured} (goal ${g.target})`).join("; ")}. Limit: ${report.limit}`)
  process.exit(1)
}

function renderPlots(r: Report) {
  const png = (name: string, svg: string) => {
    writeFileSync(file(name), new Resvg(svg, { font: { loadSystemFonts: true } }).render().asPng())
  }
  png("challenges_per_minute.png", lineChart("Challenges evaluated per minute (by creation minute)", "per minute", [{ name: "evaluated", points: r.timeline.per_minute.map((p) => [p.minute + 1, p.evaluated_per_minute] as const) }], "minute", goalRate))
  const stageNames = Object.keys(r.stages_ms) as Array<keyof Report["stages_ms"]>
  png("stage_latency.png", barChart("Stage latency (ms, log scale)", "ms", stageNames, (["p50", "p95", "p99"] as const).map((q) => ({ name: q, values: stageNames.map((s) => r.stages_ms[s][q]) })), true))
  png("rss.png", lineChart("Validator RSS (MB)", "MB", [{ name: "rss", points: r.timeline.samples.map((s) => [s.t_s, s.rss_mb] as const) }], "seconds"))
  png("event_loop_lag.png", lineChart("Event-loop lag per second (ms)", "ms", [
    { name: "p99", points: r.timeline.samples.map((s) => [s.t_s, s.lag_p99_ms] as const) },
    { name: "max", points: r.timeline.samples.map((s) => [s.t_s, s.lag_max_ms] as const) }
  ], "seconds"))
  const behaviours = Object.keys(r.reward_share_by_behaviour).sort()
  png("reward_share.png", barChart("Reward share by behaviour", "share", behaviours, [{ name: "share", values: behaviours.map((b) => r.reward_share_by_behaviour[b]!) }]))
}

async function runLoad() {
// --- the miner processes ------------------------------------------------------------------------
const shardOpts = { root: ROOT, dir: out, shards: Math.min(minerProcs, miners), count: miners, spare: spareMiners, protocol: values.protocol, mix, seed: values.seed, nice: minersNice }
const minerProcList = spawnMinerShards(shardOpts)
let validatorProc: ReturnType<typeof Bun.spawn> | null = null
let baselineProc: ReturnType<typeof Bun.spawn> | null = null
const stopProc = async (p: ReturnType<typeof Bun.spawn>) => {
  p.kill("SIGTERM")
  const done = await Promise.race([p.exited.then(() => true), Bun.sleep(30_000).then(() => false)])
  if (!done) p.kill("SIGKILL")
}
const stopAll = async () => {
  for (const p of [baselineProc, validatorProc, ...minerProcList]) {
    if (p === null || p.exitCode !== null) continue
    await stopProc(p)
  }
}
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)))
// whatever ends this process (an exception included), the validator and the miners do not outlive it
process.on("exit", () => {
  for (const p of [baselineProc, validatorProc, ...minerProcList]) if (p !== null && p.exitCode === null) p.kill("SIGKILL")
})

const notUp = await awaitMinerShards(shardOpts, minerProcList, 180_000)
if (notUp !== null) {
  await stopAll()
  die(notUp)
}
const minerList = JSON.parse(readFileSync(file("miners.json"), "utf8")) as { latency: { meanMs: number; sdMs: number } }
console.error(`loadtest: ${miners} ${values.protocol} miners up in ${minerProcList.length} processes (answer latency ${Math.round(minerList.latency.meanMs)} ± ${Math.round(minerList.latency.sdMs)} ms); starting the validator`)

// --- the validator process -----------------------------------------------------------------------
// it asks the alpacaeval instructions the miners answer (with the first model's answer as reference)
writeFileSync(file("corpus.json"), JSON.stringify(loadAlpaca().corpus))
Object.assign(env, {
  ...(process.env as Record<string, string>),
  QUORUM_MODE: "demo",
  DEMO_MINERS_FILE: file("miners.json"),
  DEMO_CORPUS_FILE: file("corpus.json"),
  DEMO_MINERS: String(miners),
  DEMO_CHAIN: values.chain === "local" ? "auto" : "off",
  MINER_PROTOCOL: values.protocol,
  MAX_MINERS: String(perChallenge),
  MIN_MINERS: String(Math.min(3, miners)),
  CHALLENGE_INTERVAL_SECONDS: String(60 / rate),
  CHALLENGE_TIMEOUT_SECONDS: String(timeoutS),
  MAX_CONCURRENT_CHALLENGES: env["MAX_CONCURRENT_CHALLENGES"]!,
  WEIGHTS_INTERVAL_SECONDS: "60",
  DB_PATH: file("validator.db"),
  HEATMAP_DIR: file("heatmaps"),
  LOAD_PROBE_FILE: file("probe.jsonl"),
  API_PORT: "0",
  LOG_FORMAT: "json",
  LOG_LEVEL: "INFO",
  DEMO_ROUNDS: "0",
  DOTENV_PATH: file("none.env"),
  ...(values.model === undefined ? {} : { MODEL_PATH: values.model })
})
validatorProc = Bun.spawn([process.execPath, ...(values.profile ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${file("prof")}`] : []), join(ROOT, "src/main.ts")], { cwd: ROOT, env, stdout: Bun.file(file("validator.log")), stderr: Bun.file(file("validator.err.log")) })

// --- follow the probe, draw progress -------------------------------------------------------------
let offset = 0
let partial = ""
// streaming decode: a read may end inside a multi-byte character
const decoder = new TextDecoder()
const follow = async () => {
  const f = Bun.file(file("probe.jsonl"))
  if (!(await f.exists())) return
  // one size for the whole read: the validator keeps appending, and reading `size` again would skip bytes
  const size = f.size
  if (size <= offset) return
  const bytes = new Uint8Array(await f.slice(offset, size).arrayBuffer())
  offset += bytes.length
  const text = partial + decoder.decode(bytes, { stream: true })
  const lines = text.split("\n")
  partial = lines.pop() ?? ""
  for (const l of lines) if (l !== "") probe.push(JSON.parse(l) as ProbeLine)
}
const tty = process.stderr.isTTY === true
let firstRoundAt: number | null = null
let lastPrinted = 0
const progress = (elapsed: number, phase: string) => {
  const created = probe.filter((l) => l.k === "round" && l.ev === "created").length
  const stored = probe.filter((l) => l.k === "round" && l.ev === "stored").length
  const sample = [...probe].reverse().find((l) => l.k === "sample")
  const frac = Math.min(1, elapsed / duration)
  const bar = "█".repeat(Math.round(frac * 30)).padEnd(30, "░")
  const line = `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(elapsed / 1000).toFixed(0)}s/${duration / 1000}s ${phase} | rounds ${created} scored ${stored} | ` +
    `${((stored / Math.max(1, elapsed)) * 60_000).toFixed(1)}/min | rss ${sample?.k === "sample" ? Math.round(sample.rss / 1e6) : "-"} MB | lag p99 ${sample?.k === "sample" ? sample.lagP99.toFixed(1) : "-"} ms`
  if (tty) process.stderr.write(`\r${line}`)
  else if (Date.now() - lastPrinted > 15_000) {
    console.error(line)
    lastPrinted = Date.now()
  }
}
const startedAt = Date.now()
// after the window: wait for the rounds created in it to be scored (at most timeout + --drain; a backlog beyond
// that is what the report's challenges/min and limit show)
const drainMs = timeoutS * 1000 + durationMs(values.drain, "drain")
const pendingRounds = () => {
  const end = (probe.find((x) => x.k === "round")?.t ?? 0) + duration
  const created = new Set(probe.flatMap((l) => (l.k === "round" && l.ev === "created" && l.t <= end ? [l.c] : [])))
  for (const l of probe) if (l.k === "round" && l.ev === "stored") created.delete(l.c)
  return created.size
}
let failure: string | null = null
let baselineStopping = false
for (;;) {
  // exitCode is only updated once Bun reaps the child: wait on `exited` too
  await Promise.race([Bun.sleep(1000), validatorProc.exited, ...minerProcList.map((p) => p.exited)])
  await follow()
  if (validatorProc.exitCode !== null) {
    failure = `the validator exited with code ${validatorProc.exitCode} (see ${file("validator.err.log")} and validator.log)`
    break
  }
  const deadShard = minerProcList.findIndex((p) => p.exitCode !== null)
  if (deadShard >= 0) {
    failure = `miner process ${deadShard} exited with code ${minerProcList[deadShard]!.exitCode} (see ${file(shardFile("log", deadShard))})`
    break
  }
  if (firstRoundAt === null) {
    if (probe.some((l) => l.k === "round" && l.ev === "created")) firstRoundAt = Date.now()
    else if (Date.now() - startedAt > 300_000) {
      failure = "the validator issued no challenge within 5 minutes"
      break
    }
    continue
  }
  const elapsed = Date.now() - firstRoundAt
  // the baseline client runs over the measured window only: after the warm-up, until the window ends
  if (baselineEvery > 0 && baselineProc === null && elapsed >= warmup && elapsed < duration) {
    baselineProc = Bun.spawn(
      [process.execPath, join(ROOT, "scripts/loadtest/baseline.ts"), "--list", file("baseline-miners.json"), "--corpus", file("corpus.json"), "--out", file("baseline.jsonl"),
        "--per", String(perChallenge), "--interval-ms", String(baselineEvery), "--timeout", String(timeoutS), "--seed", values.seed],
      { cwd: ROOT, stdout: Bun.file(file("baseline.log")), stderr: Bun.file(file("baseline.err.log")) }
    )
  }
  if (baselineProc !== null && baselineProc.exitCode === null && elapsed >= duration && !baselineStopping) {
    baselineStopping = true
    void stopProc(baselineProc)
  }
  progress(elapsed, elapsed < duration ? "running" : "draining")
  if (elapsed >= duration + drainMs || (elapsed >= duration + timeoutS * 1000 && pendingRounds() === 0)) break
}
if (tty) process.stderr.write("\n")
await stopAll()
await follow()
if (failure !== null) {
  console.error(`LOAD TEST FAILED: ${failure}`)
  process.exit(1)
}

}
