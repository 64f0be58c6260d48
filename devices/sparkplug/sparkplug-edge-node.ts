import type { IClientOptions, IConnackPacket, MqttClient, Packet } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { ContractError } from '../../common/contract/contract-error.js'
import { decodeHostState, type HostState } from '../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload, encodeSparkplugPayload, type SparkplugPayload } from '../../common/sparkplug/sparkplug-payload.js'
import { deviceTopic, nodeTopic, parseSparkplugTopic, stateTopic } from '../../common/sparkplug/sparkplug-topics.js'
import { REBIRTH_METRIC, THERMOSTAT_METRICS } from '../../common/sparkplug/thermostat-metrics.js'
import type { BackoffOptions } from '../backoff.js'
import { LinkCounters } from '../link-counters.js'
import { LinkLoop } from '../link-loop.js'
import {
  aliasBaseOf,
  deviceBirth,
  deviceData,
  deviceDeath,
  metricAlias,
  nodeBirth,
  nodeDeath,
  type ThermostatValues
} from './edge-node-payloads.js'

/** A device behind an edge node, as the edge node sees it. */
export interface EdgeDevice {
  readonly name: string
  /** Its values now, for a birth. */
  current(now: number): ThermostatValues
  /** A DCMD writing its setpoint; false when the value is not one it takes. */
  writeSetpoint(value: number): boolean
}

export interface EdgeNodeOptions {
  /** Brokers to fail over through, tried in order. */
  urls: readonly string[]
  group: string
  edgeNode: string
  mqttVersion?: 4 | 5
  username?: string
  password?: string
  keepalive?: number
  backoff?: BackoffOptions
  /** Shared with the rest of a fleet; an edge node on its own gets its own. */
  counters?: LinkCounters
  /** Jitter source, seeded in the simulator. */
  random?: () => number
  /** The primary host application's id: births wait for its STATE online, and its STATE offline ends the session. */
  primaryHostId?: string
}

interface Attached {
  device: EdgeDevice
  aliasBase: number
  /** MQTT 5 topic alias of its DDATA topic (its place behind the edge node, from 1). */
  topicAlias: number
  /** This connection's first DDATA named the topic for the alias; later ones send only the alias. */
  topicAliasSet: boolean
  /** Connected to its edge node (a DDEATH says it is not). */
  present: boolean
  /** The values its last birth or data reported on this connection; undefined until its DBIRTH. */
  reported: ThermostatValues | undefined
}

const STOP_TIMEOUT_MS = 3000

/**
 * A Sparkplug B 3.0 edge node and the devices behind it, on one MQTT connection kept up through failures by a
 * LinkLoop (backoff, failover through the brokers).
 *
 * Each CONNECT starts a clean session and carries the NDEATH as its will with a new bdSeq (0–255, one more per
 * connect); once connected the edge node subscribes to its NCMD and DCMD topics and publishes its NBIRTH (seq 0,
 * the same bdSeq), then a DBIRTH per present device. Every later message takes the next seq, 255 wrapping to 0.
 * Data goes as DDATA with QoS 0 and only the metrics that changed (the temperature each time); while the link is
 * down readings are dropped, as Sparkplug's QoS 0 data is. An NCMD `Node Control/Rebirth` true repeats the
 * births; a DCMD writing `setpoint` sets it and reports the device's setpoint at once in a DDATA, which is how the
 * host application learns the write took. A stop publishes the NDEATH before a clean DISCONNECT. With a primary
 * host application named, the births wait for its STATE online, and its STATE offline moves the edge node to
 * the next broker.
 */
export class SparkplugEdgeNode {
  readonly counters: LinkCounters
  private readonly loop: LinkLoop
  private readonly devices = new Map<string, Attached>()
  /** The bdSeq of the next CONNECT, and of the current connection's will and NBIRTH. */
  private nextBdSeq = 0
  private bdSeq = 0
  private seq = 0
  /** Topic aliases the broker takes on this connection (CONNACK Topic Alias Maximum; 0 for MQTT 3.1.1). */
  private topicAliasMaximum = 0
  /** This connection's NBIRTH is out: device births and deaths may follow. */
  private born = false
  /** The timestamp of the primary host's latest STATE: an older one is stale. */
  private hostStateTimestamp = 0

  constructor(private readonly options: EdgeNodeOptions) {
    this.counters = options.counters ?? new LinkCounters()
    this.loop = new LinkLoop(
      { ...options, counters: this.counters },
      {
        clientOptions: () => this.clientOptions(),
        onConnect: (client, connack) => this.onConnect(client, connack),
        onMessage: (_client, topic, payload) => this.onMessage(topic, payload),
        onPacketSend: (packet) => this.countSent(packet),
        onDisconnected: () => this.setDisconnected()
      }
    )
  }

  get isConnected(): boolean {
    return this.loop.isConnected
  }

  /** Puts a device behind the edge node; it is born with the next births, or at once when connected. */
  attach(device: EdgeDevice): void {
    const slot = this.devices.size
    const attached: Attached = {
      device,
      aliasBase: aliasBaseOf(slot),
      topicAlias: slot + 1,
      topicAliasSet: false,
      present: true,
      reported: undefined
    }
    this.devices.set(device.name, attached)
    if (this.born) this.publishDeviceBirth(attached, Date.now())
  }

  /** The device is gone from the edge node (unplugged, out of radio range): DDEATH on its behalf ([tck-id-operational-behavior-device-ddeath]). */
  deviceLost(name: string): void {
    const attached = this.devices.get(name)
    if (attached === undefined || !attached.present) return
    attached.present = false
    attached.reported = undefined
    if (this.born) this.publish(deviceTopic(this.options.group, 'DDEATH', this.options.edgeNode, name), deviceDeath(Date.now()))
  }

  /** The device is back: a new DBIRTH. */
  deviceBack(name: string): void {
    const attached = this.devices.get(name)
    if (attached === undefined || attached.present) return
    attached.present = true
    if (this.born) this.publishDeviceBirth(attached, Date.now())
  }

  /** A reading of a device: DDATA with what changed since its last report, or dropped while it cannot go out. */
  report(name: string, values: ThermostatValues, time: number): void {
    const attached = this.devices.get(name)
    if (attached === undefined) return
    this.sendData(attached, values, time, false)
  }

  start(): void {
    this.loop.start()
  }

  /** Loses the connection as a network failure would: the broker publishes the NDEATH will; then reconnects. */
  drop(): void {
    this.loop.drop()
  }

  /** Stops for good: the NDEATH, then a clean DISCONNECT ([tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]). */
  async stop(): Promise<void> {
    const topic = nodeTopic(this.options.group, 'NDEATH', this.options.edgeNode)
    await this.loop.stop(
      (client) => client.publishAsync(topic, encodeSparkplugPayload(nodeDeath(this.bdSeq, Date.now())), { qos: 1, retain: false }),
      STOP_TIMEOUT_MS
    )
  }

  /** A new bdSeq for each attempt: its will and, once connected, its NBIRTH carry it. */
  private clientOptions(): IClientOptions {
    const { options } = this
    const version = options.mqttVersion ?? 5
    this.bdSeq = this.nextBdSeq
    this.nextBdSeq = (this.nextBdSeq + 1) % 256
    const death = encodeSparkplugPayload(nodeDeath(this.bdSeq, Date.now()))
    return {
      clientId: `thermopost-sparkplug-${options.group}-${options.edgeNode}`,
      protocolVersion: version,
      // [tck-id-principles-persistence-clean-session-311] [tck-id-principles-persistence-clean-session-50]
      clean: true,
      // [tck-id-message-flow-edge-node-birth-publish-will-message-qos] [...-will-retained]: QoS 1, not retained.
      will: { topic: nodeTopic(options.group, 'NDEATH', options.edgeNode), payload: death, qos: 1, retain: false },
      ...(version === 5 ? { properties: { sessionExpiryInterval: 0 } } : {})
    }
  }

  private onConnect(client: MqttClient, connack: IConnackPacket): void {
    this.topicAliasMaximum = (this.options.mqttVersion ?? 5) === 5 ? (connack.properties?.topicAliasMaximum ?? 0) : 0
    const { group, edgeNode } = this.options
    // [tck-id-message-flow-edge-node-ncmd-subscribe] [tck-id-message-flow-device-dcmd-subscribe], before the births.
    const filters = [nodeTopic(group, 'NCMD', edgeNode), deviceTopic(group, 'DCMD', edgeNode, '+')]
    const hostId = this.options.primaryHostId
    // [tck-id-message-flow-edge-node-birth-publish-phid-wait]: with a primary host, the births wait for its STATE online.
    if (hostId !== undefined) filters.push(stateTopic(hostId))
    client.subscribe(filters, { qos: 1 })
    this.counters.subscribes++
    if (hostId === undefined) this.births()
  }

  /** NBIRTH with seq 0, then every present device's DBIRTH ([tck-id-payloads-dbirth-order]). */
  private births(): void {
    const now = Date.now()
    this.seq = 0
    this.born = true
    this.publish(nodeTopic(this.options.group, 'NBIRTH', this.options.edgeNode), nodeBirth(this.bdSeq, now))
    for (const attached of this.devices.values()) if (attached.present) this.publishDeviceBirth(attached, now)
  }

  private publishDeviceBirth(attached: Attached, now: number): void {
    const values = attached.device.current(now)
    attached.reported = { ...values }
    const topic = deviceTopic(this.options.group, 'DBIRTH', this.options.edgeNode, attached.device.name)
    this.publish(topic, deviceBirth(values, attached.aliasBase, now))
  }

  /** QoS 0, not retained, with the next seq: births, data and device deaths alike ([tck-id-topics-ddata-mqtt] and the like). */
  private publish(topic: string, payload: Omit<SparkplugPayload, 'seq'>, written?: () => void, topicAlias?: number): void {
    const seq = this.seq
    this.seq = (this.seq + 1) % 256
    const options = { qos: 0 as const, retain: false, ...(topicAlias === undefined ? {} : { properties: { topicAlias } }) }
    this.loop.client?.publish(topic, encodeSparkplugPayload({ ...payload, seq }), options, (error) => {
      if (error === undefined || error === null) written?.()
    })
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseSparkplugTopic(topic)
    if (parsed?.kind === 'state') {
      if (parsed.hostId === this.options.primaryHostId) this.primaryHostState(payload)
      return
    }
    if (parsed === undefined || parsed.edgeNode !== this.options.edgeNode) return
    let command: SparkplugPayload
    try {
      command = decodeSparkplugPayload(payload)
    } catch (error) {
      if (error instanceof ContractError) return
      throw error
    }
    if (parsed.kind === 'node' && parsed.type === 'NCMD') {
      // [tck-id-operational-behavior-data-commands-rebirth-action-2] [-action-3]: new births, the same bdSeq.
      if (this.born && command.metrics.some((metric) => metric.name === REBIRTH_METRIC && metric.value === true)) this.births()
      return
    }
    if (parsed.kind === 'device' && parsed.type === 'DCMD') this.writeDevice(parsed.device, command)
  }

  /**
   * The primary host's STATE: online brings the births; offline ends this session (the broker publishes the NDEATH
   * will) and the loop connects at once to the next broker in the list (the same one when there is one), to wait
   * for the host there. A STATE older than the latest one is stale and changes nothing
   * ([tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp]
   * [tck-id-operational-behavior-edge-node-termination-host-offline] [...-host-offline-timestamp]
   * [...-host-offline-reconnect] [tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk]).
   */
  private primaryHostState(payload: Buffer): void {
    let state: HostState
    try {
      state = decodeHostState(payload)
    } catch (error) {
      if (error instanceof ContractError) return
      throw error
    }
    if (state.timestamp < this.hostStateTimestamp) return
    this.hostStateTimestamp = state.timestamp
    if (state.online && !this.born) this.births()
    else if (!state.online && this.born) this.loop.moveOn()
  }

  /** A DCMD: the setpoint written, by name or by its birth's alias, then reported back at once. */
  private writeDevice(name: string, command: SparkplugPayload): void {
    const attached = this.devices.get(name)
    if (attached === undefined || !attached.present) return
    const setpointAlias = metricAlias(attached.aliasBase, 'setpoint')
    const write = command.metrics.find((metric) => metric.name === THERMOSTAT_METRICS.setpoint.name || metric.alias === setpointAlias)
    if (typeof write?.value !== 'number') return
    if (attached.device.writeSetpoint(write.value)) this.counters.commandsAcked++
    else this.counters.commandsRefused++
    const now = Date.now()
    this.sendData(attached, attached.device.current(now), now, true)
  }

  /** DDATA with the metrics that changed since the device's last report, and the setpoint when `withSetpoint`. */
  private sendData(attached: Attached, values: ThermostatValues, time: number, withSetpoint: boolean): void {
    const last = attached.reported
    if (!this.loop.isConnected || last === undefined) {
      if (attached.present) this.counters.readingsDropped++
      return
    }
    const changed: Partial<ThermostatValues> = { temperature: values.temperature }
    if (withSetpoint || values.setpoint !== last.setpoint) changed.setpoint = values.setpoint
    if (values.heating !== last.heating) changed.heating = values.heating
    attached.reported = { ...values }
    let topic = deviceTopic(this.options.group, 'DDATA', this.options.edgeNode, attached.device.name)
    // With MQTT 5, a device's DDATA topic goes once per connection and an alias of it after: the topic is most of a reading's bytes.
    const topicAlias = attached.topicAlias <= this.topicAliasMaximum ? attached.topicAlias : undefined
    if (topicAlias !== undefined) {
      if (attached.topicAliasSet) topic = ''
      attached.topicAliasSet = true
    }
    this.publish(topic, deviceData(changed, attached.aliasBase, time), () => this.counters.readingsAcked++, topicAlias)
  }

  /** The connection is gone: every device is born again on the next one, its topic alias set again. */
  private setDisconnected(): void {
    this.born = false
    for (const attached of this.devices.values()) {
      attached.reported = undefined
      attached.topicAliasSet = false
    }
  }

  /** The wire size of each DDATA PUBLISH (the only ones with a topic alias), for the summary's bytes per reading. */
  private countSent(packet: Packet): void {
    if (packet.cmd !== 'publish' || !(packet.topic.includes('/DDATA/') || packet.properties?.topicAlias !== undefined)) return
    this.counters.readingPublishes++
    this.counters.readingPublishBytes += mqttPacket.generate(packet, { protocolVersion: this.options.mqttVersion ?? 5 }).length
  }
}
