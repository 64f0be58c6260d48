import type { CommandName } from '../../common/contract/command.js'
import type { MetaMessage } from '../../common/contract/meta.js'
import type { Reading } from '../reading.js'

/**
 * The data the REST API and its live feed hand out as JSON, and the dashboard reads: devices, commands,
 * alerts, the broker's figures and the live events, and (re-exported from where they are made) readings,
 * history series, device metadata and the broker admin API's records (relayed under `/api/broker/`). The
 * dashboard imports its types from here only. Times are ms since the epoch.
 */

export type { AdminClient, AdminPage, AdminRetained, AdminSession } from '../../common/admin-api-records.js'
export type { MetaMessage } from '../../common/contract/meta.js'
export type { Resolution, Series, SeriesPoint } from '../history/history-store.js'
export type { Reading } from '../reading.js'

/** `online`/`offline` from the device's status topic (or its adapter's); `stale`: online but silent for 3 intervals. */
export type DeviceState = 'online' | 'offline' | 'stale' | 'unknown'

export interface DeviceSummary {
  /** `{site}/{device}` */
  id: string
  site: string
  device: string
  /** The adapter it came through: 'thermopost', 'tasmota', ..., or 'sparkplug' for a Sparkplug B device. */
  source: string
  /** A Sparkplug B device's edge node (its site is `{group}/{edge node}`). */
  sparkplug?: SparkplugOrigin
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

/** A Sparkplug metric's value; null when the edge node says it has none. */
export type SparkplugMetricValue = number | boolean | string | null

/** A Sparkplug B device's group and edge node, and what the host application knows of the edge node. */
export interface SparkplugOrigin {
  group: string
  edgeNode: string
  /** The edge node's own metrics by name with their last values, as its NBIRTH and NDATA gave them; absent: none. */
  nodeMetrics?: Record<string, SparkplugMetricValue>
  /** Since when (the host's clock, ms) the edge node's metrics and its devices' are stale: its NDEATH; gone at its next NBIRTH. */
  staleSince?: number
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
  /**
   * Sent by someone else straight to the device's command topic as a bare value (Home Assistant's climate
   * entity, mosquitto_pub): the service knows it only from the device's answer, so it is recorded answered.
   */
  external?: boolean
}

export type AlertSeverity = 'info' | 'warning' | 'critical'

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

/** `GET /api/limits`: the rules the API checks input against, for forms to check the same ones before sending. */
export interface ApiLimits {
  /** Setpoints in °C: from `min` to `max`, in whole steps of `step` from 0. */
  setpoint: { min: number; max: number; step: number }
}

/** `GET /api/session`: whether this request may use the API (by token or login), so a page can ask without a 401. */
export interface SessionState {
  authenticated: boolean
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

/**
 * How instances share the work. active-standby (SQLite history): one instance at a time holds the data
 * directory, the others wait for it; active-active (InfluxDB): every instance ingests, and each answers for
 * every device and command.
 */
export type InstanceMode = 'active-standby' | 'active-active'

/** One running service instance, as the log, the API and its peers name it. */
export interface InstanceInfo {
  /** Its MQTT client id: the broker session its readings queue in. */
  clientId: string
  mode: InstanceMode
  host: string
  /** Its data directory, absolute: instances on one machine and directory are one active and its standbys. */
  dataDir: string
  pid: number
  /** When it became active (or, for a standby, when it started waiting). */
  since: number
}

/** Another active instance (active-active), as its retained presence on the broker says. */
export interface PeerStatus extends InstanceInfo {
  /**
   * active: connected; gone: died, its session (and the readings queued in it) waits for it; adopted: gone, and
   * `adoptedBy` holds its session meanwhile, storing its share of the readings; stopped: closed cleanly.
   */
  state: 'active' | 'gone' | 'adopted' | 'stopped'
  adoptedBy?: string
}

/** `GET /api/instance`: which instance answered, whether it is the active one, and how the instances share the work. */
export interface InstanceStatus {
  instance: InstanceInfo
  role: 'active' | 'standby'
  /** active-standby: the instance holding the data directory (this one when it is active). */
  active?: InstanceInfo
  /** active-active: the other instances the broker knows of. */
  peers?: PeerStatus[]
  /** With a Sparkplug host id: this instance runs the primary host application now (one instance at a time does). */
  sparkplugHost?: boolean
}
