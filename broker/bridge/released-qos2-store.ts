import { Store } from 'mqtt'
import type { Packet } from 'mqtt-packet'

/**
 * mqtt.js's store of the remote's QoS 2 PUBLISHes awaiting PUBREL, replaced: the bridge publishes a remote QoS 2
 * message here when it arrives and keeps its packet id in its durable session (inbound.ts), so there is nothing
 * to keep in memory. A PUBREL asks `get` for the message; this releases the id and answers only once that is
 * durable, with "not kept", on which mqtt.js sends the PUBCOMP and emits no message. A PUBCOMP sent before the
 * release is stored could let the remote reuse the id for a new message that a restarted broker would then take
 * for the old one and drop [MQTT-4.3.3-10].
 */
export class ReleasedQos2Store extends Store {
  constructor(
    /** The remote released `packetId`; resolves once that is durable. */
    private readonly release: (packetId: number) => Promise<void>,
    private readonly failed: (error: Error) => void
  ) {
    super()
  }

  override put(_packet: Packet, done: (error?: Error) => void): this {
    done()
    return this
  }

  override get(packet: Pick<Packet, 'messageId'>, answer: (error?: Error, packet?: Packet) => void): this {
    this.release(packet.messageId ?? 0).then(
      () => answer(new Error('released')),
      (error: unknown) => this.failed(new Error(`the store failed, so the PUBREL was not completed: ${String(error)}`))
    )
    return this
  }

  override del(_packet: Pick<Packet, 'messageId'>, done: (error?: Error, packet?: Packet) => void): this {
    done()
    return this
  }
}
