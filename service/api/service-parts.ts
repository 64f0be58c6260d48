import type { HistoryStore } from '../history/history-store.js'
import type {
  AdminClient,
  AdminPage,
  AdminRetained,
  AdminSession,
  AlertRecord,
  AlertState,
  BrokerStatus,
  CommandRecord,
  DeviceSummary,
  InstanceStatus,
  LiveEvent
} from './api-types.js'

/**
 * The seams between the REST API and the rest of the service: the registry, the command tracker, the alert
 * monitor, the $SYS watcher and the live hub implement these; the API and its live feed use only these.
 */

export interface DeviceDirectory {
  list(): DeviceSummary[]
  get(id: string): DeviceSummary | undefined
}

export interface CommandDesk {
  /**
   * Publishes a setpoint command and starts tracking it; resolves with its record (queued when the device
   * is offline, else sent). Throws ServiceError 'unknown-device' or 'invalid-field' (value out of 5–35 °C).
   */
  setpoint(deviceId: string, value: number): Promise<CommandRecord>
  /** Newest first. */
  history(deviceId: string, limit?: number): CommandRecord[]
}

export interface AlertDesk {
  /** Newest first. */
  list(filter?: { state?: AlertState; deviceId?: string }): AlertRecord[]
  /** Throws ServiceError 'unknown-alert'. */
  acknowledge(id: string): AlertRecord
}

export interface BrokerWatch {
  status(): BrokerStatus
}

/** Which page of a broker admin listing: at most `limit` items after the key `after` (the `next` of the page before). */
export interface AdminListQuery {
  limit?: number
  after?: string
  /** Clients: part of the client id, user name or address, any case. */
  search?: string
  /** Retained messages: a topic filter (`#` when absent). */
  filter?: string
}

/**
 * The broker's admin API as the dashboard's Broker page uses it, through the service (which holds the admin
 * token). Throws ServiceError: the admin API's own errors with their code, 'broker-admin-unavailable' when it
 * cannot be reached or refuses the service's token, 'broker-admin-failed' when its answer is not as documented.
 */
export interface BrokerAdminDesk {
  clients(query: AdminListQuery): Promise<AdminPage<'clients', AdminClient>>
  disconnectClient(clientId: string): Promise<void>
  sessions(query: AdminListQuery): Promise<AdminPage<'sessions', AdminSession>>
  deleteSession(clientId: string): Promise<void>
  retained(query: AdminListQuery): Promise<AdminPage<'messages', AdminRetained>>
  retainedMessage(topic: string): Promise<AdminRetained>
  deleteRetained(topic: string): Promise<void>
}

export interface InstanceDesk {
  status(): InstanceStatus
}

export interface LiveFeed {
  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: (event: LiveEvent) => void): () => void
}

/** The running service as its users (the REST API, the dashboard's tests) see it: each seam once. */
export interface ServiceParts {
  devices: DeviceDirectory
  commands: CommandDesk
  alerts: AlertDesk
  broker: BrokerWatch
  live: LiveFeed
  history: HistoryStore
}
