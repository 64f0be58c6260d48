import type { MqttClient } from 'mqtt'
import type { QoS } from 'mqtt-packet'
import type { Delivery, EncodedPublish } from '../message.js'
import { patchedHead } from '../publish-encoding.js'
import type { SessionLink } from '../session/session-link.js'
import type { BridgeSettings } from './bridge-settings.js'
import { type BridgedForm, bridgedPublish } from './bridged-publish.js'
import { bridgedTopicOf, toRemoteTopic } from './topic-mapping.js'

/** What the out direction hears from its link. */
export interface OutLinkEvents {
  /** The remote acknowledged the message the session sent as `packetId` (0 for QoS 0: handed to the socket). */
  forwarded(packetId: number): void
  /** The remote refused it (5.0 PUBACK / PUBREC reason code of 0x80 or more): it is done, and dropped. */
  refused(packetId: number, remoteTopic: string, error: Error): void
  /** Echo bookkeeping for 3.1.1 remotes: called as the message is handed to the remote. */
  sending(remoteTopic: string, payload: Buffer): void
}

const NOTHING = Buffer.alloc(0)
const noop = (): void => {}

/**
 * The out direction's session sees the remote through this link, as a client's session sees its connection: each
 * delivery becomes a PUBLISH to the remote, encoded here in one buffer (bridged-publish.ts) with the session's
 * packet id and its topic mapped by the bridged topic it matched, and written to the mqtt.js client's socket with
 * the others of the same turn of the event loop in one write. A QoS 1/2 one is entered in mqtt.js's table of
 * outgoing packets, so mqtt.js hands the remote's PUBACK (QoS 1) or runs the QoS 2 exchange and hands its PUBCOMP
 * to the session as the client's; the session's record stays at 'publish' until then. After a lost link the
 * session sends it again with DUP and the same id, which a remote that kept our session answers with PUBREC
 * without delivering it twice.
 */
export class OutLink implements SessionLink {
  readonly protocolVersion = 5
  private open = true
  /** The PUBLISHes of this turn of the event loop, written together when it ends. */
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** An acknowledgement came since the last write. */
  private acknowledged = false

  constructor(
    private readonly client: MqttClient,
    private readonly settings: BridgeSettings,
    /** This broker's node name, added to the bridge path of every message forwarded (5.0). */
    private readonly node: string,
    readonly sendWindow: number,
    private readonly events: OutLinkEvents
  ) {}

  get isOpen(): boolean {
    return this.open
  }

  /** QoS 0 messages are dropped once as many bytes wait unwritten as the bridge's queue may hold (as for a client). */
  get isCongested(): boolean {
    return !this.client.connected || this.pendingBytes + (this.client.stream?.writableLength ?? 0) > this.settings.queueMaxBytes
  }

  /** Local publishers are not held for the remote: past queue_max_bytes unsent, QoS 0 is dropped (isCongested). */
  socketBacklogWait(): undefined {
    return undefined
  }

  /** The connection is gone: acknowledgements that still arrive through it no longer count. */
  close(): void {
    this.open = false
  }

  encodePublish(delivery: Delivery): BridgedForm {
    return bridgedPublish(delivery, this.topicOf(delivery), this.settings.protocolVersion, this.node)
  }

  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void {
    const { remoteTopic, payload, shared, bytes } = encoded as BridgedForm
    this.events.sending(remoteTopic, payload)
    if (packetId === 0) {
      this.write(bytes)
      this.events.forwarded(0)
      return
    }
    if (shared) {
      const head = patchedHead(encoded, packetId, dup)
      this.write(head)
      if (head.length < bytes.length) this.write(bytes.subarray(head.length))
    } else {
      // Made for this send alone (the session encodes each send anew): no copy needed to give it its packet id.
      bytes.writeUInt16BE(packetId, encoded.idOffset)
      if (dup) bytes[0] = bytes[0]! | 0x08
      this.write(bytes)
    }
    // mqtt.js completes an exchange by deleting the packet from its store too, and takes a missing one for an error.
    const qos = ((bytes[0]! >> 1) & 3) as QoS
    this.client.outgoingStore.put(
      { cmd: 'publish', qos, messageId: packetId, topic: remoteTopic, payload: NOTHING, retain: false, dup },
      noop
    )
    this.client.outgoing[packetId] = {
      volatile: false,
      cmd: 'publish',
      cb: (error, answer) => {
        this.acknowledged = true
        // The session sends it again on the next connection: this one is closed, or it ended before the remote
        // answered (with clean start mqtt.js then gives up what is in flight: an error with no packet).
        if (!this.open || answer === undefined) return
        if (error !== undefined && error !== null) this.events.refused(packetId, remoteTopic, error)
        else this.events.forwarded(packetId)
      }
    }
  }

  /** Never asked: mqtt.js completes QoS 2 exchanges itself, so no record of this session waits for a PUBREL. */
  sendPubrel(packetId: number): void {
    this.events.forwarded(packetId)
  }

  /** Only a connection of the bridge's own client id could take the session over, and clients cannot use it. */
  disconnect(): void {
    this.open = false
    this.client.end(true)
  }

  /**
   * Adds `bytes` to this turn's write: the session sends a message per PUBACK, PUBACKs arriving in a batch being
   * handled one by one, and a burst of QoS 0 one per message read; one write each would cost a system call each.
   */
  private write(bytes: Buffer): void {
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
    if (this.pending.length === 1) setImmediate(() => this.flush())
  }

  private flush(): void {
    const { pending, pendingBytes } = this
    this.pending = []
    this.pendingBytes = 0
    const stream = this.client.stream
    // A connection gone meanwhile: what was in flight is resent on the next one, QoS 0 is lost with it.
    if (!this.client.connected || stream === undefined || stream.destroyed) return
    stream.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes))
    if (this.acknowledged) {
      // The remote answered since the last write: its keepalive ping can wait (the bridge's client does not put it
      // off for every packet itself, see remote-link.ts). Once a turn, not once per PUBACK.
      this.acknowledged = false
      this.client.reschedulePing(true)
    }
  }

  private topicOf(delivery: Delivery): string {
    const id = delivery.subscriptionIds?.[0]
    const bridged =
      (id === undefined ? undefined : this.settings.topics[id - 1]) ?? bridgedTopicOf(this.settings.topics, 'local', delivery.message.topic)
    return bridged === undefined ? delivery.message.topic : toRemoteTopic(bridged, delivery.message.topic)
  }
}
