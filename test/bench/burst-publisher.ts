import type { MqttClient } from 'mqtt'

/** A reading-sized payload, the same in every burst bench. */
const BURST_PAYLOAD = Buffer.from('{"t":21.5,"h":40}')
/** How long a bench waits for more before it counts what arrived (QoS 0 may be dropped). */
export const QUIET_MS = 3000
/** QoS 1 publishes kept unacknowledged at once. */
const WINDOW = 200

/**
 * Publishes `count` messages on `<prefix>/0` .. `<prefix>/99`: QoS 0 as fast as the client can (yielding now and
 * then so its socket drains), QoS 1 with WINDOW publishes unacknowledged.
 */
export async function publishBurst(client: MqttClient, prefix: string, qos: 0 | 1, count: number): Promise<void> {
  if (qos === 0) {
    for (let i = 0; i < count; i++) {
      client.publish(`${prefix}/${i % 100}`, BURST_PAYLOAD, { qos: 0 })
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    return
  }
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++
      await client.publishAsync(`${prefix}/${next % 100}`, BURST_PAYLOAD, { qos: 1 })
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, lane))
}
