import type { IClientOptions } from 'mqtt'

/** What each of the service's MQTT connections is: where, who, and how it reconnects. */
export interface ServiceConnection {
  /** Brokers (mqtt:// or mqtts://), tried in turn on each reconnect. */
  urls: readonly string[]
  clientId: string
  username?: string
  password?: string
  reconnectMs?: number
}

/**
 * The mqtt.js options every connection of the service shares: MQTT 5 to the first broker, with mqtt.js's
 * `servers` list trying the others in turn on each reconnect, the login, and no QoS 0 queued while offline.
 */
export function serviceClientOptions(connection: ServiceConnection): IClientOptions {
  const servers = connection.urls.map((url) => {
    const parsed = new URL(url)
    const protocol = parsed.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts'
    return { host: parsed.hostname, port: Number(parsed.port || (protocol === 'mqtts' ? 8883 : 1883)), protocol }
  })
  return {
    ...servers[0],
    servers,
    clientId: connection.clientId,
    protocolVersion: 5,
    reconnectPeriod: connection.reconnectMs ?? 1000,
    connectTimeout: 10_000,
    queueQoSZero: false,
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password })
  }
}
