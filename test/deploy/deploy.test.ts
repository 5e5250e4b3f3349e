// The deploy recipes in deploy/ checked as far as this machine allows (no Docker engine, no pm2): each file
// parses, and every command they start exists — the binary's entry point and subcommands, the npm scripts
// the image build runs, the systemd unit as systemd itself reads it (systemd-analyze, when present).
import { describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import { COMMANDS } from "../../src/bin/commands.ts"
import { ConfigKeys } from "../../src/config/AppConfig.ts"

const ROOT = resolve(import.meta.dir, "../..")
const DEPLOY = join(ROOT, "deploy")
const read = (f: string) => readFileSync(join(DEPLOY, f), "utf8")
const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts
const BINARY = "/usr/local/bin/quorum"

/** Dockerfile instructions (continuation lines joined, comments dropped). */
const dockerInstructions = (text: string) =>
  text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(" ") }
    })

const KNOWN_DOCKER = new Set(["FROM", "RUN", "COPY", "ENV", "USER", "WORKDIR", "VOLUME", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "ARG", "LABEL"])
const configKey = (k: string) => k in ConfigKeys || ["QUORUM_NATIVE_DIR", "HF_HUB_OFFLINE"].includes(k)

describe("deploy/Dockerfile", () => {
  const ins = dockerInstructions(read("Dockerfile"))
  test("parses: known instructions, JSON-form ENTRYPOINT/CMD/HEALTHCHECK", () => {
    for (const i of ins) expect(KNOWN_DOCKER.has(i.op)).toBe(true)
    const entry = JSON.parse(ins.find((i) => i.op === "ENTRYPOINT")?.args ?? "null") as Array<string>
    expect(entry).toEqual([BINARY])
    const cmd = JSON.parse(ins.find((i) => i.op === "CMD")?.args ?? "null") as Array<string>
    expect(Object.keys(COMMANDS)).toContain(cmd[0] as string)
    const health = ins.find((i) => i.op === "HEALTHCHECK")?.args ?? ""
    const probe = JSON.parse(health.slice(health.indexOf("CMD") + 3).trim()) as Array<string>
    expect(probe[0]).toBe(BINARY)
    expect(Object.keys(COMMANDS)).toContain(probe[1] as string)
  })
  test("the binary it copies is what the build stage makes with npm scripts that exist", () => {
    expect(ins.some((i) => i.op === "COPY" && i.args.includes("/src/dist/quorum") && i.args.endsWith(BINARY))).toBe(true)
    const runs = ins.filter((i) => i.op === "RUN").map((i) => i.args).join(" && ")
    for (const m of runs.matchAll(/npm run ([a-z-]+)/g)) expect(Object.keys(scripts)).toContain(m[1] as string)
    expect(scripts["build"]).toContain("scripts/build.ts")
  })
  test("non-root user, volumes for wallets and data, every ENV a real config key", () => {
    const user = ins.filter((i) => i.op === "USER").pop()?.args
    expect(user).toBeDefined()
    expect(user).not.toBe("root")
    expect(ins.find((i) => i.op === "VOLUME")?.args).toContain("/wallets")
    const env = ins.filter((i) => i.op === "ENV").map((i) => i.args).join(" ")
    for (const m of env.matchAll(/([A-Z_]+)=/g)) expect(configKey(m[1] as string)).toBe(true)
  })
})

describe("deploy/docker-compose.yml", () => {
  test("parses; builds deploy/Dockerfile from the repository root; wallets read-only; logs rotated", () => {
    const doc = Bun.YAML.parse(read("docker-compose.yml")) as {
      services: Record<string, { build: { context: string; dockerfile: string }; volumes: Array<string>; logging: { options: Record<string, string> } }>
    }
    const svc = doc.services["quorum"]
    expect(svc).toBeDefined()
    expect(resolve(DEPLOY, svc?.build.context ?? "")).toBe(ROOT)
    expect(svc?.build.dockerfile).toBe("deploy/Dockerfile")
    expect(svc?.volumes.some((v) => v.endsWith(":/wallets:ro"))).toBe(true)
    expect(svc?.logging.options["max-size"]).toBeDefined()
  })
})

describe("deploy/quorum.service", () => {
  const unit = read("quorum.service")
  const value = (key: string) => unit.split("\n").find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1)
  test("ExecStart runs the binary's validator command; every Environment= is a config key", () => {
    const [exe, command] = (value("ExecStart") ?? "").split(/\s+/)
    expect(exe).toBe(BINARY)
    expect(Object.keys(COMMANDS)).toContain(command as string)
    for (const l of unit.split("\n").filter((x) => x.startsWith("Environment="))) {
      expect(configKey(l.slice("Environment=".length).split("=")[0] as string)).toBe(true)
    }
    expect(value("User")).toBe("quorum")
  })
  const analyze = Bun.spawnSync(["systemd-analyze", "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0
  test.skipIf(!analyze)("systemd-analyze verify finds no syntax problem (the binary itself need not be installed here)", () => {
    const r = Bun.spawnSync(["systemd-analyze", "verify", "--man=no", join(DEPLOY, "quorum.service")], { stdout: "pipe", stderr: "pipe" })
    const problems = r.stderr
      .toString()
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("/usr/local/bin/quorum") && !/Failed to (prepare|set up|connect|initialize)|System has not been booted|bus|Cannot find unit/i.test(l))
    expect(problems).toEqual([])
  })
})

describe("deploy/ecosystem.config.cjs (pm2)", () => {
  test("loads; starts dist/quorum (what npm run build writes) with a real subcommand, no interpreter", () => {
    const cfg = createRequire(import.meta.url)(join(DEPLOY, "ecosystem.config.cjs")) as {
      apps: Array<{ name: string; script: string; args: string; interpreter: string; cwd: string }>
    }
    const app = cfg.apps[0]
    expect(app?.script).toBe("dist/quorum")
    expect(resolve(app?.cwd ?? "")).toBe(ROOT)
    expect(app?.interpreter).toBe("none")
    expect(Object.keys(COMMANDS)).toContain(app?.args.split(" ")[0] as string)
  })
})
