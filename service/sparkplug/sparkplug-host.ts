import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { ContractError } from '../../common/contract/contract-error.js'
import { decodeHostState, encodeHostState } from '../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload, encodeSparkplugPayload, type SparkplugPayload } from '../../common/sparkplug/sparkplug-payload.js'
import { deviceTopic, nodeTopic, parseSparkplugTopic, SPARKPLUG_FILTER, stateTopic } from '../../common/sparkplug/sparkplug-topics.js'
import { REBIRTH_METRIC, THERMOSTAT_METRICS } from '../../common/sparkplug/thermostat-metrics.js'
import type { DeviceStatus } from '../adapters/adapter.js'
import { type ServiceConnection, serviceClientOptions } from '../ingest/service-client-options.js'
import type { Reading } from '../reading.js'
import { ServiceError } from '../service-error.js'
import { setpointAlias, setpointInDeviceUnit } from './device-metrics.js'
import { EdgeNodeStates } from './edge-node-states.js'
import type { EdgeNodeReport } from './node-metrics.js'
import { sparkplugOrigin } from './sparkplug-ids.js'

/** `clientId`: distinct per service instance, so that two instances do not take each other's connection over. */
export interface SparkplugHostOptions extends ServiceConnection {
  /** The Sparkplug host id: its STATE topic is `spBv1.0/STATE/{hostId}`. */
  hostId: string
  /** How long a seq gap may wait for the missing message before the host asks for a rebirth, ms; 2000 by default. */
  reorderTimeoutMs?: number
  onReading: (reading: Reading) => void
  onStatus: (status: DeviceStatus) => void
  /** What the host knows of an edge node (site `{group}/{edge node}`), after its NBIRTH, each NDATA that changed a metric, and its NDEATH. */
  onEdgeNode?: (site: string, report: EdgeNodeReport) => void
  /** A device reported its setpoint (°C) in a DBIRTH or DDATA: the answer to a DCMD writing it. */
  onSetpointReport?: (deviceId: string, setpoint: number, receivedAt: number) => void
  /** A Sparkplug payload the host cannot read. */
  onUnreadable: (topic: string, reason: string) => void
  logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * The service as a Sparkplug B 3.0 primary host application, on a connection of its own (Sparkplug wants a
 * clean session and the STATE will; the service's main link keeps a persistent one).
 *
 * Each CONNECT has a clean session and the death STATE as its will: `{"online":false,"timestamp":T}`, QoS 1,
 * retained, T the time of that connect. Once connected the host subscribes to the whole namespace (its own STATE
 * topic included), then publishes the birth `{"online":true,"timestamp":T}` retained with the same T; when it sees
 * itself reported offline it publishes the birth again, and a clean close publishes the death first. Edge node
 * messages go to EdgeNodeStates; its rebirth requests go out as NCMD, setpoint writes as DCMD.
 */
export class SparkplugHost {
  private readonly client: MqttClient
  private readonly states: EdgeNodeStates
  private readonly stateTopic: string
  /** T of the current connection's will and birth. */
  private stateTimestamp = Date.now()
  /** This connection's birth is out: an offline STATE seen before it (the retained will of the last one) needs no answer. */
  private bornOnThisConnection = false
  private firstBirth: (() => void) | undefined
  /** Resolves once the first birth STATE is published. */
  readonly ready: Promise<void>

  constructor(private readonly options: SparkplugHostOptions) {
    this.stateTopic = stateTopic(options.hostId)
    this.ready = new Promise((resolve) => {
      this.firstBirth = resolve
    })
    this.states = new EdgeNodeStates(
      {
        reading: options.onReading,
        status: options.onStatus,
        rebirth: (group, edgeNode) => this.askRebirth(group, edgeNode),
        setpointReported: (...report) => options.onSetpointReport?.(...report),
        edgeNode: (...report) => options.onEdgeNode?.(...report)
      },
      options.reorderTimeoutMs ?? 2000
    )
    const clientOptions: IClientOptions = {
      ...serviceClientOptions(options),
      // [tck-id-message-flow-phid-sparkplug-clean-session-50]: Clean Start, no session expiry.
      clean: true,
      properties: { sessionExpiryInterval: 0 },
      will: this.will()
    }
    this.client = mqtt.connect(clientOptions)
    // mqtt.js builds each CONNECT from its options: a new T for every connection.
    this.client.on('reconnect', () => {
      this.stateTimestamp = Date.now()
      this.client.options.will = this.will()
    })
    this.client.on('connect', () => this.onConnect())
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload, Date.now()))
    this.client.on('error', (error) => options.logger.warn({ err: error }, 'Sparkplug host connection error'))
  }

  /** Writes a Sparkplug device's setpoint with a DCMD, by the alias its DBIRTH gave it ([tck-id-operational-behavior-data-commands-dcmd-verb]). */
  async writeSetpoint(site: string, device: string, value: number): Promise<void> {
    const origin = sparkplugOrigin(site, 'sparkplug')
    if (origin === undefined) throw new ServiceError('unknown-device', `${site}/${device} is no Sparkplug device`)
    if (!this.client.connected) throw new ServiceError('broker-unavailable')
    const known = this.states.device(origin.group, origin.edgeNode, device)
    const alias = known === undefined ? undefined : setpointAlias(known)
    const now = Date.now()
    const { name, datatype } = THERMOSTAT_METRICS.setpoint
    const command: SparkplugPayload = {
      timestamp: now,
      metrics: [{ ...(alias === undefined ? { name } : { alias }), datatype, value: setpointInDeviceUnit(known, value), timestamp: now }]
    }
    // [tck-id-topics-dcmd-mqtt]: QoS 0, not retained.
    await this.client.publishAsync(deviceTopic(origin.group, 'DCMD', origin.edgeNode, device), encodeSparkplugPayload(command), {
      qos: 0,
      retain: false
    })
  }

  /** The death STATE, then a clean DISCONNECT ([tck-id-operational-behavior-host-application-termination]). */
  async close(): Promise<void> {
    this.states.close()
    if (this.client.connected) {
      const death = encodeHostState({ online: false, timestamp: this.stateTimestamp })
      await Promise.race([
        this.client.publishAsync(this.stateTopic, death, { qos: 1, retain: true }).catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 2000))
      ])
    }
    await this.client.endAsync(!this.client.connected)
  }

  /** [tck-id-host-topic-phid-death-payload] [tck-id-host-topic-phid-death-qos] [tck-id-host-topic-phid-death-retain] */
  private will(): NonNullable<IClientOptions['will']> {
    return { topic: this.stateTopic, payload: encodeHostState({ online: false, timestamp: this.stateTimestamp }), qos: 1, retain: true }
  }

  /** Subscribes to the namespace, then the birth STATE ([tck-id-host-topic-phid-birth-sub-required] [tck-id-host-topic-phid-birth-required]). */
  private onConnect(): void {
    const { logger } = this.options
    this.bornOnThisConnection = false
    this.client
      .subscribeAsync(SPARKPLUG_FILTER, { qos: 1 })
      .then(() => this.publishBirth())
      .then(() => {
        this.bornOnThisConnection = true
        logger.info({ hostId: this.options.hostId }, 'online as Sparkplug primary host')
        this.firstBirth?.()
        this.firstBirth = undefined
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'going online as Sparkplug host failed'))
  }

  private async publishBirth(): Promise<void> {
    await this.client.publishAsync(this.stateTopic, encodeHostState({ online: true, timestamp: this.stateTimestamp }), {
      qos: 1,
      retain: true
    })
  }

  private onMessage(topic: string, payload: Buffer, receivedAt: number): void {
    const parsed = parseSparkplugTopic(topic)
    if (parsed === undefined) return
    if (parsed.kind === 'state') {
      if (parsed.hostId === this.options.hostId) this.ownState(payload)
      return
    }
    let decoded: SparkplugPayload
    try {
      decoded = decodeSparkplugPayload(payload)
    } catch (error) {
      if (!(error instanceof ContractError)) throw error
      this.options.onUnreadable(topic, error.message)
      return
    }
    this.states.handle(parsed, decoded, receivedAt)
  }

  /** Reported offline (a will of an earlier connection, or someone else's word): the birth again ([tck-id-message-flow-hid-sparkplug-state-message-delivered]). */
  private ownState(payload: Buffer): void {
    let online: boolean
    try {
      online = decodeHostState(payload).online
    } catch (error) {
      if (error instanceof ContractError) return
      throw error
    }
    if (!online && this.bornOnThisConnection && this.client.connected)
      this.publishBirth().catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'republishing the Sparkplug birth STATE failed')
      )
  }

  /** NCMD `Node Control/Rebirth` true ([tck-id-operational-behavior-data-commands-ncmd-rebirth-verb] [...-name] [...-value]). */
  private askRebirth(group: string, edgeNode: string): void {
    if (!this.client.connected) return
    const now = Date.now()
    const command = encodeSparkplugPayload({
      timestamp: now,
      metrics: [{ name: REBIRTH_METRIC, datatype: 'Boolean', value: true, timestamp: now }]
    })
    this.options.logger.info({ group, edgeNode }, 'asking a Sparkplug edge node for a rebirth')
    this.client.publish(nodeTopic(group, 'NCMD', edgeNode), command, { qos: 0, retain: false })
  }
}
