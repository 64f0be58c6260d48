import type { Logger } from 'pino'
import type { AlertRecord } from '../api/api-types.js'
import type { IngestRoute } from '../ingest/ingest.js'
import type { Publisher } from '../ingest/publisher.js'
import { ServiceError } from '../service-error.js'
import {
  ALERT_ACKS_FILTER,
  ALERTS_FILTER,
  alertAckTopic,
  alertIdOf,
  alertTopic,
  decodeAlertAckRequest,
  decodeAlertRecord,
  encodePeerMessage
} from './peer-topics.js'

/** Who takes the alerts the others share: every instance's alert monitor. */
export interface SharedAlertReader {
  /** Whether this instance evaluates the rules now. */
  leads(): boolean
  merge(record: AlertRecord): void
  forget(id: string): void
  acknowledgeRequested(id: string, at: number): void
}

/**
 * Active-active alerts through the broker. One instance at a time evaluates the rules (the alert leader,
 * peers/alert-leadership.ts) and publishes each alert's record retained, QoS 1, on its own topic, again on
 * each change and empty once it forgets the alert: every instance lists the same alerts, one started later
 * too, and a new leader resumes from them instead of raising again what is open. A person acknowledging an
 * alert through another instance's API is a request to the leader on a topic of its own; every instance
 * reads the requests, so that one made while no instance leads (a handover) is recorded by the next leader.
 */
export class SharedAlerts {
  /** When this instance last logged that another leads beside it, ms. */
  private splitLoggedAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly link: Publisher & { readonly connected: boolean },
    private readonly logger: Pick<Logger, 'warn'>
  ) {}

  /**
   * The leader's records and the requests. No Local on the records: the leader knows its own. Not on the
   * requests: the instance that asked keeps its request too, for the case that it leads next.
   */
  routes(alerts: SharedAlertReader): IngestRoute[] {
    return [
      {
        filter: ALERTS_FILTER,
        noLocal: true,
        handle: ({ topic, payload }) => {
          const id = alertIdOf(topic)
          if (payload.length === 0) {
            if (id !== undefined) alerts.forget(id)
            return
          }
          const record = decodeAlertRecord(payload)
          if (record === undefined || record.id !== id) this.logger.warn({ topic }, 'a shared alert the service cannot read')
          else {
            if (alerts.leads()) this.noteOtherLeader()
            alerts.merge(record)
          }
        }
      },
      {
        filter: ALERT_ACKS_FILTER,
        handle: ({ topic, payload }) => {
          const id = alertIdOf(topic)
          const request = decodeAlertAckRequest(payload)
          if (id === undefined || request === undefined) this.logger.warn({ topic }, 'an alert acknowledgement the service cannot read')
          else alerts.acknowledgeRequested(id, request.acknowledgedAt)
        }
      }
    ]
  }

  /**
   * Only a leader publishes records, so one that comes in while this instance leads says that another leads
   * too: a split (an announcement lost, a partition) or the moment of a handover. The monitor merges their
   * alerts; the operator hears of it, once a minute at most.
   */
  private noteOtherLeader(): void {
    const now = Date.now()
    if (now - this.splitLoggedAt < 60_000) return
    this.splitLoggedAt = now
    this.logger.warn(
      'another instance publishes alert records while this one leads the alerts: two instances lead at once, and their alerts are merged'
    )
  }

  publish(alert: AlertRecord): void {
    this.send(alertTopic(alert.id), encodePeerMessage(alert), true)
  }

  /** [MQTT-3.3.1-10] An empty retained message removes the retained one: the broker keeps no record of a forgotten alert. */
  forget(id: string): void {
    this.send(alertTopic(id), Buffer.alloc(0), true)
  }

  /**
   * Throws ServiceError 'broker-unavailable' without a broker, rather than answer a person that the alert is
   * acknowledged when the leader cannot hear of it. Once the link has it, the QoS 1 request is resent until
   * the broker has it, across reconnects.
   */
  requestAcknowledge(id: string, at: number): void {
    if (!this.link.connected) throw new ServiceError('broker-unavailable')
    this.send(alertAckTopic(id), encodePeerMessage({ acknowledgedAt: at }), false)
  }

  /** QoS 1, not waited for: nothing in the alert monitor waits for the broker; a change it cannot take is logged. */
  private send(topic: string, payload: Buffer, retain: boolean): void {
    this.link.publish(topic, payload, { qos: 1, retain }).catch((error: unknown) => {
      this.logger.warn({ err: error, topic }, 'sharing an alert change failed')
    })
  }
}
