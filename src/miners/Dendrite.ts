// DendriteTransport: the bittensor dendrite → axon HTTP client behind MinerTransport.
// Signed headers, sha3-256 body hash, ns nonces, AbortSignal timeouts, a streamed size cap,
// and the SDK's status mapping (connect 503, timeout 408, unparsable 422).
//
// Nonces under concurrency: the axon keeps the last nonce per `dendriteHotkey:uuid` and rejects
// anything not newer, so two concurrent requests to the same axon could arrive out of order and the
// older one would be refused. Each axon therefore gets a small pool of uuid "lanes": a request holds
// a lane (uuid) exclusively until it completes, so requests on one lane reach the axon in nonce order.
// With one request per miner per round (the normal case) a single uuid per axon is used.
import { Effect } from "effect"
import {
  buildSynapseHttp,
  decodeReplyBody,
  DENDRITE_VERSION,
  EMPTY_BODY_HASH,
  inferenceBodyHash,
  requestFields,
  signatureMessage,
  SYNAPSE_NAME
} from "./InferenceSynapse.ts"
import { errorMessage, minerBaseUrl, type ExchangeInit, exchangeBytes, exchangeFail } from "./HttpExchange.ts"
import { makeNonceSource, type NonceSource, uuid1 } from "./Nonce.ts"
import { signatureHex } from "./Signer.ts"
import { MinerError, type MinerTransport } from "./Transport.ts"
import { type InferenceReply, type InferenceRequest, type MinerFailure } from "../domain/Inference.ts"
import { type HotkeySigner, type MinerTarget } from "../domain/Miner.ts"

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

export interface DendriteOptions {
  readonly signer: HotkeySigner
  /** Reply size cap in bytes (default 4 MiB); larger replies fail with BodyTooLarge (413). */
  readonly maxBodyBytes?: number
  /** The validator's external ip announced in bt_header_dendrite_ip (default "0.0.0.0"). */
  readonly externalIp?: string
  readonly version?: number
  readonly nonces?: NonceSource
}

export interface DendriteTransport extends MinerTransport {
  readonly protocol: "dendrite"
  /** Number of uuid lanes created per axon hotkey (diagnostics). */
  readonly laneCount: (axonHotkey: string) => number
}

/** Result of one HTTP exchange, before mapping to InferenceReply / MinerError. */
type Exchange =
  | { readonly kind: "body"; readonly status: number; readonly text: string; readonly latencyMs: number; readonly contentType: string | null }
  | {
    readonly kind: "fail"
    readonly reason: MinerFailure
    readonly status: number
    readonly message: string
    readonly latencyMs: number | null
  }

/**
 * One fetch (src/miners/HttpExchange.ts: deadline over headers and body, byte cap, latency to the last
 * byte), then the body decoded as UTF-8.
 */
export const exchange = async (
  url: string,
  init: ExchangeInit,
  timeoutMs: number,
  maxBytes: number,
  interrupt: AbortSignal
): Promise<Exchange> => {
  const x = await exchangeBytes(url, init, timeoutMs, maxBytes, interrupt)
  if (x.kind === "fail") return x
  try {
    return { kind: "body", status: x.status, text: new TextDecoder("utf-8", { fatal: true }).decode(x.bytes), latencyMs: x.latencyMs, contentType: x.contentType }
  } catch {
    return exchangeFail("Unparsable", 422, "reply is not UTF-8", x.latencyMs)
  }
}

/** Runs request building + exchange; anything thrown (e.g. an unserialisable request) becomes a ProtocolError. */
const guarded = (run: () => Promise<Exchange>): Promise<Exchange> => {
  const protocolError = (e: unknown): Exchange => ({
    kind: "fail",
    reason: "ProtocolError",
    status: 400,
    message: `could not build or send the request: ${errorMessage(e)}`,
    latencyMs: null
  })
  try {
    return run().catch(protocolError)
  } catch (e) {
    return Promise.resolve(protocolError(e))
  }
}

const httpFailure = (target: MinerTarget, status: number, text: string, latencyMs: number): MinerError => {
  let detail = text.slice(0, 200)
  try {
    const j: unknown = JSON.parse(text)
    if (typeof j === "object" && j !== null && "message" in j && typeof j.message === "string") detail = j.message
  } catch {
    // keep the raw prefix
  }
  return new MinerError({
    uid: target.uid,
    hotkey: target.hotkey,
    reason: status === 401 ? "Unauthorized" : "HttpStatus",
    status,
    message: `miner answered ${status}: ${detail}`,
    latencyMs
  })
}

const toMinerError = (target: MinerTarget, x: Extract<Exchange, { kind: "fail" }>) =>
  new MinerError({
    uid: target.uid,
    hotkey: target.hotkey,
    reason: x.reason,
    status: x.status,
    message: x.message,
    latencyMs: x.latencyMs
  })

export const makeDendriteTransport = (options: DendriteOptions): DendriteTransport => {
  const { signer } = options
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const ip = options.externalIp ?? "0.0.0.0"
  const version = options.version ?? DENDRITE_VERSION
  const nonces = options.nonces ?? makeNonceSource()
  const probeUuid = uuid1()

  // uuid lanes per axon hotkey: free list + count created
  const freeLanes = new Map<string, Array<string>>()
  const created = new Map<string, number>()
  const acquireLane = (axon: string): string => {
    const free = freeLanes.get(axon)
    const u = free?.pop()
    if (u !== undefined) return u
    created.set(axon, (created.get(axon) ?? 0) + 1)
    return uuid1()
  }
  const releaseLane = (axon: string, u: string) => {
    const free = freeLanes.get(axon)
    if (free === undefined) freeLanes.set(axon, [u])
    else free.push(u)
  }

  const base = minerBaseUrl

  const query = (target: MinerTarget, request: InferenceRequest, timeoutMs: number) =>
    Effect.acquireUseRelease(
      Effect.sync(() => acquireLane(target.hotkey)),
      (uuid) =>
        Effect.promise((signal) => guarded(() => {
          const hash = inferenceBodyHash(requestFields(request))
          // nonce taken as late as possible: right before the request is signed and sent
          const nonce = nonces.next(signer.ss58, uuid)
          const signature = signatureHex(
            signer,
            signatureMessage({ nonce, dendriteHotkey: signer.ss58, axonHotkey: target.hotkey, uuid, bodyHash: hash })
          )
          const http = buildSynapseHttp(
            request,
            target,
            timeoutMs / 1000,
            { ip, version, nonce, uuid, hotkey: signer.ss58, signature },
            hash
          )
          return exchange(`${base(target)}/${SYNAPSE_NAME}`, { method: "POST", ...http }, timeoutMs, maxBytes, signal)
        })).pipe(
          Effect.flatMap((x): Effect.Effect<InferenceReply, MinerError> => {
            if (x.kind === "fail") return Effect.fail(toMinerError(target, x))
            if (x.status !== 200) return Effect.fail(httpFailure(target, x.status, x.text, x.latencyMs))
            return decodeReplyBody(target, x.text, x.latencyMs, x.status).pipe(Effect.map((r) => ({ ...r, contentType: x.contentType })))
          })
        ),
      (uuid) => Effect.sync(() => releaseLane(target.hotkey, uuid))
    ).pipe(Effect.withSpan("Dendrite.query", { attributes: { uid: target.uid } }))

  const availability = (target: MinerTarget, timeoutMs: number) =>
    Effect.promise((signal) => guarded(() => {
      const nonce = nonces.next(signer.ss58, probeUuid)
      const signature = signatureHex(
        signer,
        signatureMessage({
          nonce,
          dendriteHotkey: signer.ss58,
          axonHotkey: target.hotkey,
          uuid: probeUuid,
          bodyHash: EMPTY_BODY_HASH
        })
      )
      const headers: Record<string, string> = {
        "validator-hotkey": signer.ss58,
        bt_header_axon_hotkey: target.hotkey,
        bt_header_dendrite_hotkey: signer.ss58,
        bt_header_dendrite_nonce: String(nonce),
        bt_header_dendrite_uuid: probeUuid,
        bt_header_dendrite_version: String(version),
        bt_header_dendrite_signature: signature,
        computed_body_hash: EMPTY_BODY_HASH
      }
      return exchange(`${base(target)}/availability`, { method: "GET", headers }, timeoutMs, 64 * 1024, signal)
    })).pipe(
      Effect.flatMap((x): Effect.Effect<boolean, MinerError> => {
        if (x.kind === "fail") return Effect.fail(toMinerError(target, x))
        if (x.status !== 200) return Effect.fail(httpFailure(target, x.status, x.text, x.latencyMs))
        try {
          const j: unknown = JSON.parse(x.text)
          return Effect.succeed(typeof j === "object" && j !== null && "available" in j && j.available === true)
        } catch {
          return Effect.fail(
            new MinerError({
              uid: target.uid,
              hotkey: target.hotkey,
              reason: "Unparsable",
              status: 422,
              message: "availability reply is not JSON",
              latencyMs: x.latencyMs
            })
          )
        }
      }),
      Effect.withSpan("Dendrite.availability", { attributes: { uid: target.uid } })
    )

  return { protocol: "dendrite", query, availability, laneCount: (h) => created.get(h) ?? 0 }
}
