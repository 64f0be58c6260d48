import type { MqttClient } from 'mqtt'
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet'
import type { BridgeHost } from './bridge-host.js'
import type { BridgeSettings } from './bridge-settings.js'
import { BridgeState } from './bridge-state.js'
import { EchoFilter } from './echo-filter.js'
import { Inbound } from './inbound.js'
import { Outbound } from './outbound.js'
import { RemoteLink } from './remote-link.js'

/** How long a message sent to a 3.1.1 remote counts as ours when it comes back (echo-filter.ts). */
const ECHO_WINDOW_MS = 30_000

/**
 * One bridge: its remote link, its out and in directions over it, and its state. Only a 3.1.1 bridge with topics
 * in both directions needs the echo filter.
 */
export class Bridge {
  readonly state: BridgeState
  private readonly outbound: Outbound
  private readonly inbound: Inbound
  private readonly link: RemoteLink

  constructor(
    private readonly host: BridgeHost,
    readonly settings: BridgeSettings,
    node: string
  ) {
    this.state = new BridgeState(settings.name, host.publisher, () => this.outbound.queueDepth)
    const goesBothWays =
      settings.topics.some((topic) => topic.direction !== 'in') && settings.topics.some((topic) => topic.direction !== 'out')
    const echoes = settings.protocolVersion === 4 && goesBothWays ? new EchoFilter(ECHO_WINDOW_MS) : undefined
    this.outbound = new Outbound(host, settings, node, this.state, echoes)
    this.inbound = new Inbound(host, settings, this.outbound.clientId, this.state, echoes, () => this.outbound.heldSession)
    this.link = new RemoteLink(settings, host.logger, {
      connected: (client, connack, address) => this.connected(client, connack, address),
      disconnected: () => {
        this.outbound.detach()
        this.state.linkDown()
      },
      acknowledge: (_topic, _payload, packet: IPublishPacket, done) => this.inbound.acknowledge(packet, done),
      released: (packetId) => this.inbound.released(packetId)
    })
  }

  /** Opens the out direction's session (so messages queue from now on), publishes the state and connects. */
  async start(): Promise<void> {
    await this.outbound.open()
    this.state.publishState()
    this.link.start()
  }

  async stop(): Promise<void> {
    await this.link.stop()
    this.outbound.detach()
    this.state.linkDown()
  }

  /**
   * The SUBSCRIBE goes first and alone: mqtt.js numbers it, and until its SUBACK no PUBLISH of the session may
   * take its packet id.
   */
  private connected(client: MqttClient, connack: IConnackPacket, address: string): void {
    client.on('message', (_topic, _payload, packet) => this.inbound.received(packet))
    if (!connack.sessionPresent) this.inbound.remoteSessionLost()
    this.state.linkUp(address)
    this.inbound
      .subscribe(client)
      // The link may have gone while the SUBACK was awaited: then there is nothing to attach to.
      .then(() => (client.connected ? this.outbound.attach(client, connack) : undefined))
      .catch((error: unknown) => {
        this.host.logger.error(
          { bridge: this.settings.name, err: error },
          `bridge ${this.settings.name}: the out direction failed to start`
        )
      })
  }
}
