import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { ClientSocket } from './client-socket.js'
import { loadWs } from './load-ws.js'

/**
 * One WebSocket as a ClientSocket: the byte stream of its binary messages (a message may hold several
 * MQTT packets or part of one; the Connection's parser frames them) with the socket-only members added.
 */
export class WebSocketSocket implements ClientSocket {
  private readonly stream: Duplex
  /** A text frame came: nothing more is read, and the WebSocket is closing. */
  private refused = false

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string | undefined
  ) {
    // [MQTT-6.0.0-1]: MQTT travels in binary frames only; any other data frame closes the connection.
    // Listening before the stream does, so a text frame's bytes are never handed to the parser.
    ws.on('message', (_data, isBinary) => {
      if (isBinary || this.refused) return
      this.refused = true
      ws.close(1003, 'MQTT needs binary frames')
    })
    this.stream = loadWs().createWebSocketStream(ws)
  }

  get destroyed(): boolean {
    return this.stream.destroyed
  }
  get writableLength(): number {
    return this.stream.writableLength + this.ws.bufferedAmount
  }

  /** The WebSocket's TCP socket already has Nagle off (ws sets it); nothing to do. */
  setNoDelay(): this {
    return this
  }
  cork(): void {
    this.stream.cork()
  }
  uncork(): void {
    this.stream.uncork()
  }
  write(chunk: Buffer): boolean {
    return this.stream.write(chunk)
  }
  pause(): this {
    this.stream.pause()
    return this
  }
  resume(): this {
    this.stream.resume()
    return this
  }
  end(): this {
    this.stream.end()
    return this
  }
  /** Ends the stream (a WebSocket close frame follows), then lets the destroy come after the flush. */
  destroySoon(): void {
    this.stream.end()
    if (this.stream.writableFinished) this.stream.destroy()
    else this.stream.once('finish', () => this.stream.destroy())
  }

  destroy(): this {
    this.stream.destroy()
    return this
  }

  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: 'error' | 'close' | 'drain', listener: () => void): this
  on(event: string, listener: (chunk: Buffer) => void): this {
    if (event === 'data')
      this.stream.on(event, (chunk: Buffer) => {
        if (!this.refused) listener.call(this, chunk)
      })
    else this.stream.on(event, listener.bind(this))
    return this
  }

  once(event: 'drain', listener: () => void): this {
    this.stream.once(event, listener.bind(this))
    return this
  }
}
