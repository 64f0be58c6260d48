import { connect, type Socket } from 'node:net'
import mqtt, { type IConnackPacket, type Packet } from 'mqtt-packet'

/**
 * A 5.0 publisher on a raw socket that keeps a window of QoS 1 / QoS 2 messages in flight and
 * records which ones the broker took responsibility for: a PUBACK (QoS 1) or PUBREC (QoS 2) with a
 * success reason code. mqtt.js reports QoS 2 only at PUBCOMP, too late for a crash test: the broker
 * owes the message from its PUBREC on. Publishing runs until `stop()` or until the connection drops.
 */

export interface Outgoing {
  seq: number
  qos: 1 | 2
  topic: string
}

interface InFlight extends Outgoing {
  stage: 'publish' | 'pubrel'
}

export class CrashPublisher {
  /** Every message sent, in order. */
  readonly sent: Outgoing[] = []
  /** Sequence numbers the broker acknowledged (PUBACK / PUBREC with reason code < 0x80). */
  readonly acknowledged = new Set<number>()
  /** Sequence numbers refused with a reason code ≥ 0x80, with the code. */
  readonly refused = new Map<number, number>()
  readonly closed: Promise<void>
  private readonly inflight = new Map<number, InFlight>()
  private nextPacketId = 1
  private running = false
  private isClosed = false
  private next: (() => Outgoing) | undefined
  private window = 1
  private connackWaiter: ((packet: IConnackPacket) => void) | undefined

  private constructor(private readonly socket: Socket) {
    const parser = mqtt.parser({ protocolVersion: 5 })
    parser.on('packet', (packet: Packet) => this.receive(packet))
    parser.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => parser.parse(chunk))
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true
        this.running = false
        resolve()
      })
    )
  }

  static async connect(port: number, clientId: string): Promise<CrashPublisher> {
    const socket = connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const publisher = new CrashPublisher(socket)
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      publisher.connackWaiter = resolve
      publisher.closed.then(() => reject(new Error('publisher: connection closed before CONNACK')), reject)
      publisher.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId, keepalive: 0 })
    })
    if (connack.reasonCode !== 0) throw new Error(`publisher: CONNACK reason code ${connack.reasonCode}`)
    return publisher
  }

  /** Publishes `next()` messages, keeping `window` of them unfinished, until `stop()` or the connection drops. */
  start(window: number, next: () => Outgoing): void {
    this.window = window
    this.next = next
    this.running = true
    this.pump()
  }

  stop(): void {
    this.running = false
  }

  destroy(): void {
    this.running = false
    this.socket.destroy()
  }

  private pump(): void {
    while (this.running && !this.isClosed && this.inflight.size < this.window) {
      const message = this.next!()
      const packetId = this.allocate()
      this.inflight.set(packetId, { ...message, stage: 'publish' })
      this.sent.push(message)
      this.send({
        cmd: 'publish',
        topic: message.topic,
        payload: Buffer.from(String(message.seq)),
        qos: message.qos,
        retain: false,
        dup: false,
        messageId: packetId
      })
    }
  }

  private allocate(): number {
    for (;;) {
      const id = this.nextPacketId
      this.nextPacketId = id === 65535 ? 1 : id + 1
      if (!this.inflight.has(id)) return id
    }
  }

  private receive(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack':
        this.connackWaiter?.(packet)
        return
      case 'puback':
      case 'pubrec': {
        const entry = this.inflight.get(packet.messageId!)
        if (entry === undefined || entry.stage !== 'publish') return
        const code = packet.reasonCode ?? 0
        if (code >= 0x80) {
          this.refused.set(entry.seq, code)
          this.inflight.delete(packet.messageId!)
        } else {
          this.acknowledged.add(entry.seq)
          if (packet.cmd === 'puback') {
            this.inflight.delete(packet.messageId!)
          } else {
            entry.stage = 'pubrel'
            this.send({ cmd: 'pubrel', messageId: packet.messageId! })
          }
        }
        break
      }
      case 'pubcomp':
        this.inflight.delete(packet.messageId!)
        break
      default:
        return
    }
    this.pump()
  }

  private send(packet: Packet): void {
    if (!this.isClosed) this.socket.write(mqtt.generate(packet, { protocolVersion: 5 }))
  }
}
