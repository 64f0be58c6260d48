/**
 * What a Connection needs of its transport: exactly the members it uses. A net.Socket or TLSSocket fits
 * as it is (the hot path stays the plain socket); a WebSocket fits through `WebSocketSocket`.
 */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined
  readonly destroyed: boolean
  readonly writableLength: number
  setNoDelay(noDelay?: boolean): unknown
  cork(): void
  uncork(): void
  write(chunk: Buffer): boolean
  pause(): unknown
  resume(): unknown
  end(): unknown
  destroySoon(): void
  destroy(): unknown
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'error' | 'close' | 'drain', listener: () => void): unknown
  once(event: 'drain', listener: () => void): unknown
}
