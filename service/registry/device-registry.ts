import type { MetaMessage } from '../../common/contract/meta.js'
import type { DeviceStatus } from '../adapters/adapter.js'
import type { DeviceState, DeviceSummary, LiveEvent, SparkplugOrigin } from '../api/api-types.js'
import type { DeviceDirectory } from '../api/service-parts.js'
import { deviceIdOf, type Reading } from '../reading.js'
import type { EdgeNodeReport } from '../sparkplug/node-metrics.js'
import { originOf } from '../sparkplug/sparkplug-ids.js'
import type { DeviceRows } from './device-rows.js'

/** Every device the service has seen and its state (DeviceRegistry). */

export interface DeviceRegistryOptions {
  /** Where `device` and `reading` events go (the live hub). */
  emit: (event: LiveEvent) => void
  /** Keeps devices across restarts; without it the registry starts empty. */
  rows?: DeviceRows
  /** A device silent for this many reporting intervals is stale; 3 by default. */
  staleAfterIntervals?: number
  /** Seconds between readings for devices that publish no meta; 60 by default. */
  defaultIntervalSeconds?: number
  /** How often staleness is checked, ms; 1000 by default. */
  sweepMs?: number
  /** How often changed devices are written to `rows`, ms; 5000 by default. */
  persistMs?: number
  now?: () => number
}

export type StateChangeListener = (device: DeviceSummary, previous: DeviceState) => void

/**
 * Every device the service has seen, whatever format it came in: from readings, from status messages (the
 * device's own, its will, or its adapter's: Tasmota LWT, Homie $state) and from thermopost meta.
 *
 * State: a status message sets online/offline; a reading makes a device online unless a status of its own
 * says it is offline (a reading cannot outvote the will); an online device silent for `staleAfterIntervals`
 * intervals becomes stale, checked by one timer for all devices. An adapter's status covers every id beneath
 * it (`tasmota/boiler` for `tasmota/boiler/DS18B20-1`); a device known only by such a status is listed under
 * the status's id until its first sensor appears.
 *
 * Invariant: `devices` holds the registry's own summaries; callers only ever get copies.
 */
export class DeviceRegistry implements DeviceDirectory {
  private readonly devices = new Map<string, DeviceSummary>()
  /** The last status per status id, so that a sensor first seen later inherits its device's state. */
  private readonly statuses = new Map<string, boolean>()
  /** Kept apart from the devices: the command log knows desired setpoints before the devices reappear after a restart. */
  private readonly desired = new Map<string, number>()
  /** What the Sparkplug host knows of each edge node, by site, for the devices behind it (DeviceSummary.sparkplug). */
  private readonly edgeNodes = new Map<string, EdgeNodeReport>()
  private readonly dirty = new Set<string>()
  private readonly listeners: StateChangeListener[] = []
  private readonly staleAfterIntervals: number
  private readonly defaultIntervalSeconds: number
  private readonly now: () => number
  private readonly sweepTimer: NodeJS.Timeout
  private readonly persistTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: DeviceRegistryOptions) {
    this.staleAfterIntervals = options.staleAfterIntervals ?? 3
    this.defaultIntervalSeconds = options.defaultIntervalSeconds ?? 60
    this.now = options.now ?? Date.now
    for (const device of options.rows?.load() ?? []) this.devices.set(device.id, device)
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepMs ?? 1000)
    this.sweepTimer.unref()
    if (options.rows !== undefined) {
      this.persistTimer = setInterval(() => this.persist(), options.persistMs ?? 5000)
      this.persistTimer.unref()
    }
  }

  list(): DeviceSummary[] {
    return [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id)).map(copy)
  }

  get(id: string): DeviceSummary | undefined {
    const device = this.devices.get(id)
    return device === undefined ? undefined : copy(device)
  }

  /** Called with a copy of the device after its state changed (commands wait for `online`, alerts for `stale`). */
  onStateChange(listener: StateChangeListener): void {
    this.listeners.push(listener)
  }

  noteReading(reading: Reading): void {
    const now = this.now()
    const { device, created } = this.ensure(reading.deviceId, reading.site, reading.device, reading.source)
    if (device.lastReading === undefined || reading.time >= device.lastReading.time) device.lastReading = reading
    device.lastSeen = now
    this.dirty.add(device.id)
    const saysOffline = this.statusOf(device.id) === false
    if (device.state !== 'online' && !saysOffline) this.setState(device, 'online', now)
    else if (created) this.emitDevice(device)
    this.options.emit({ type: 'reading', reading })
  }

  /**
   * A reading another instance stored (active-active), so that every instance knows every device's last
   * reading. `retained`: the last one replayed at subscribe time, which fills in the last reading only: it
   * says nothing about the device being there now.
   */
  noteSharedReading(reading: Reading, retained: boolean): void {
    if (!retained) {
      this.noteReading(reading)
      return
    }
    const { device, created } = this.ensure(reading.deviceId, reading.site, reading.device, reading.source)
    if (device.lastReading === undefined || reading.time > device.lastReading.time) {
      device.lastReading = reading
      this.dirty.add(device.id)
    }
    if (created) this.emitDevice(device)
  }

  /** `retained`: a stored status replayed at subscribe time, which says nothing about when the device was last heard. */
  noteStatus(status: DeviceStatus, retained: boolean): void {
    const now = this.now()
    this.statuses.set(status.deviceId, status.online)
    const covered = [...this.devices.values()].filter((device) => isWithin(device.id, status.deviceId))
    if (covered.length === 0) covered.push(this.ensure(status.deviceId, status.site, status.device, status.source).device)
    for (const device of covered) {
      if (!retained) {
        device.lastSeen = now
        this.dirty.add(device.id)
      }
      const state: DeviceState = status.online ? 'online' : 'offline'
      if (device.state !== state) this.setState(device, state, now)
    }
  }

  noteMeta(site: string, name: string, meta: MetaMessage): void {
    const { device, created } = this.ensure(deviceIdOf(site, name), site, name, 'thermopost')
    const changed = JSON.stringify(device.meta) !== JSON.stringify(meta)
    device.meta = meta
    if (changed) this.dirty.add(device.id)
    if (changed || created) this.emitDevice(device)
  }

  /** What the Sparkplug host knows of an edge node (its own metrics, whether they are stale): shown with each device behind it. */
  noteEdgeNode(site: string, report: EdgeNodeReport): void {
    const known = this.edgeNodes.get(site)
    if (known === undefined && Object.keys(report.metrics).length === 0 && report.staleSince === undefined) return
    this.edgeNodes.set(site, report)
    for (const device of this.devices.values()) {
      if (device.site !== site || device.sparkplug === undefined) continue
      device.sparkplug = withEdgeNode(device.sparkplug, report)
      this.emitDevice(device)
    }
  }

  setDesiredSetpoint(id: string, value: number): void {
    this.desired.set(id, value)
    const device = this.devices.get(id)
    if (device === undefined || device.desiredSetpoint === value) return
    device.desiredSetpoint = value
    this.emitDevice(device)
  }

  setOpenAlerts(id: string, count: number): void {
    const device = this.devices.get(id)
    if (device === undefined || device.openAlerts === count) return
    device.openAlerts = count
    this.emitDevice(device)
  }

  /** Marks online devices that have been silent too long as stale; the timer calls it. */
  sweep(): void {
    const now = this.now()
    for (const device of this.devices.values()) {
      if (device.state !== 'online') continue
      const heard = Math.max(device.lastSeen ?? 0, device.stateSince ?? 0)
      const intervalMs = (device.meta?.interval ?? this.defaultIntervalSeconds) * 1000
      if (now - heard > this.staleAfterIntervals * intervalMs) this.setState(device, 'stale', now)
    }
  }

  /** Stops the timers and writes what changed. */
  close(): void {
    clearInterval(this.sweepTimer)
    clearInterval(this.persistTimer)
    this.persist()
  }

  private persist(): void {
    const rows = this.options.rows
    if (rows === undefined || this.dirty.size === 0) return
    const changed = [...this.dirty].map((id) => this.devices.get(id)).filter((device) => device !== undefined)
    this.dirty.clear()
    rows.save(changed)
  }

  private ensure(id: string, site: string, name: string, source: string): { device: DeviceSummary; created: boolean } {
    const known = this.devices.get(id)
    if (known !== undefined) return { device: known, created: false }
    const device: DeviceSummary = { id, site, device: name, source, ...originOf(site, source), state: 'unknown', openAlerts: 0 }
    const desired = this.desired.get(id)
    if (desired !== undefined) device.desiredSetpoint = desired
    const edgeNode = this.edgeNodes.get(site)
    if (device.sparkplug !== undefined && edgeNode !== undefined) device.sparkplug = withEdgeNode(device.sparkplug, edgeNode)
    this.devices.set(id, device)
    this.dirty.add(id)
    this.dropPlaceholders(id)
    return { device, created: true }
  }

  /** A device listed only by its adapter's status gives way to its first sensor. */
  private dropPlaceholders(id: string): void {
    for (const [other, device] of this.devices) {
      if (other === id || !isWithin(id, other) || device.lastReading !== undefined) continue
      this.devices.delete(other)
      this.dirty.delete(other)
      this.options.rows?.delete(other)
    }
  }

  /** The status that holds for `id`: its own, else the nearest one above it. */
  private statusOf(id: string): boolean | undefined {
    for (let prefix = id; prefix !== ''; prefix = prefix.slice(0, Math.max(prefix.lastIndexOf('/'), 0))) {
      const online = this.statuses.get(prefix)
      if (online !== undefined) return online
    }
    return undefined
  }

  private setState(device: DeviceSummary, state: DeviceState, now: number): void {
    const previous = device.state
    device.state = state
    device.stateSince = now
    this.emitDevice(device)
    for (const listener of this.listeners) listener(copy(device), previous)
  }

  private emitDevice(device: DeviceSummary): void {
    this.options.emit({ type: 'device', device: copy(device) })
  }
}

/** Whether `id` is `parent` or an id beneath it. */
function isWithin(id: string, parent: string): boolean {
  return id === parent || id.startsWith(`${parent}/`)
}

/** A device's Sparkplug origin with what is known of its edge node: no metrics when it reports none, no staleSince while it lives. */
function withEdgeNode(origin: SparkplugOrigin, { metrics, staleSince }: EdgeNodeReport): SparkplugOrigin {
  const { group, edgeNode } = origin
  return {
    group,
    edgeNode,
    ...(Object.keys(metrics).length === 0 ? {} : { nodeMetrics: metrics }),
    ...(staleSince === undefined ? {} : { staleSince })
  }
}

function copy(device: DeviceSummary): DeviceSummary {
  return { ...device }
}
