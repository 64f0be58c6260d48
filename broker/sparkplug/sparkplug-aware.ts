import { ContractError } from '../../common/contract/contract-error.js'
import { decodeSparkplugPayload, encodeSparkplugPayload } from '../../common/sparkplug/sparkplug-payload.js'
import { parseSparkplugTopic, SPARKPLUG_NAMESPACE } from '../../common/sparkplug/sparkplug-topics.js'
import type { Message } from '../message.js'

/** Where a Sparkplug Aware server makes the births it keeps available, retained. */
export const CERTIFICATES_ROOT = `$sparkplug/certificates/${SPARKPLUG_NAMESPACE}`

/**
 * The Sparkplug Aware MQTT Server's part of the publish pipeline (Sparkplug 3.0, conformance profiles): it
 * reads the topic of each message, and only an NBIRTH, DBIRTH or NDEATH costs more than a split.
 *
 * - Births are kept: the publisher copies each NBIRTH and DBIRTH, retained, to
 *   `$sparkplug/certificates/spBv1.0/{group}/NBIRTH/{edge node}` and `.../DBIRTH/{edge node}/{device}`, so a
 *   host application that connects late reads every edge node's last birth without asking for a rebirth. Edge
 *   nodes publish births with QoS 0 and retain false, so the copy is what keeps them; a new birth replaces it.
 *   [tck-id-conformance-mqtt-aware-store] [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic]
 *   [tck-id-conformance-mqtt-aware-nbirth-mqtt-retain] [tck-id-conformance-mqtt-aware-dbirth-mqtt-topic]
 *   [tck-id-conformance-mqtt-aware-dbirth-mqtt-retain]
 * - With `stampDeathTimestamp`, an NDEATH (an edge node's will, usually written at CONNECT time, long before it
 *   fires) gets the time the broker delivers it as its payload timestamp. [tck-id-conformance-mqtt-aware-ndeath-timestamp]
 */
export class SparkplugAware {
  constructor(private readonly options: { stampDeathTimestamp: boolean }) {}

  /** The `$sparkplug/certificates/...` topic a message's copy is kept on, or undefined when it is no birth. */
  certificateTopic(topic: string): string | undefined {
    if (!topic.startsWith(SPARKPLUG_NAMESPACE)) return undefined
    const parsed = parseSparkplugTopic(topic)
    if (parsed?.kind === 'node' && parsed.type === 'NBIRTH') return `${CERTIFICATES_ROOT}/${parsed.group}/NBIRTH/${parsed.edgeNode}`
    if (parsed?.kind === 'device' && parsed.type === 'DBIRTH')
      return `${CERTIFICATES_ROOT}/${parsed.group}/DBIRTH/${parsed.edgeNode}/${parsed.device}`
    return undefined
  }

  /**
   * The message as it is routed: an NDEATH with its timestamp set to now when stamping is on, else the same
   * message. A payload that is no Sparkplug payload goes through as it came.
   */
  beforeRoute(message: Message, now = Date.now()): Message {
    if (!this.options.stampDeathTimestamp || !message.topic.startsWith(SPARKPLUG_NAMESPACE)) return message
    const parsed = parseSparkplugTopic(message.topic)
    if (parsed?.kind !== 'node' || parsed.type !== 'NDEATH') return message
    let payload: ReturnType<typeof decodeSparkplugPayload>
    try {
      payload = decodeSparkplugPayload(message.payload)
    } catch (error) {
      if (error instanceof ContractError) return message
      throw error
    }
    // A new payload: the encoded forms cached from the publisher's own bytes no longer hold.
    return { ...message, payload: encodeSparkplugPayload({ ...payload, timestamp: now }), forms: undefined }
  }
}
