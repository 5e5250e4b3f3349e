// Weight submissions whose outcome was not seen (the connection dropped or the wait timed out after the
// extrinsic may have reached a node; or the process died mid-send) are journaled `unknown` / `pending`
// and resolved here from chain state, never by re-sending:
//   set / reveal_hash   → landed iff LastUpdate[uid] moved past the row's block and Weights[uid] holds the vector
//   commit_hash         → landed iff WeightCommits(netuid, hotkey) holds the commit hash
//   commit_timelock     → landed iff a CRV3 / timelocked commit of this hotkey for the reveal round is stored
//                         (or, once revealed, Weights holds the vector)
// Not landed and no weight extrinsic of ours in the pool: failed once the head is past the row's block by
// more than any mortal era (the extrinsic can no longer be included); until then it stays unknown and the
// submitter refuses to send a new one (OutcomeUnknown).
import type { ApiPromise } from "@polkadot/api"
import { Effect, Schema } from "effect"
import { ChainCallError, type WeightCall } from "./ChainErrors.ts"
import { type JournalError, SubmissionOutcome, type SubmissionRecord, type WeightsJournalShape } from "./WeightsJournal.ts"

/** polkadot-js signs with a 64-block mortal era by default; 256 blocks is past any era it would choose. */
export const MORTALITY_BLOCKS = 256

export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  ids: Schema.Array(Schema.Number),
  call: Schema.String
}) {
  override get message(): string {
    return `weight submission(s) ${this.ids.join(", ")} have an unknown outcome (sent, not confirmed); a new ${this.call} is not sent until chain state shows whether they landed. Next: nothing, the next attempt reconciles them (at the latest ${MORTALITY_BLOCKS} blocks after sending)`
  }
}

export type Resolution =
  | { readonly id: number; readonly _tag: "Included"; readonly blockNumber: number | null }
  | { readonly id: number; readonly _tag: "Failed"; readonly detail: string }
  | { readonly id: number; readonly _tag: "StillUnknown"; readonly detail: string }

type Query = ((...a: Array<unknown>) => Promise<{ toJSON(): unknown }>) & {
  entries?: (...a: Array<unknown>) => Promise<Array<[unknown, { toJSON(): unknown }]>>
}
const query = (api: ApiPromise, name: string): Query | undefined =>
  (api.query as unknown as Record<string, Record<string, Query> | undefined>)["subtensorModule"]?.[name]

const Pairs = Schema.Array(Schema.Tuple([Schema.Number, Schema.Number]))
const decodePairs = Schema.decodeUnknownSync(Pairs)
const decodeNums = Schema.decodeUnknownSync(Schema.Array(Schema.Number))
const decodeOptNum = Schema.decodeUnknownSync(Schema.NullOr(Schema.Number))
const HashCommits = Schema.Array(Schema.Tuple([Schema.String, Schema.Number, Schema.Number, Schema.Number]))
const decodeHashCommits = Schema.decodeUnknownSync(HashCommits)

const sameVector = (pairs: ReadonlyArray<readonly [number, number]>, r: SubmissionRecord): boolean => {
  const want = new Map(r.uids.map((u, i) => [u, r.values[i] ?? -1] as const).filter(([, v]) => v !== 0))
  const got = pairs.filter(([, v]) => v !== 0)
  return got.length === want.size && got.every(([u, v]) => want.get(u) === v)
}

export interface ReconcilerDeps {
  readonly api: ApiPromise
  readonly journal: WeightsJournalShape
  readonly netuid: number
  readonly hotkey: string
  /** The submitter's bounded RPC wrapper (timeout, ChainCallError). */
  readonly rpc: <A>(operation: string, f: () => Promise<A>) => Effect.Effect<A, ChainCallError>
}

export const makeOutcomeReconciler = (deps: ReconcilerDeps) => {
  const { api, journal, netuid, hotkey, rpc } = deps
  const read = (name: string, ...args: Array<unknown>) =>
    rpc(`query subtensorModule.${name}`, async () => {
      const q = query(api, name)
      return q === undefined ? undefined : (await q(...args)).toJSON()
    })
  const entriesOf = (name: string, ...args: Array<unknown>) =>
    rpc(`entries subtensorModule.${name}`, async () => {
      const q = query(api, name)
      if (q?.entries === undefined) return [] as Array<unknown>
      return (await q.entries(...args)).map(([, v]) => v.toJSON())
    })

  /** Do we have a weight extrinsic in the node's pool (then it may still land)? */
  const oursInPool = rpc("author.pendingExtrinsics", async () => {
    const pending = await api.rpc.author.pendingExtrinsics()
    return pending.some((x) => x.isSigned && x.signer.toString() === hotkey && x.method.section === "subtensorModule" && /weights/i.test(x.method.method))
  })

  const decode = <A>(operation: string, f: () => A) => Effect.try({ try: f, catch: (cause) => new ChainCallError({ operation, cause }) })

  const landed = (r: SubmissionRecord, uid: number | null, lastUpdate: number | null) =>
    Effect.gen(function* () {
      if (r.kind === "set" || r.kind === "reveal_hash" || r.kind === "commit_timelock") {
        if (uid !== null && lastUpdate !== null && lastUpdate > r.block) {
          const raw = yield* read("weights", netuid, uid)
          const pairs = yield* decode("decode Weights", () => decodePairs(raw ?? []))
          if (sameVector(pairs, r)) return { blockNumber: lastUpdate as number | null }
        }
      }
      if (r.kind === "commit_hash" && r.commitHash !== null) {
        const raw = yield* read("weightCommits", netuid, hotkey)
        const commits = yield* decode("decode WeightCommits", () => decodeHashCommits(raw ?? []))
        const found = commits.find(([h]) => h.toLowerCase() === r.commitHash?.toLowerCase())
        if (found !== undefined) return { blockNumber: found[1] as number | null }
      }
      if (r.kind === "commit_timelock" && r.revealRound !== null) {
        for (const name of ["timelockedWeightCommits", "crv3WeightCommits"]) {
          const all = (yield* entriesOf(name, netuid)).flatMap((v) => (Array.isArray(v) ? v : []))
          const mine = all.find((c) => Array.isArray(c) && c[0] === hotkey && c[c.length - 1] === r.revealRound)
          if (mine !== undefined) return { blockNumber: Array.isArray(mine) && mine.length === 4 && typeof mine[1] === "number" ? mine[1] : null }
        }
      }
      return null
    })

  const resolveOne = (r: SubmissionRecord, head: number, uid: number | null, lastUpdate: number | null): Effect.Effect<Resolution, ChainCallError | JournalError> =>
    Effect.gen(function* () {
      const hit = yield* landed(r, uid, lastUpdate)
      if (hit !== null) {
        const blockHash = hit.blockNumber === null ? null : (yield* rpc("chain.getBlockHash", () => api.rpc.chain.getBlockHash(hit.blockNumber!))).toHex()
        yield* journal.finish(r.id, new SubmissionOutcome({
          status: "included",
          blockHash,
          blockNumber: hit.blockNumber,
          txHash: r.txHash,
          finalized: false,
          errorTag: null,
          errorDetail: `reconciled from chain state${r.errorTag === null ? "" : ` after ${r.errorTag}`}`
        }))
        return { id: r.id, _tag: "Included", blockNumber: hit.blockNumber } as const
      }
      if (yield* oursInPool) return { id: r.id, _tag: "StillUnknown", detail: "a weight extrinsic of this hotkey is still in the pool" } as const
      if (head <= r.block + MORTALITY_BLOCKS) {
        return { id: r.id, _tag: "StillUnknown", detail: `not on chain yet; may land until block ${r.block + MORTALITY_BLOCKS}` } as const
      }
      const detail = `reconciled: not on chain ${head - r.block} blocks after sending (past any mortal era)`
      yield* journal.finish(r.id, new SubmissionOutcome({
        status: "failed",
        blockHash: null,
        blockNumber: null,
        txHash: r.txHash,
        finalized: false,
        errorTag: r.errorTag ?? "OutcomeUnknown",
        errorDetail: detail
      }))
      return { id: r.id, _tag: "Failed", detail } as const
    })

  /** Resolves every unknown / pending row of this netuid and hotkey that chain state can decide. */
  const reconcile = Effect.fn("OutcomeReconciler.reconcile")(function* () {
    const rows = yield* journal.unresolved(netuid, hotkey)
    if (rows.length === 0) return [] as ReadonlyArray<Resolution>
    const head = (yield* rpc("chain.getHeader", () => api.rpc.chain.getHeader())).number.toNumber()
    const uidJ = yield* read("uids", netuid, hotkey)
    const myUid = yield* decode("decode Uids", () => decodeOptNum(uidJ ?? null))
    const lastJ = myUid === null ? [] : yield* read("lastUpdate", netuid)
    const lastUpdate = myUid === null ? null : ((yield* decode("decode LastUpdate", () => decodeNums(lastJ ?? [])))[myUid] ?? null)
    const out: Array<Resolution> = []
    for (const r of rows) {
      const res = yield* resolveOne(r, head, myUid, lastUpdate)
      out.push(res)
      yield* Effect.logInfo("weight submission reconciled", { id: r.id, kind: r.kind, outcome: res._tag, ...(res._tag === "Included" ? {} : { detail: res.detail }) })
    }
    return out
  })

  /** Reconciles, then fails with OutcomeUnknown while any row is still undecided. */
  const ensureResolved = (call: WeightCall) =>
    reconcile().pipe(
      Effect.flatMap((rs) => {
        const open = rs.filter((r) => r._tag === "StillUnknown").map((r) => r.id)
        return open.length === 0 ? Effect.void : Effect.fail(new OutcomeUnknown({ ids: open, call }))
      })
    )

  return { reconcile, ensureResolved }
}
