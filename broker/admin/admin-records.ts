import type { AdminClient, AdminRetained, AdminSession } from '../../common/admin-api-records.js'
import type { Connection } from '../connection.js'
import { certificateCommonName } from '../listeners/certificate-identity.js'
import type { Message } from '../message.js'
import type { Session } from '../session/session.js'

/** MQTT's names of the protocol levels. */
export const PROTOCOL_VERSION_NAMES: Readonly<Record<number, string>> = { 3: '3.1', 4: '3.1.1', 5: '5.0' }

export function adminClient(connection: Connection): AdminClient {
  const session = connection.session!
  return {
    clientId: connection.clientId,
    address: connection.remoteAddress ?? null,
    listener: connection.listener.name,
    protocolVersion: PROTOCOL_VERSION_NAMES[connection.protocolVersion]!,
    username: connection.username ?? null,
    certificateCN: certificateCommonName(connection.socket) ?? null,
    keepalive: connection.keepalive,
    connectedSince: connection.connectedSince,
    subscriptions: Array.from(session.subscriptions.values(), ({ fullFilter, qos }) => ({ filter: fullFilter, qos })),
    inflight: session.inflight.size,
    queued: session.queued.messages
  }
}

export function adminSession(session: Session): AdminSession {
  return {
    clientId: session.clientId,
    connected: session.isConnected,
    expiresAt: session.isConnected ? null : (session.expiresAt ?? null),
    subscriptions: session.subscriptions.size,
    queued: session.queued.messages
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function adminRetained(message: Message): AdminRetained {
  let text: string | null
  try {
    text = utf8.decode(message.payload)
  } catch {
    text = null
  }
  return {
    topic: message.topic,
    qos: message.qos,
    size: message.payload.length,
    payload: text,
    payloadBase64: message.payload.toString('base64')
  }
}
