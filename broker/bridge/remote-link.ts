import mqtt, { type AckHandler, type IClientOptions, type MqttClient } from 'mqtt'
import type { IConnackPacket } from 'mqtt-packet'
import type { Logger } from 'pino'
import type { BridgeSettings } from './bridge-settings.js'
import { ReleasedQos2Store } from './released-qos2-store.js'
import { restartDelay } from './restart-delay.js'

/** What the link tells the bridge, and the one thing it asks of it. */
export interface RemoteLinkHandlers {
  /**
   * A CONNACK accepted the connection: `client` is the remote (at `address`) until `disconnected(client)`.
   */
  connected(client: MqttClient, connack: IConnackPacket, address: string): void
  disconnected(client: MqttClient): void
  /** Decides when a remote QoS 1/2 PUBLISH is acknowledged (mqtt.js `customHandleAcks`). */
  acknowledge: AckHandler
  /** The remote released the QoS 2 message it sent as `packetId` (PUBREL); the PUBCOMP waits for the promise. */
  released(packetId: number): Promise<void>
}

/** How long one attempt may take to get its CONNACK. */
const CONNECT_TIMEOUT_MS = 10_000

/** TLS failures that mean the remote's certificate was not trusted, as Node names them. */
const untrustedCertificate = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/

/**
 * One bridge's connection to its remote broker, kept up for as long as the bridge runs: one mqtt.js client per
 * attempt (so nothing mqtt.js queued for a dead connection is sent again behind the bridge's back: the bridge's
 * session resends what was in flight), through the addresses in turn when one fails, waiting `restartDelay`
 * (back-off with jitter) between failures. Every failure is logged with its cause.
 */
export class RemoteLink {
  private client: MqttClient | undefined
  private addressIndex = 0
  private failures = 0
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly settings: BridgeSettings,
    private readonly logger: Logger,
    private readonly handlers: RemoteLinkHandlers
  ) {}

  start(): void {
    this.attempt()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    const client = this.client
    this.client = undefined
    // Without waiting for what is in flight: the bridge's session keeps it and sends it again next time.
    if (client !== undefined) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()))
  }

  private attempt(): void {
    const address = this.settings.addresses[this.addressIndex]!
    const incomingStore = new ReleasedQos2Store(this.handlers.released, (error) => client.emit('error', error))
    const client = mqtt.connect(address, { ...this.clientOptions(), incomingStore })
    // mqtt.js takes customHandleAcks only for 5.0 and acknowledges a 3.1.1 PUBLISH at once, before it is stored
    // here; its handler of incoming PUBLISHes asks the option whatever the version, so it is set after the fact.
    client.options.customHandleAcks = this.handlers.acknowledge
    this.client = client
    let wasConnected = false
    let failure: string | undefined
    client.on('connect', (connack) => {
      wasConnected = true
      this.failures = 0
      this.logger.info({ bridge: this.settings.name, address }, `bridge ${this.settings.name}: connected to ${address}`)
      this.handlers.connected(client, connack, address)
    })
    client.on('error', (error) => {
      failure ??= describeFailure(error, this.settings.tls.insecure)
      // After CONNACK an error (a message we could not store) ends the connection: what is unacknowledged comes again.
      if (wasConnected) client.end(true)
    })
    client.once('close', () => {
      if (this.client !== client) return // stopped, or an attempt that was given up
      client.removeAllListeners()
      client.on('error', () => {})
      client.end(true)
      if (wasConnected) this.handlers.disconnected(client)
      if (this.stopped) return
      this.retry(address, wasConnected, failure)
    })
  }

  /** After a failure the next address is tried; after a lost connection the same one first. */
  private retry(address: string, wasConnected: boolean, failure: string | undefined): void {
    this.failures++
    if (!wasConnected) this.addressIndex = (this.addressIndex + 1) % this.settings.addresses.length
    const { restartDelay: base, restartDelayMax } = this.settings
    const seconds = restartDelay(this.failures, base, restartDelayMax)
    const what = wasConnected ? `lost the connection to ${address}` : `cannot connect to ${address}`
    this.logger.warn(
      { bridge: this.settings.name, address, reason: failure, retryInSeconds: Number(seconds.toFixed(2)) },
      `bridge ${this.settings.name}: ${what}${failure === undefined ? '' : `: ${failure}`}; trying ${this.settings.addresses[this.addressIndex]} in ${seconds.toFixed(1)} s`
    )
    this.timer = setTimeout(() => this.attempt(), seconds * 1000)
  }

  private clientOptions(): IClientOptions {
    const { settings } = this
    const persistent = !settings.cleanStart
    return {
      protocolVersion: settings.protocolVersion,
      clientId: settings.clientId,
      clean: settings.cleanStart,
      username: settings.username,
      password: settings.password,
      keepalive: settings.keepalive,
      // The remote keeps our session for as long as a 3.1.1 one is kept: until we come back.
      properties: settings.protocolVersion === 5 && persistent ? { sessionExpiryInterval: 0xffffffff } : undefined,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      resubscribe: false,
      queueQoSZero: false,
      // Per packet, mqtt.js otherwise resets its ping timer and formats several debug lines: about as costly as the
      // rest of its handling of a PUBACK. The out link puts the ping off once a turn instead (out-link.ts flush).
      reschedulePings: false,
      log: () => {},
      ca: settings.tls.ca,
      cert: settings.tls.cert,
      key: settings.tls.key,
      rejectUnauthorized: !settings.tls.insecure
    }
  }
}

/** The reason for a failed attempt in the words of whoever has to fix it. */
function describeFailure(error: Error & { code?: string | number }, insecure: boolean): string {
  if (typeof error.code === 'number')
    return `the remote refused the connection (${error.message}, reason code 0x${error.code.toString(16)})`
  if (!insecure && typeof error.code === 'string' && untrustedCertificate.test(error.code)) {
    return `the remote's certificate is not trusted (${error.code}: ${error.message}); give its CA in cafile`
  }
  return error.message
}
