// The hotkey file holds an unencrypted secret: like ssh with a private key, warn when anyone but the
// owner may read (or write) it. POSIX mode bits only; on Windows-like file systems the bits say nothing.
import { statSync } from "node:fs"

/** Why `mode` exposes a secret file (group/world bits), or undefined when only the owner has access. */
export const keyfileModeProblem = (mode: number): string | undefined => {
  const perm = mode & 0o777
  const others: Array<string> = []
  if (perm & 0o070) others.push("group")
  if (perm & 0o007) others.push("others")
  if (others.length === 0) return undefined
  return `permissions ${perm.toString(8).padStart(4, "0")} let ${others.join(" and ")} access the secret`
}

/** The problem with a keyfile's permissions, with what to do; undefined when fine or on non-POSIX platforms. */
export const keyfilePermissionProblem = (path: string, platform: NodeJS.Platform = process.platform): string | undefined => {
  if (platform === "win32") return undefined
  let mode: number
  try {
    mode = statSync(path).mode
  } catch {
    return undefined // the reader reports a missing or unreadable file
  }
  const problem = keyfileModeProblem(mode)
  return problem === undefined ? undefined : `${problem}. Next: chmod 600 ${path}`
}
