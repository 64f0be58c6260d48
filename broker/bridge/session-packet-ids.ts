import type { IClientOptions } from 'mqtt'

/** mqtt.js's interface of a packet id allocator (its type is not exported by name). */
type MessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>

/**
 * The packet ids mqtt.js gives the bridge's PUBLISHes to the remote: the ids the out direction's session gave them.
 * A message the session sends again after a lost link (DUP) then has the id it had, and a remote that kept our
 * session recognises a QoS 2 message it has already received [MQTT-4.3.3-10] instead of delivering it twice.
 * mqtt.js asks for an id as it makes a PUBLISH, in the order of the `publish` calls, so the ids wait in that order.
 * Anything else it numbers (the in direction's SUBSCRIBE) is numbered here, before the first PUBLISH goes out
 * (bridge.ts waits for the SUBACK), so no two outstanding packets share an id.
 */
export class SessionPacketIds implements MessageIdProvider {
  private readonly waiting: number[] = []
  private last: number | null = null
  private own = 0

  /** The next PUBLISH mqtt.js makes gets `packetId`. */
  use(packetId: number): void {
    this.waiting.push(packetId)
  }

  allocate(): number {
    const id = this.waiting.shift() ?? this.nextOwn()
    this.last = id
    return id
  }

  getLastAllocated(): number | null {
    return this.last
  }

  register(): boolean {
    return true
  }

  deallocate(): void {}

  clear(): void {
    this.waiting.length = 0
  }

  private nextOwn(): number {
    this.own = this.own === 0xffff ? 1 : this.own + 1
    return this.own
  }
}
