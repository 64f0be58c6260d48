import mqtt, { type MqttClient } from 'mqtt'
import type { InstanceInfo, PeerStatus } from '../api/api-types.js'
import { decodePresence, PRESENCE_FILTER } from './peer-topics.js'

export interface RivalCheckOptions {
  urls: readonly string[]
  username?: string
  password?: string
  self: InstanceInfo
  /** How long the retained announcements may take to arrive after the SUBACK, ms. */
  quietMs?: number
  /** Give up (and let the instance start) after this long without a broker, ms. */
  timeoutMs?: number
}

/**
 * Whether the broker's retained announcements show a running instance that this one would split the readings
 * with, every instance being a member of the one shared subscription group: for an instance on the SQLite
 * history any other client id (its readings would go to another file), for an active-active one an instance
 * on SQLite; and for both, one with the same client id on another machine or data directory. With the same
 * client id, machine and directory it is this instance's predecessor, dead (the directory's lock says so) or
 * this instance itself before a restart, whose will may not be out yet. Asked once, before the readings are
 * subscribed, on a connection of its own to the first broker; undefined too when it does not answer (the
 * instance then starts and retries, as it always did).
 */
export async function findRival(options: RivalCheckOptions): Promise<PeerStatus | undefined> {
  const { self } = options
  const rivals = (peer: PeerStatus): boolean => {
    if (peer.state !== 'active' && peer.state !== 'adopted') return false
    // The same session from another machine or directory: the two would take it from each other for ever.
    if (peer.clientId === self.clientId) return peer.host !== self.host || peer.dataDir !== self.dataDir
    return self.mode === 'active-standby' || peer.mode !== 'active-active'
  }
  const url = new URL(options.urls[0]!)
  let client: MqttClient
  try {
    client = await mqtt.connectAsync({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883)),
      protocol: url.protocol === 'mqtts:' ? 'mqtts' : 'mqtt',
      protocolVersion: 5,
      clientId: `${self.clientId}-check-${self.pid}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs ?? 5000,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password })
    })
  } catch {
    return undefined
  }
  try {
    const found: PeerStatus[] = []
    client.on('message', (_topic, payload) => {
      const peer = decodePresence(payload)
      if (peer !== undefined && rivals(peer)) found.push(peer)
    })
    await client.subscribeAsync(PRESENCE_FILTER, { qos: 1 })
    await new Promise((resolve) => setTimeout(resolve, options.quietMs ?? 300))
    return found[0]
  } finally {
    await client.endAsync(true)
  }
}

/** Why the instance does not start, and what to do instead. */
export function rivalMessage(rival: PeerStatus, self: InstanceInfo): string {
  const history = (mode: InstanceInfo['mode']): string => (mode === 'active-active' ? 'InfluxDB' : 'SQLite')
  const instead =
    self.mode === 'active-standby'
      ? 'with the SQLite history a second instance runs on the same --data-dir and --client-id, where it waits as a standby'
      : 'an instance on the SQLite history keeps only the readings it gets'
  return (
    `another service instance is running on this broker: ${rival.clientId} on ${rival.host} (pid ${rival.pid}, ${history(rival.mode)} history). ` +
    `Instances split the readings between them, and ${instead}; for several active instances give every one ` +
    '--history influx://USER:PASS@HOST:PORT/DB and its own --client-id'
  )
}
