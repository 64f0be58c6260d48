/**
 * The records the broker's admin API answers with (broker/admin/admin-records.ts makes them), shared so that the
 * service, which relays them to the dashboard's Broker page, reads the same shapes the broker writes. Times are ms
 * since the epoch.
 */

/** A connected client, as `GET /api/clients` lists it. */
export interface AdminClient {
  clientId: string
  address: string | null
  /** The listener it came in on, `protocol:port`. */
  listener: string
  protocolVersion: string
  username: string | null
  /** The subject CN of the certificate it presented (TLS listeners). */
  certificateCN: string | null
  /** Seconds; 0 is none. */
  keepalive: number
  connectedSince: number
  subscriptions: Array<{ filter: string; qos: number }>
  /** QoS 1/2 messages sent to it and not yet acknowledged. */
  inflight: number
  /** Messages waiting behind its in-flight window. */
  queued: number
}

/** A session held by the broker, as `GET /api/sessions` lists it. */
export interface AdminSession {
  clientId: string
  connected: boolean
  /** When an offline session ends; null while connected, or when it never expires. */
  expiresAt: number | null
  subscriptions: number
  queued: number
}

/** A retained message, as `GET /api/retained` lists it. */
export interface AdminRetained {
  topic: string
  qos: number
  /** Payload bytes. */
  size: number
  /** The payload as text when it is valid UTF-8, else null. */
  payload: string | null
  payloadBase64: string
}

/**
 * One page of a listing, under the listing's own key (`clients`, `sessions`, `messages`): `next` is what `?after=`
 * takes for the page after this one, null on the last page.
 */
export type AdminPage<Key extends string, Item> = { [K in Key]: Item[] } & { next: string | null }
