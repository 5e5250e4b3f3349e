// A TCP proxy whose connections can be cut (both sides), with backpressure-safe piping (test support: the chain
// tests put it between @polkadot/api and chopsticks to drop the WebSocket mid-session).
import type { Socket, TCPSocketListener } from "bun"

interface Pipe {
  peer: Socket<Pipe> | undefined
  pending: Array<Uint8Array>
}
const flush = (s: Socket<Pipe>) => {
  while (s.data.pending.length > 0) {
    const chunk = s.data.pending[0]!
    const n = s.write(chunk)
    if (n < chunk.length) {
      s.data.pending[0] = chunk.subarray(Math.max(0, n))
      return
    }
    s.data.pending.shift()
  }
}
const send = (to: Socket<Pipe> | undefined, from: Socket<Pipe>, data: Uint8Array) => {
  if (to === undefined) {
    from.data.pending.push(new Uint8Array(data)) // upstream not open yet: buffer on the client side
    return
  }
  to.data.pending.push(new Uint8Array(data))
  flush(to)
}

export interface Proxy {
  readonly port: number
  /** While down, new connections are cut at once (the node looks unreachable). */
  readonly setDown: (down: boolean) => void
  readonly refused: () => number
  readonly connections: () => number
  readonly cutAll: () => number
  readonly stop: () => void
}

export const startProxy = (target: { hostname: string; port: number }): Proxy => {
  const live = new Set<Socket<Pipe>>()
  let down = false
  let refused = 0
  const server: TCPSocketListener<Pipe> = Bun.listen<Pipe>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { peer: undefined, pending: [] }
        if (down) {
          refused++
          client.terminate()
          return
        }
        live.add(client)
        void Bun.connect<Pipe>({
          hostname: target.hostname,
          port: target.port,
          socket: {
            open(up) {
              up.data = { peer: client, pending: [] }
              client.data.peer = up
              live.add(up)
              // bytes the client sent before upstream opened
              const early = client.data.pending.splice(0)
              for (const chunk of early) send(up, client, chunk)
            },
            data(up, data) {
              send(up.data.peer, up, data)
            },
            drain(up) {
              flush(up)
            },
            close(up) {
              live.delete(up)
              up.data.peer?.end()
            },
            error(up) {
              up.data.peer?.end()
            }
          }
        }).catch(() => client.end())
      },
      data(client, data) {
        send(client.data.peer, client, data)
      },
      drain(client) {
        if (client.data.peer !== undefined) flush(client)
      },
      close(client) {
        live.delete(client)
        client.data.peer?.end()
      },
      error(client) {
        client.data.peer?.end()
      }
    }
  })
  return {
    port: server.port,
    setDown: (d) => {
      down = d
    },
    refused: () => refused,
    connections: () => live.size,
    cutAll: () => {
      const n = live.size
      for (const s of [...live]) s.terminate()
      live.clear()
      return n
    },
    stop: () => server.stop(true)
  }
}

