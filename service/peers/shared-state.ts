import type { Logger } from 'pino'
import type { CommandRecord } from '../api/api-types.js'
import type { IngestRoute } from '../ingest/ingest.js'
import type { Publisher } from '../ingest/publisher.js'
import type { Reading } from '../reading.js'
import {
  COMMANDS_FILTER,
  commandChangeTopic,
  decodeCommandChange,
  decodeSharedReading,
  encodePeerMessage,
  encodeSharedReading,
  LAST_READING_FILTER,
  lastReadingTopic
} from './peer-topics.js'

/** How long the broker keeps a command's retained record after its last change, s. */
const COMMAND_RECORD_EXPIRY_S = 7 * 86_400

/** What this instance knows of a device's newest reading: its own, or another instance's. */
export interface NewestKnown {
  get(id: string): { lastReading?: Reading } | undefined
}

/** Who takes what the other instances share. */
export interface SharedStateReaders {
  registry: NewestKnown & { noteSharedReading(reading: Reading, retained: boolean): void }
  commands: { merge(change: CommandRecord): void }
}

/**
 * Active-active: what one instance learns that the others' APIs must answer for too, shared through the
 * broker. Readings are split between the instances (the shared subscription), so each publishes the newest
 * stored reading of every device in a batch as the device's retained last reading: every instance knows every
 * device and its last reading, an instance that starts later included, and the retained one is never ahead
 * of the history. Commands are sent by one instance but acknowledged on a topic every instance reads, so each
 * change of a command is published (QoS 1) to all: whichever instance gets the ack records it, and the others
 * take it (CommandTracker.merge). Each command's record is retained, so that an instance that starts later,
 * or comes back after another held its session, knows it too; with a Message Expiry of a week, so that the
 * broker drops it by itself rather than keeping one message per command for ever. An instance away for longer
 * than that has lost its session anyway (a day by default).
 */
export class SharedState {
  constructor(
    private readonly link: Publisher,
    private readonly logger: Pick<Logger, 'warn'>
  ) {}

  /** The subscriptions that bring the others' shares in; No Local, since this instance knows its own. */
  routes({ registry, commands }: SharedStateReaders): IngestRoute[] {
    return [
      {
        filter: LAST_READING_FILTER,
        noLocal: true,
        handle: ({ topic, payload, retain }) => {
          const shared = decodeSharedReading(payload)
          if (shared === undefined) {
            this.logger.warn({ topic }, 'a shared last reading the service cannot read')
            return
          }
          const { reading, replay } = shared
          // Two instances store readings of one device side by side, and the retained one is the last
          // published, not the newest: one behind what this instance knows is answered with the newer.
          const known = registry.get(reading.deviceId)?.lastReading
          if (known !== undefined && known.time > reading.time) this.publishLast(known, true)
          registry.noteSharedReading(reading, retain || replay)
        }
      },
      {
        filter: COMMANDS_FILTER,
        noLocal: true,
        handle: ({ topic, payload }) => {
          const change = decodeCommandChange(payload)
          if (change === undefined) this.logger.warn({ topic }, 'a shared command change the service cannot read')
          else commands.merge(change)
        }
      }
    ]
  }

  /**
   * A batch is in the history: publish the newest reading of each device in it, unless this instance knows a
   * newer one (a later batch of its own, or another instance's, which that instance published): a batch
   * stored late would otherwise put an older reading over the retained one, and tell the other instances of a
   * device heard now when it was not.
   */
  readingsStored(readings: readonly Reading[], known: NewestKnown): void {
    const newest = new Map<string, Reading>()
    for (const reading of readings) {
      const found = newest.get(reading.deviceId)
      if (found === undefined || reading.time >= found.time) newest.set(reading.deviceId, reading)
    }
    for (const reading of newest.values()) {
      const newer = known.get(reading.deviceId)?.lastReading
      if (newer === undefined || newer.time <= reading.time) this.publishLast(reading, false)
    }
  }

  private publishLast(reading: Reading, replay: boolean): void {
    // QoS 0: the next reading replaces a lost one, and a broker that is away costs the history nothing.
    this.link
      .publish(lastReadingTopic(reading.deviceId), encodeSharedReading({ reading, replay }), { qos: 0, retain: true })
      .catch(() => {})
  }

  /** Resolves once the broker has the change (QoS 1 PUBACK). */
  async shareCommand(record: CommandRecord): Promise<void> {
    await this.link.publish(commandChangeTopic(record), encodePeerMessage(record), {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: COMMAND_RECORD_EXPIRY_S }
    })
  }
}
