// Fiber session keys cached per miner (validator side), with expiry and single-flight handshakes:
// concurrent queries to one miner share one in-flight handshake instead of racing several.

export interface FiberSession {
  /** Fernet key text shared with the miner. */
  readonly fernetKey: string
  /** symmetric_key_uuid announced in the key exchange. */
  readonly uuid: string
  /** Epoch ms after which the session is not used any more. */
  readonly expiresAtMs: number
  /** The miner's key was signed by its hotkey and our key signature covered the encrypted key. */
  readonly authenticated?: boolean
}

export interface SessionCache {
  /** A live session for the miner, or undefined (expired entries are dropped). */
  readonly get: (minerKey: string) => FiberSession | undefined
  readonly set: (minerKey: string, session: FiberSession) => void
  /** Drops the miner's session, but only if it still is `uuid` (a newer handshake is kept). */
  readonly invalidate: (minerKey: string, uuid?: string) => void
  /**
   * Returns the live session or runs `handshake` once for all concurrent callers of this miner.
   * `fresh: true` means this caller's request started a new handshake (or joined one in flight).
   */
  readonly getOrHandshake: <E>(
    minerKey: string,
    handshake: () => Promise<{ readonly ok: true; readonly session: FiberSession } | { readonly ok: false; readonly error: E }>
  ) => Promise<{ readonly ok: true; readonly session: FiberSession; readonly fresh: boolean } | { readonly ok: false; readonly error: E }>
  readonly size: () => number
  readonly clear: () => void
}

/** Cache key of a miner: hotkey plus endpoint (a hotkey that moves to a new ip:port re-handshakes). */
export const minerKey = (t: { readonly hotkey: string; readonly ip: string; readonly port: number }): string =>
  `${t.hotkey}@${t.ip}:${t.port}`

export const makeSessionCache = (now: () => number = Date.now): SessionCache => {
  const sessions = new Map<string, FiberSession>()
  const inflight = new Map<string, Promise<unknown>>()

  const get = (k: string) => {
    const s = sessions.get(k)
    if (s === undefined) return undefined
    if (s.expiresAtMs <= now()) {
      sessions.delete(k)
      return undefined
    }
    return s
  }

  const getOrHandshake: SessionCache["getOrHandshake"] = async (k, handshake) => {
    const live = get(k)
    if (live !== undefined) return { ok: true, session: live, fresh: false }
    type R = Awaited<ReturnType<typeof handshake>>
    let p = inflight.get(k) as Promise<R> | undefined
    if (p === undefined) {
      p = handshake().then((r) => {
        if (r.ok) sessions.set(k, r.session)
        return r
      }).finally(() => inflight.delete(k))
      inflight.set(k, p)
    }
    const r = await p
    return r.ok ? { ok: true, session: r.session, fresh: true } : r
  }

  return {
    get,
    set: (k, s) => void sessions.set(k, s),
    invalidate: (k, uuid) => {
      const s = sessions.get(k)
      if (s !== undefined && (uuid === undefined || s.uuid === uuid)) sessions.delete(k)
    },
    getOrHandshake,
    size: () => sessions.size,
    clear: () => sessions.clear()
  }
}
