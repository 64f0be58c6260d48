import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { AdapterDispatcher } from '../adapters/adapter-dispatcher.js'
import type { Reading } from '../reading.js'
import { type ServiceConnection, serviceClientOptions } from './service-client-options.js'

export interface ReadingFeedOptions extends ServiceConnection {
  /** Decodes what the adapters' filters bring, as ingest does; one of its own, so that nothing is counted twice. */
  dispatcher: AdapterDispatcher
  onReading: (reading: Reading) => void
  logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * Every reading as it comes, on a connection of its own with plain (not shared) subscriptions to the
 * adapters' filters: for the part of one active-active instance that must see all of them (the alert
 * leader), while ingest gets only its share. Nothing is stored or acknowledged on its account, so the
 * session is a clean one that ends with the connection: what the feed misses while it is away is in the
 * history anyway. Retained messages are skipped: one replayed at subscribe time is an old reading, not news.
 */
export class ReadingFeed {
  private client: MqttClient | undefined

  constructor(private readonly options: ReadingFeedOptions) {}

  /** Connects and subscribes (again on every reconnect); does nothing while it runs. */
  start(): void {
    if (this.client !== undefined) return
    const { dispatcher, onReading, logger } = this.options
    const client = mqtt.connect({ ...serviceClientOptions(this.options), clean: true, resubscribe: false })
    this.client = client
    client.on('connect', () => {
      const plan = dispatcher.subscriptionPlan()
      Promise.all(
        plan.map(({ topic, subscriptionIdentifier }) => client.subscribeAsync(topic, { qos: 1, properties: { subscriptionIdentifier } }))
      )
        .then(() => logger.info({ clientId: this.options.clientId }, 'reading every reading, for the alert rules'))
        .catch((error: unknown) => logger.warn({ err: error }, 'subscribing the reading feed failed; trying again on the next connect'))
    })
    client.on('message', (topic, payload, packet) => {
      if (packet.retain) return
      const { result } = dispatcher.dispatch(topic, payload, Date.now(), packet.properties?.subscriptionIdentifier)
      if (result.kind === 'readings') for (const reading of result.readings) onReading(reading)
    })
    client.on('error', (error) => logger.warn({ err: error }, 'reading feed connection error'))
  }

  /** Disconnects; `start` connects again. */
  async stop(): Promise<void> {
    const client = this.client
    this.client = undefined
    await client?.endAsync(true)
  }
}
