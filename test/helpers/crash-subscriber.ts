import mqtt, { type IClientOptions, type MqttClient, Store } from 'mqtt'
import type { IConnackPacket } from 'mqtt-packet'
import { Inbox, type Received } from './mqtt-inbox.js'
import { sleep } from './silence.js'

/** An mqtt.js store that survives its client: mqtt.js closes (and empties) the store when a client ends. */
class KeptStore extends Store {
  override close(cb: () => void): void {
    cb()
  }
}

/**
 * A persistent-session subscriber that outlives its connections: each `connect` makes a new mqtt.js
 * client with the same client id, cleanStart / clean false, and the same incoming-message store, so
 * mqtt.js's QoS 2 bookkeeping (a message is handed to the application once, at PUBREL) spans the
 * reconnects the way it would in one long-lived application. Every message the application was given,
 * over every connection, is in `received`.
 */
export class CrashSubscriber {
  private readonly incomingStore = new KeptStore()
  private readonly inboxes: Inbox[] = []
  private client: MqttClient | undefined

  constructor(
    readonly name: string,
    private readonly options: IClientOptions
  ) {}

  get online(): boolean {
    return this.client?.connected === true
  }

  /** Every message handed to the application so far, over all connections, in arrival order. */
  received(): Received[] {
    return this.inboxes.flatMap((inbox) => inbox.all)
  }

  /**
   * Hands out, at each call, the messages the application got since the call before (over every connection): a
   * poller that keeps its own tally reads only what is new, instead of every message so far at each look.
   */
  newMessages(): () => Received[] {
    const read: number[] = []
    return () => {
      const fresh: Received[] = []
      this.inboxes.forEach((inbox, index) => {
        for (let i = read[index] ?? 0; i < inbox.all.length; i++) fresh.push(inbox.all[i]!)
        read[index] = inbox.all.length
      })
      return fresh
    }
  }

  /** Every delivery with the number of the connection (0, 1, ...) it came on, for failure reports. */
  deliveries(): Array<{ connection: number; message: Received }> {
    return this.inboxes.flatMap((inbox, connection) => inbox.all.map((message) => ({ connection, message })))
  }

  async connect(url: string, clean = false): Promise<IConnackPacket> {
    this.drop()
    const client = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      resubscribe: false,
      ...this.options,
      clean,
      incomingStore: this.incomingStore
    })
    client.on('error', () => {
      /* a killed broker resets the socket; 'close' follows */
    })
    this.inboxes.push(new Inbox(client))
    this.client = client
    return await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve)
      client.once('close', () => reject(new Error(`${this.name}: closed before CONNACK`)))
    })
  }

  async subscribe(filter: string, qos: 1 | 2): Promise<void> {
    const granted = await this.client!.subscribeAsync(filter, { qos })
    if (granted[0]?.qos !== qos) throw new Error(`${this.name}: ${filter} granted ${JSON.stringify(granted)}`)
  }

  /** Disconnects cleanly (DISCONNECT sent) and gives the broker a moment to take the session offline. */
  async goOffline(): Promise<void> {
    const client = this.client
    this.client = undefined
    if (client?.connected === true) await client.endAsync()
    else client?.end(true)
    await sleep(50)
  }

  /** Forgets the current connection without a DISCONNECT (the broker is gone anyway). */
  drop(): void {
    this.client?.end(true)
    this.client = undefined
  }
}
