import { connect, type Socket } from 'node:net'
import mqtt from 'mqtt-packet'
import { PacketFramer, type PacketHandler } from './mqtt-framing.js'
import { PROTOCOL_VERSION } from './publish-template.js'

const CONNACK = 2
const SUBACK = 9
const DISCONNECT = mqtt.generate({ cmd: 'disconnect' })
const HANDSHAKE_TIMEOUT_MS = 10_000
/**
 * Every client reads into this one buffer (net's `onread`): no Buffer per read and no stream
 * machinery, which is most of the generator's cost with hundreds of subscribers. Sharing it is
 * safe because each read is handled synchronously and the framer copies what it keeps.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/**
 * One MQTT 3.1.1 connection on a bare socket: CONNECT and SUBSCRIBE are awaited here, everything
 * after is handed raw to the workload's `onPacket`, with `afterChunk` once per socket read so a
 * workload can answer a whole read (PUBACKs, refills) with one write.
 */
export class BenchClient {
  onPacket: PacketHandler = () => {}
  afterChunk: () => void = () => {}
  /** Set when the broker closed the connection before `close()` was called. */
  lostReason: string | undefined
  private awaited: { type: number; resolve: (byte: number) => void } | undefined
  private readonly onRead: (length: number) => void
  private closing = false

  private constructor(private readonly socket: Socket) {
    const framer = new PacketFramer((type, flags, buffer, start, end) => {
      const awaited = this.awaited
      if (awaited?.type === type) {
        this.awaited = undefined
        // CONNACK: return code at body[1]; SUBACK: granted QoS of the one filter at body[2].
        awaited.resolve(buffer[type === CONNACK ? start + 1 : start + 2])
      } else {
        this.onPacket(type, flags, buffer, start, end)
      }
    })
    this.onRead = (length) => {
      framer.push(READ_BUFFER.subarray(0, length))
      this.afterChunk()
    }
    socket.on('error', (error) => {
      this.lostReason ??= error.message
    })
    socket.on('close', () => {
      if (!this.closing) this.lostReason ??= 'closed by the broker'
    })
  }

  /**
   * `clean` false: a persistent session (3.1.1), kept by the broker after the connection ends.
   * `beforeConnect` installs the workload's handlers before CONNECT is sent: a resumed session's
   * queued PUBLISHes can arrive in the same read as the CONNACK, before `open` has resolved.
   */
  static async open(
    port: number,
    clientId: string,
    clean = true,
    beforeConnect: (client: BenchClient) => void = () => {}
  ): Promise<BenchClient> {
    // The read callback must exist before the socket does; it forwards to the client made below.
    let client: BenchClient | undefined
    const socket = connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length) => {
          client?.onRead(length)
          return true
        }
      }
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    client = new BenchClient(socket)
    beforeConnect(client)
    // Keepalive 0: the broker must not expect PINGREQs, so idle connections stay idle.
    const returnCode = await client.request(
      CONNACK,
      mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: PROTOCOL_VERSION, clientId, clean, keepalive: 0 })
    )
    if (returnCode !== 0) throw new Error(`CONNACK return code ${returnCode} for ${clientId}`)
    return client
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<void> {
    const granted = await this.request(
      SUBACK,
      mqtt.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] }, { protocolVersion: PROTOCOL_VERSION })
    )
    if (granted !== qos) throw new Error(`SUBACK granted ${granted} for ${topic}, asked ${qos}`)
  }

  /** false means the socket's buffer is full: wait for `drained()` before writing more. */
  write(bytes: Buffer): boolean {
    return this.socket.write(bytes)
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.socket.once('drain', resolve))
  }

  close(): void {
    this.closing = true
    this.socket.destroy()
  }

  /** Sends DISCONNECT and resolves once the broker has closed the connection [MQTT-3.14.4-1]. */
  async disconnect(): Promise<void> {
    this.closing = true
    const closed = new Promise((resolve) => this.socket.once('close', resolve))
    this.socket.end(DISCONNECT)
    await closed
  }

  private request(responseType: number, packet: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply of type ${responseType} within ${HANDSHAKE_TIMEOUT_MS} ms`)),
        HANDSHAKE_TIMEOUT_MS
      )
      this.awaited = {
        type: responseType,
        resolve: (byte) => {
          clearTimeout(timer)
          resolve(byte)
        }
      }
      this.socket.once('close', () => {
        clearTimeout(timer)
        reject(new Error(`connection closed before reply of type ${responseType}`))
      })
      this.socket.write(packet)
    })
  }
}
