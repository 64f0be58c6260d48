import type { AdminClient, AdminRetained, AdminSession } from '../../common/admin-api-records.js'
import type { BridgeDropReason, BridgeQueueDepth, BridgeState } from '../bridge/bridge-state.js'
import type { Connection } from '../connection.js'
import { certificateCommonName } from '../listeners/certificate-identity.js'
import type { Message } from '../message.js'
import type { Session } from '../session/session.js'
import { redactedUrl } from './effective-config.js'

/** MQTT's names of the protocol levels. */
export const PROTOCOL_VERSION_NAMES: Readonly<Record<number, string>> = { 3: '3.1', 4: '3.1.1', 5: '5.0' }

/** A bridge to a remote broker, as `GET /api/bridges` lists it. */
export interface AdminBridge {
  name: string
  /** The remote's address of the link up now, or of the last one (null before the first); its password redacted. */
  address: string | null
  state: 'connected' | 'disconnected'
  /** When the link up now came up (ms since the epoch); null while it is down. */
  connectedSince: number | null
  /** What waits for the remote. */
  queue: BridgeQueueDepth
  forwarded: { in: number; out: number }
  dropped: Record<BridgeDropReason, number>
  /** Links made after the first: each time the remote came back. */
  reconnects: number
}

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

export function adminBridge(bridge: BridgeState): AdminBridge {
  return {
    name: bridge.name,
    address: bridge.address === undefined ? null : redactedUrl(bridge.address),
    state: bridge.connected ? 'connected' : 'disconnected',
    connectedSince: bridge.connectedSince ?? null,
    queue: bridge.queueDepth,
    forwarded: { in: bridge.forwardedIn, out: bridge.forwardedOut },
    dropped: { ...bridge.droppedBy },
    reconnects: bridge.reconnects
  }
}
