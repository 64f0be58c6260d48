import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { encodeAck } from '../../../common/contract/ack.js'
import { commandFilter, deviceTopic, parseDeviceTopic } from '../../../common/contract/topics.js'
import type { CommandRecord, DeviceSummary, Series } from '../../../service/api/api-types.js'
import { RawDevice } from './service-fixture.js'
import { eventually, type ServiceProcess } from './service-process.js'

/**
 * A raw device that reports without pause (QoS 1, each reading 10 ms of device time after the last) and
 * answers its setpoint commands only when the test says so: for the failover tests, where a service dies
 * between sending a command and its acknowledgement, and while readings are on their way.
 */
export class ReportingDevice {
  /** The `{ id, value }` of every command received, in order. */
  readonly commands: Array<{ id: string; value: number }> = []
  /** The time of every reading the broker acknowledged, in the order of the acknowledgements. */
  readonly sent: number[] = []
  private published = 0
  private flowing: Promise<void> | undefined
  private stopping = false

  private constructor(
    readonly raw: RawDevice,
    private readonly firstTime: number
  ) {}

  static async connect(t: TestContext, url: string, site: string, device: string): Promise<ReportingDevice> {
    const raw = await RawDevice.connect(t, url, site, device)
    const reporting = new ReportingDevice(raw, Date.now() - 600_000)
    raw.client.on('message', (topic, payload) => {
      if (parseDeviceTopic(topic)?.kind === 'cmd') reporting.commands.push(JSON.parse(payload.toString()) as { id: string; value: number })
    })
    await raw.client.subscribeAsync(commandFilter(site, device), { qos: 1 })
    t.after(() => reporting.stop())
    return reporting
  }

  /** Starts reporting, one reading every `everyMs`, until `stop`. */
  start(everyMs = 10): void {
    this.flowing ??= (async () => {
      while (!this.stopping) {
        await this.report()
        await new Promise((resolve) => setTimeout(resolve, everyMs))
      }
    })()
  }

  /**
   * `count` readings at once, not waiting for one another; resolves once the broker has acknowledged `ackedBy` of
   * them (so it handed them on), and the returned `all` once it acknowledged every one.
   */
  async burst(count: number, ackedBy: number): Promise<{ all: Promise<void> }> {
    const before = this.sent.length
    const all = Promise.all(Array.from({ length: count }, () => this.report())).then(() => {})
    while (this.sent.length - before < ackedBy) await new Promise((resolve) => setTimeout(resolve, 1))
    return { all }
  }

  /** The newest reading the broker acknowledged. */
  get newest(): number | undefined {
    return this.sent.length === 0 ? undefined : Math.max(...this.sent)
  }

  private async report(): Promise<void> {
    const index = this.published++
    const time = this.firstTime + index * 10
    await this.raw.reading({ time, temperature: 20 + (index % 50) / 10 })
    this.sent.push(time)
  }

  /** Stops reporting once the reading under way is acknowledged by the broker. */
  async stop(): Promise<void> {
    this.stopping = true
    await this.flowing
  }

  /** POSTs a setpoint to `service`'s API; resolves with the command once it reached this device (unanswered). */
  async setpointThrough(service: ServiceProcess, value: number): Promise<CommandRecord> {
    const command = await service.api<CommandRecord>(`/api/devices/${encodeURIComponent(this.raw.id)}/setpoint`, {
      method: 'POST',
      body: JSON.stringify({ value })
    })
    await eventually(
      async () => (this.commands.some((received) => received.id === command.id) ? true : undefined),
      () => `command ${command.id} at the device`
    )
    return command
  }

  async ack(id: string, value: number): Promise<void> {
    await this.raw.client.publishAsync(
      deviceTopic(this.raw.site, this.raw.device, 'ack'),
      encodeAck({ id, command: 'setpoint', ok: true, value }),
      { qos: 1 }
    )
  }

  /** Every reading sent, in the history as `service` serves it: none missing, none twice. */
  async assertHistoryComplete(service: ServiceProcess): Promise<void> {
    const path = `/api/devices/${encodeURIComponent(this.raw.id)}/readings?resolution=raw&from=${this.firstTime}&to=${this.firstTime + 10 * this.sent.length}`
    const series = await eventually(
      async () => {
        const found = await service.api<Series>(path)
        return found.points.length >= this.sent.length ? found : undefined
      },
      () => `all ${this.sent.length} readings in the history\n${service.output()}`
    )
    assert.deepEqual(
      series.points.map((point) => point.time),
      [...this.sent].sort((a, b) => a - b)
    )
  }

  /** The survivor's API: the device with its last reading, and the command acknowledged with the value applied. */
  async assertApiComplete(service: ServiceProcess, command: { id: string; value: number }): Promise<void> {
    const id = encodeURIComponent(this.raw.id)
    const acked = await eventually(
      async () => {
        const { commands } = await service.api<{ commands: CommandRecord[] }>(`/api/devices/${id}/commands`)
        return commands.find((record) => record.id === command.id && record.state === 'acked')
      },
      () => `command ${command.id} acked\n${service.output()}`
    )
    assert.equal(acked.appliedValue, command.value)
    const device = await eventually(
      async () => {
        const found = await service.api<DeviceSummary>(`/api/devices/${id}`)
        return found.lastReading?.time === this.newest ? found : undefined
      },
      () => `the last reading of ${this.raw.id} in the device's summary\n${service.output()}`
    )
    assert.equal(device.state, 'online')
  }
}
