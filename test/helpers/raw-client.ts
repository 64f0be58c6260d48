import { connect, type Socket } from 'node:net'
import mqtt, { type Packet } from 'mqtt-packet'

/**
 * A client on a bare socket, for what real clients refuse to send: malformed bytes, protocol
 * violations, exact packet sequences. Packets it receives are parsed with mqtt-packet.
 */
export class RawClient {
  private readonly received: Packet[] = []
  private waiter: (() => void) | undefined
  private readonly parser
  readonly closed: Promise<void>
  isClosed = false

  private constructor(
    readonly socket: Socket,
    protocolVersion: 3 | 4 | 5
  ) {
    this.parser = mqtt.parser({ protocolVersion })
    this.parser.on('packet', (packet: Packet) => {
      this.received.push(packet)
      this.wake()
    })
    this.parser.on('error', () => {
      /* the test reads what arrived before the garbage */
    })
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk))
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      })
    )
  }

  static async open(port: number, protocolVersion: 3 | 4 | 5 = 4): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket, protocolVersion)
  }

  send(packet: Packet, protocolVersion: 3 | 4 | 5 = 4): void {
    this.socket.write(mqtt.generate(packet, { protocolVersion }))
  }

  sendBytes(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes))
  }

  /** The next packet from the broker; rejects after `timeoutMs`, or when the socket closes first. */
  async next(timeoutMs = 2000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs
    while (this.received.length === 0) {
      if (this.isClosed) throw new Error('connection closed before a packet arrived')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    return this.received.shift()!
  }

  /** Resolves true when the broker closes the socket within `timeoutMs`. */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const result = await Promise.race([this.closed.then(() => true), timeout])
    clearTimeout(timer)
    return result
  }

  /** Packets received and not yet taken by `next`. */
  pending(): Packet[] {
    return this.received.splice(0)
  }

  destroy(): void {
    this.socket.destroy()
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
