import type { AlertRecord, AlertState, BrokerStatus, CommandRecord, DeviceSummary, LiveEvent } from '../../../service/api/api-types.js'
import type { AlertDesk, BrokerWatch, CommandDesk, DeviceDirectory, LiveFeed } from '../../../service/api/service-parts.js'
import { ServiceError } from '../../../service/service-error.js'

/*
 * In-memory stand-ins for the service core's seams (service/api/service-parts.ts), so the API is tested on its own;
 * the registry, command tracker and alert rules have their own tests against the real broker.
 */

export const T0 = Date.UTC(2026, 0, 5, 10)

export function device(site: string, name: string, more: Partial<DeviceSummary> = {}): DeviceSummary {
  return { id: `${site}/${name}`, site, device: name, source: 'thermopost', state: 'online', openAlerts: 0, lastSeen: T0, ...more }
}

export class FakeDevices implements DeviceDirectory {
  readonly byId = new Map<string, DeviceSummary>()

  constructor(devices: DeviceSummary[]) {
    for (const summary of devices) this.byId.set(summary.id, summary)
  }

  list(): DeviceSummary[] {
    return [...this.byId.values()]
  }
  get(id: string): DeviceSummary | undefined {
    return this.byId.get(id)
  }
}

/** Records setpoints as 'sent' (or 'queued' for an offline device); `fail` makes the next call throw it. */
export class FakeCommands implements CommandDesk {
  readonly records: CommandRecord[] = []
  fail: Error | undefined

  constructor(private readonly devices: FakeDevices) {}

  async setpoint(deviceId: string, value: number): Promise<CommandRecord> {
    if (this.fail !== undefined) throw this.fail
    const target = this.devices.get(deviceId)
    if (target === undefined) throw new ServiceError('unknown-device')
    const record: CommandRecord = {
      id: `c${this.records.length + 1}`,
      deviceId,
      name: 'setpoint',
      value,
      state: target.state === 'offline' ? 'queued' : 'sent',
      createdAt: T0,
      updatedAt: T0
    }
    this.records.push(record)
    return record
  }

  history(deviceId: string, limit = 100): CommandRecord[] {
    return this.records
      .filter((record) => record.deviceId === deviceId)
      .reverse()
      .slice(0, limit)
  }
}

export class FakeAlerts implements AlertDesk {
  constructor(readonly records: AlertRecord[]) {}

  list(filter: { state?: AlertState; deviceId?: string } = {}): AlertRecord[] {
    return this.records.filter(
      (alert) =>
        (filter.state === undefined || alert.state === filter.state) &&
        (filter.deviceId === undefined || alert.deviceId === filter.deviceId)
    )
  }

  acknowledge(id: string): AlertRecord {
    const alert = this.records.find((record) => record.id === id)
    if (alert === undefined) throw new ServiceError('unknown-alert')
    alert.state = 'acknowledged'
    alert.acknowledgedAt = T0 + 1000
    return alert
  }
}

export class FakeBroker implements BrokerWatch {
  constructor(readonly current: BrokerStatus) {}
  status(): BrokerStatus {
    return this.current
  }
}

/** A feed the test drives with `emit`; `listeners` shows who is still subscribed. */
export class FakeLive implements LiveFeed {
  readonly listeners = new Set<(event: LiveEvent) => void>()

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event)
  }
}
