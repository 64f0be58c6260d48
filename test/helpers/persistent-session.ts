import type { IConnectPacket } from 'mqtt-packet'

/** CONNECT fields of a 5.0 session that outlives its connection: Clean Start 0 (unless `clean`) and a Session Expiry Interval. */
export function persistentSession(clientId: string, sessionExpiryInterval = 60, clean = false): Partial<IConnectPacket> {
  return { clientId, clean, properties: { sessionExpiryInterval } }
}
