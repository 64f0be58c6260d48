import type { CommandName } from '../common/contract/command.js'
import type { MetaMessage } from '../common/contract/meta.js'
import type { HistoryStore } from './history/history-store.js'
import type { Reading } from './reading.js'

/**
 * The service's view of devices, commands and alerts: the shapes the registry, the command tracker and
 * the alert rules keep, and the REST API and the live feed hand out as JSON. Times are ms since the epoch.
 */

/** `online`/`offline` from the device's status topic (or its adapter's); `stale`: online but silent for 3 intervals. */
export type DeviceState = 'online' | 'offline' | 'stale' | 'unknown'

export interface DeviceSummary {
  /** `{site}/{device}` */
  id: string
  site: string
  device: string
  /** The adapter it came through: 'thermopost', 'tasmota', ... */
  source: string
  state: DeviceState
  /** Its retained description, when it publishes one (thermopost devices). */
  meta?: MetaMessage
  lastReading?: Reading
  /** Last message of any kind from it. */
  lastSeen?: number
  /** When `state` last changed. */
  stateSince?: number
  /** The setpoint the service wants it to hold (the last accepted setpoint command), re-sent when it reports another. */
  desiredSetpoint?: number
  /** Raised and not yet cleared. */
  openAlerts: number
}

export type CommandState = 'queued' | 'sent' | 'acked' | 'refused' | 'expired' | 'timed-out'

export interface CommandRecord {
  /** Unique; the `id` in the command's JSON and in the device's ack. */
  id: string
  deviceId: string
  name: CommandName
  value?: number | string
  state: CommandState
  createdAt: number
  updatedAt: number
  /** acked: the value the device now holds. */
  appliedValue?: number | string
  /** refused / expired / timed-out: why, for a person. */
  reason?: string
  /** Sent again by the service itself to restore the desired setpoint (not by a user). */
  automatic?: boolean
}

export type AlertSeverity = 'info' | 'warning' | 'critical'

/** Above / below a threshold for a duration, or silent (stale) for a duration. */
export type AlertCondition =
  | { kind: 'above'; threshold: number; forMs: number }
  | { kind: 'below'; threshold: number; forMs: number }
  | { kind: 'stale'; forMs: number }

export interface AlertRule {
  id: string
  /** A device id, or '*' for every device. */
  deviceId: string
  condition: AlertCondition
  severity: AlertSeverity
}

export type AlertState = 'raised' | 'acknowledged' | 'cleared'

export interface AlertRecord {
  id: string
  ruleId: string
  deviceId: string
  severity: AlertSeverity
  state: AlertState
  /** For a person: "above 30 °C for 10 min (31.2 °C)". */
  message: string
  raisedAt: number
  acknowledgedAt?: number
  clearedAt?: number
}

/** The broker's own figures, from its `$SYS` topics. */
export interface BrokerStatus {
  clientsConnected?: number
  messagesReceivedPerSecond?: number
  messagesSentPerSecond?: number
  retainedMessages?: number
  uptimeSeconds?: number
  version?: string
  /** When the last `$SYS` update came. */
  updatedAt?: number
}

/** What the live feed (Server-Sent Events) carries, one event per change. */
export type LiveEvent =
  | { type: 'reading'; reading: Reading }
  | { type: 'device'; device: DeviceSummary }
  | { type: 'command'; command: CommandRecord }
  | { type: 'alert'; alert: AlertRecord }
  | { type: 'broker'; broker: BrokerStatus }

/*
 * The seams between the parts of the service: the registry, the command tracker, the alert rules and the
 * $SYS watcher implement these; the REST API and the live feed use only these.
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
