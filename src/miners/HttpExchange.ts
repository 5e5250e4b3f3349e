// One HTTP request to a miner, shared by the dendrite and Fiber clients: a deadline covering headers *and*
// body, a streamed read with a byte cap, and latency measured from the request being sent to the last byte.
import type { MinerFailure } from "../domain/Inference.ts"

export interface ExchangeFail {
  readonly kind: "fail"
  readonly reason: MinerFailure
  readonly status: number
  readonly message: string
  readonly latencyMs: number | null
}

export type BytesExchange =
  | { readonly kind: "body"; readonly status: number; readonly bytes: Buffer; readonly latencyMs: number; readonly contentType: string | null }
  | ExchangeFail

export const exchangeFail = (reason: MinerFailure, status: number, message: string, latencyMs: number | null = null): ExchangeFail => ({
  kind: "fail",
  reason,
  status,
  message,
  latencyMs
})

/** http://ip:port of a miner's axon; IPv6 addresses in brackets. */
export const minerBaseUrl = (t: { readonly ip: string; readonly port: number }): string =>
  `http://${t.ip.includes(":") ? `[${t.ip}]` : t.ip}:${t.port}`

export const errorMessage = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

export interface ExchangeInit {
  readonly method: "GET" | "POST"
  readonly headers: Record<string, string>
  readonly body?: string
}

/** The SDK's status mapping: connect 503, timeout 408, over the cap 413. */
export const exchangeBytes = async (
  url: string,
  init: ExchangeInit,
  timeoutMs: number,
  maxBytes: number,
  interrupt: AbortSignal | undefined
): Promise<BytesExchange> => {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error("timeout"))
  }, Math.max(0, timeoutMs))
  const onInterrupt = () => controller.abort(new Error("interrupted"))
  interrupt?.addEventListener("abort", onInterrupt, { once: true })
  const t0 = performance.now()
  try {
    let res: Response
    try {
      res = await fetch(url, {
        method: init.method,
        headers: init.headers,
        signal: controller.signal,
        ...(init.body !== undefined ? { body: init.body } : {})
      })
    } catch (e) {
      return timedOut
        ? exchangeFail("Timeout", 408, `no answer within ${timeoutMs} ms`)
        : exchangeFail("ConnectError", 503, `cannot connect: ${errorMessage(e)}`)
    }
    const declared = Number(res.headers.get("content-length") ?? NaN)
    if (Number.isFinite(declared) && declared > maxBytes) {
      controller.abort(new Error("too large"))
      return exchangeFail("BodyTooLarge", 413, `content-length ${declared} > cap ${maxBytes}`)
    }
    const chunks: Array<Uint8Array> = []
    let total = 0
    if (res.body !== null) {
      const reader = res.body.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          total += value.byteLength
          if (total > maxBytes) {
            controller.abort(new Error("too large"))
            void reader.cancel().catch(() => undefined)
            return exchangeFail("BodyTooLarge", 413, `reply exceeded cap of ${maxBytes} bytes`)
          }
          chunks.push(value)
        }
      } catch (e) {
        return timedOut
          ? exchangeFail("Timeout", 408, `body not complete within ${timeoutMs} ms (${total} bytes read)`)
          : exchangeFail("ConnectError", 503, `connection lost while reading body: ${errorMessage(e)}`)
      }
    }
    const latencyMs = performance.now() - t0
    return { kind: "body", status: res.status, bytes: Buffer.concat(chunks, total), latencyMs, contentType: res.headers.get("content-type") }
  } finally {
    clearTimeout(timer)
    interrupt?.removeEventListener("abort", onInterrupt)
  }
}
