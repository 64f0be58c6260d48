import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { type AckMessage, decodeAck } from '../../common/contract/ack.js'
import { encodeCommand, SETPOINT_RANGE } from '../../common/contract/command.js'
import { ContractError } from '../../common/contract/contract-error.js'
import { commandTopic, parseDeviceTopic } from '../../common/contract/topics.js'
import type { CommandRecord, CommandState, DeviceSummary, LiveEvent } from '../api/api-types.js'
import type { CommandDesk } from '../api/service-parts.js'
import type { Publisher } from '../ingest/publisher.js'
import type { Reading } from '../reading.js'
import { ServiceError } from '../service-error.js'
import { SPARKPLUG_SOURCE } from '../sparkplug/sparkplug-ids.js'
import type { CommandLog } from './command-log.js'

/** Setpoint commands from the API to the devices, tracked to their outcome (CommandTracker). */

export interface CommandTrackerOptions {
  /** The service's MQTT link. */
  link: Publisher
  /** The Sparkplug host application, which writes Sparkplug devices' setpoints (DCMD); absent: they take none. */
  sparkplug?: SetpointWriter
  devices: {
    get(id: string): DeviceSummary | undefined
    setDesiredSetpoint(id: string, value: number): void
  }
  log: CommandLog
  emit: (event: LiveEvent) => void
  logger: Pick<Logger, 'warn' | 'debug'>
  /** How long a sent command waits for the device's ack, ms; 30 000 by default. */
  timeoutMs?: number
  /** MQTT Message Expiry of a command: how long it waits in an offline device's session, s; 3600 by default. */
  expirySeconds?: number
  /** At most one automatic re-send of the desired setpoint per device in this long, ms; 5 minutes by default. */
  resendCooldownMs?: number
  /** How often timeouts and expiries are checked, ms; 250 by default. */
  tickMs?: number
  /**
   * Active-active: tells the other instances of each change (peers/shared-state.ts); a new command is shared,
   * and the broker has it, before it is published to the device, so whichever instance gets the device's ack
   * knows the command. The others' changes come back through `merge`.
   */
  share?: (record: CommandRecord) => Promise<void>
  now?: () => number
}

/** Writes a setpoint to a device that takes no thermopost commands (a Sparkplug device's DCMD). */
export interface SetpointWriter {
  writeSetpoint(site: string, device: string, value: number): Promise<void>
  /** Active-active: this instance writes the setpoints the others send (it runs the Sparkplug host). */
  writesForOthers(): boolean
}

interface Pending {
  record: CommandRecord
  /** When the timeout started: when it was published to an online device, or when the device came online. */
  sentAt?: number
}

/**
 * How far a command has got: a change from another instance is taken only when it moves a command on, so the
 * instances agree whatever order the changes reach them in. A late ack beats a timeout, as it does locally.
 */
const PROGRESS: Readonly<Record<CommandState, number>> = { queued: 0, sent: 1, 'timed-out': 2, expired: 2, acked: 3, refused: 3 }

interface Desired {
  value: number
  /** When the device acknowledged it; readings measured before then may still show the old setpoint. */
  since: number
}

/**
 * Setpoint commands and their outcomes. A command is published QoS 1 with a fresh id and a Message Expiry,
 * so it waits in an offline device's persistent session: queued (device offline) → sent (online; the
 * timeout starts) → acked with the applied value / refused with the reason (the device's ack, matched by
 * id), or timed-out (no ack in time) / expired (the device never came back before the expiry). A late ack
 * still records what the device did. Every change is logged and emitted.
 *
 * The last acknowledged setpoint is the device's desired one: a reading measured after it that reports
 * another setpoint (the device rebooted, or lost it in a long outage) makes the tracker send it again,
 * marked automatic, at most once per cooldown per device and never while a setpoint command is pending.
 *
 * Sparkplug devices take the setpoint as a DCMD (QoS 0, so one for an offline device waits here, queued, and is
 * written when it comes back); they answer with no ack of their own but with the setpoint they hold, in a DDATA
 * (or a DBIRTH): the new value acknowledges the command, another refuses it (setpointReported).
 */
export class CommandTracker implements CommandDesk {
  private readonly pending = new Map<string, Pending>()
  private readonly desired = new Map<string, Desired>()
  private readonly lastAutomatic = new Map<string, number>()
  private readonly timer: NodeJS.Timeout
  private readonly timeoutMs: number
  private readonly expirySeconds: number
  private readonly resendCooldownMs: number
  private readonly now: () => number

  constructor(private readonly options: CommandTrackerOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.expirySeconds = options.expirySeconds ?? 3600
    this.resendCooldownMs = options.resendCooldownMs ?? 5 * 60_000
    this.now = options.now ?? Date.now
    for (const record of options.log.pending()) {
      this.pending.set(record.id, record.state === 'sent' ? { record, sentAt: record.updatedAt } : { record })
    }
    for (const record of options.log.lastAckedSetpoints()) {
      if (typeof record.appliedValue === 'number') this.setDesired(record.deviceId, record.appliedValue, record.updatedAt)
    }
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 250)
    this.timer.unref()
  }

  async setpoint(deviceId: string, value: number): Promise<CommandRecord> {
    const device = this.options.devices.get(deviceId)
    if (device === undefined) throw new ServiceError('unknown-device', `no device ${deviceId}`)
    if (device.source !== 'thermopost' && (device.source !== SPARKPLUG_SOURCE || this.options.sparkplug === undefined)) {
      throw new ServiceError('invalid-field', `${deviceId} comes through ${device.source} and takes no setpoint commands`, 'id')
    }
    const { min, max } = SETPOINT_RANGE
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new ServiceError('invalid-field', `value must be a number of °C from ${min} to ${max}`, 'value')
    }
    return await this.send(device, value, false)
  }

  history(deviceId: string, limit = 100): CommandRecord[] {
    return this.options.log.history(deviceId, limit)
  }

  /** Commands queued for a device start their timeout once it is online. */
  deviceStateChanged(device: DeviceSummary): void {
    if (device.state !== 'online') return
    const now = this.now()
    for (const pending of this.pending.values()) {
      if (pending.record.deviceId === device.id && pending.record.state === 'queued') {
        pending.sentAt = now
        if (device.source === SPARKPLUG_SOURCE) this.writeSparkplug(device, pending.record)
        this.update(pending.record, 'sent', {})
      }
    }
  }

  /** A message on a device's ack topic. */
  handleAck(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic)
    if (parsed?.kind !== 'ack') return
    let ack: AckMessage
    try {
      ack = decodeAck(payload)
    } catch (error) {
      if (!(error instanceof ContractError)) throw error
      this.options.logger.warn({ topic, reason: error.message }, 'an ack the service cannot read')
      return
    }
    const deviceId = `${parsed.site}/${parsed.device}`
    if (ack.id === undefined) {
      this.recordExternal(deviceId, ack)
      return
    }
    const record = this.pending.get(ack.id)?.record ?? this.options.log.get(ack.id)
    // Another service's command, or one for another device.
    if (record === undefined || record.deviceId !== deviceId) return
    // The same ack again: a redelivery, or through a dead peer's session this instance holds.
    if (PROGRESS[record.state] === PROGRESS.acked) return
    this.pending.delete(record.id)
    if (ack.ok) {
      this.update(record, 'acked', ack.value === undefined ? {} : { appliedValue: ack.value })
      if (record.name === 'setpoint' && typeof ack.value === 'number') this.setDesired(record.deviceId, ack.value, record.updatedAt)
    } else {
      this.update(record, 'refused', { reason: ack.reason ?? 'refused by the device' })
    }
  }

  /** Sends the desired setpoint again when a reading shows the device holds another one. */
  handleReading(reading: Reading): void {
    if (reading.setpoint === undefined || reading.source !== 'thermopost') return
    const desired = this.desired.get(reading.deviceId)
    if (desired === undefined || reading.time <= desired.since || Math.abs(reading.setpoint - desired.value) < 0.001) return
    for (const { record } of this.pending.values()) {
      if (record.deviceId === reading.deviceId && record.name === 'setpoint') return
    }
    const now = this.now()
    const last = this.lastAutomatic.get(reading.deviceId)
    if (last !== undefined && now - last < this.resendCooldownMs) return
    const device = this.options.devices.get(reading.deviceId)
    if (device === undefined) return
    this.lastAutomatic.set(reading.deviceId, now)
    this.send(device, desired.value, true).catch((error: unknown) => {
      this.options.logger.warn({ err: error, deviceId: device.id }, 'sending the desired setpoint again failed')
    })
  }

  /**
   * A command's change made by another instance (active-active): taken when it moves the command on. One that
   * is behind what this instance knows (a timeout published just after another instance's ack) is answered
   * with what it knows, so that the retained record, which the last publish set, ends up right too.
   */
  merge(change: CommandRecord): void {
    const pending = this.pending.get(change.id)
    const known = pending?.record ?? this.options.log.get(change.id)
    if (known !== undefined && PROGRESS[change.state] < PROGRESS[known.state]) this.share(known)
    if (known !== undefined && PROGRESS[change.state] <= PROGRESS[known.state]) return
    // In place: a `send` still waiting for its PUBACK holds this object, and must see that it moved on.
    const record = pending === undefined ? { ...change } : Object.assign(pending.record, change)
    if (known === undefined && record.state === 'sent') this.writeForOther(record)
    if (record.state === 'sent') this.pending.set(record.id, { record, sentAt: record.updatedAt })
    else if (record.state === 'queued') this.pending.set(record.id, { record })
    else this.pending.delete(record.id)
    if (record.state === 'acked' && record.name === 'setpoint' && typeof record.appliedValue === 'number')
      this.setDesired(record.deviceId, record.appliedValue, record.updatedAt)
    this.save(record)
  }

  close(): void {
    clearInterval(this.timer)
  }

  private async send(device: DeviceSummary, value: number, automatic: boolean): Promise<CommandRecord> {
    const now = this.now()
    const online = device.state === 'online' || device.state === 'stale'
    const record: CommandRecord = {
      id: randomUUID(),
      deviceId: device.id,
      name: 'setpoint',
      value,
      state: online ? 'sent' : 'queued',
      createdAt: now,
      updatedAt: now,
      ...(automatic ? { automatic } : {})
    }
    const initial = record.state
    const pending: Pending = online ? { record, sentAt: now } : { record }
    // Tracked before publishing: the device may answer before the broker's PUBACK reaches us.
    this.pending.set(record.id, pending)
    try {
      await this.options.share?.({ ...record })
      if (device.source === SPARKPLUG_SOURCE) {
        if (online) await this.options.sparkplug?.writeSetpoint(device.site, device.device, value)
      } else {
        await this.options.link.publish(commandTopic(device.site, device.device, 'setpoint'), encodeCommand(record.id, value), {
          qos: 1,
          properties: { messageExpiryInterval: this.expirySeconds }
        })
      }
    } catch (error) {
      this.pending.delete(record.id)
      throw error
    }
    // An answer (or the device coming online) that came before the PUBACK was logged already.
    if (record.state === initial) this.save(record)
    return { ...record }
  }

  /**
   * The device's answer to a bare-value command someone else sent on its command topic (Home Assistant, a
   * person with mosquitto_pub): recorded as that command, already answered, so the history shows it; an
   * acknowledged setpoint becomes the desired one, so the service does not put the old one back.
   */
  private recordExternal(deviceId: string, ack: AckMessage): void {
    const now = this.now()
    const outcome: Pick<CommandRecord, 'appliedValue' | 'reason'> = ack.ok
      ? ack.value === undefined
        ? {}
        : { appliedValue: ack.value }
      : { reason: ack.reason ?? 'refused by the device' }
    this.record({
      id: randomUUID(),
      deviceId,
      name: ack.command,
      ...(ack.value === undefined ? {} : { value: ack.value }),
      state: ack.ok ? 'acked' : 'refused',
      createdAt: now,
      updatedAt: now,
      external: true,
      ...outcome
    })
    if (ack.ok && ack.command === 'setpoint' && typeof ack.value === 'number') this.setDesired(deviceId, ack.value, now)
  }

  /**
   * A Sparkplug device's setpoint as its DDATA or DBIRTH reported it, after a DCMD wrote it: the edge node answers
   * each write with the setpoint it holds. The one that shows a pending command's value acknowledges it; one that
   * shows another value answers the oldest pending command as refused (the edge node clamped it, or kept the old one).
   */
  setpointReported(deviceId: string, setpoint: number, receivedAt: number): void {
    const sent = [...this.pending.values()]
      .filter(
        ({ record, sentAt }) => record.deviceId === deviceId && record.state === 'sent' && sentAt !== undefined && sentAt <= receivedAt
      )
      .sort((a, b) => a.sentAt! - b.sentAt!)
    const taken = sent.find(({ record }) => typeof record.value === 'number' && Math.abs(record.value - setpoint) < 0.001)
    const answered = taken ?? sent[0]
    if (answered === undefined) return
    const { record } = answered
    this.pending.delete(record.id)
    if (taken === undefined) {
      this.update(record, 'refused', { reason: `the device kept its setpoint at ${setpoint} °C` })
      return
    }
    this.update(record, 'acked', { appliedValue: setpoint })
    this.setDesired(record.deviceId, setpoint, record.updatedAt)
  }

  /**
   * A setpoint another instance sent to a Sparkplug device: only the instance running the host writes DCMDs
   * (the aliases and units are its), so that one writes it when it learns of the command.
   */
  private writeForOther(record: CommandRecord): void {
    if (record.name !== 'setpoint' || this.options.sparkplug?.writesForOthers() !== true) return
    const device = this.options.devices.get(record.deviceId)
    if (device?.source === SPARKPLUG_SOURCE) this.writeSparkplug(device, record)
  }

  /** A queued setpoint for a Sparkplug device that came back online. */
  private writeSparkplug(device: DeviceSummary, record: CommandRecord): void {
    if (typeof record.value !== 'number') return
    this.options.sparkplug?.writeSetpoint(device.site, device.device, record.value).catch((error: unknown) => {
      this.options.logger.warn({ err: error, deviceId: device.id }, 'writing a queued setpoint to a Sparkplug device failed')
    })
  }

  private tick(): void {
    const now = this.now()
    for (const [id, { record, sentAt }] of this.pending) {
      if (record.state === 'sent' && sentAt !== undefined && now - sentAt >= this.timeoutMs) {
        this.pending.delete(id)
        this.update(record, 'timed-out', { reason: `no acknowledgement from the device within ${this.timeoutMs / 1000} s` })
      } else if (record.state === 'queued' && now >= record.createdAt + this.expirySeconds * 1000) {
        this.pending.delete(id)
        this.update(record, 'expired', { reason: `the device did not come online within ${this.expirySeconds} s` })
      }
    }
  }

  private update(record: CommandRecord, state: CommandState, fields: Pick<CommandRecord, 'appliedValue' | 'reason'>): void {
    record.state = state
    record.updatedAt = this.now()
    Object.assign(record, fields)
    this.record(record)
  }

  /** Saves, emits and shares a change this instance made. */
  private record(record: CommandRecord): void {
    this.save(record)
    this.share(record)
  }

  private share(record: CommandRecord): void {
    this.options.share?.({ ...record }).catch((error: unknown) => {
      this.options.logger.warn({ err: error, command: record.id }, 'telling the other instances of a command change failed')
    })
  }

  private save(record: CommandRecord): void {
    this.options.log.save(record)
    this.options.emit({ type: 'command', command: { ...record } })
  }

  private setDesired(deviceId: string, value: number, since: number): void {
    this.desired.set(deviceId, { value, since })
    this.options.devices.setDesiredSetpoint(deviceId, value)
  }
}
