import type { Registry } from 'prom-client'
import { type BridgeState, bridgeDropReasons } from '../bridge/bridge-state.js'
import type { Broker } from '../broker.js'
import { type ScrapedSamples, scrapedMetric } from './scraped-metric.js'

/**
 * Each bridge's figures (bridge/bridge-state.ts), labelled `bridge` by its name, read when scraped. A broker without
 * bridges exports the families with no samples.
 */
export function bridgeMetrics(registry: Registry, source: Pick<Broker, 'bridges'>): void {
  const perBridge = (value: (state: BridgeState) => number) => (): ScrapedSamples =>
    bridges(source).map((state) => [{ bridge: state.name }, value(state)])
  const gauge = (name: string, help: string, value: (state: BridgeState) => number): void =>
    scrapedMetric(registry, 'gauge', { name, help, labelNames: ['bridge'], read: perBridge(value) })
  gauge('thermopost_broker_bridge_connected', "1 while the bridge's link to its remote broker is up, else 0", (state) =>
    state.connected ? 1 : 0
  )
  gauge(
    'thermopost_broker_bridge_queued_messages',
    'Messages waiting for the remote broker (QoS 1/2, in the store)',
    (state) => state.queueDepth.messages
  )
  gauge(
    'thermopost_broker_bridge_queued_bytes',
    'Payload bytes of the messages waiting for the remote broker',
    (state) => state.queueDepth.bytes
  )
  scrapedMetric(registry, 'counter', {
    name: 'thermopost_broker_bridge_messages_forwarded_total',
    help: 'Messages forwarded, by direction: out (to the remote, acknowledged by it) or in (from the remote, published here)',
    labelNames: ['bridge', 'direction'],
    read: () =>
      bridges(source).flatMap(
        (state): Array<[Record<string, string>, number]> => [
          [{ bridge: state.name, direction: 'out' }, state.forwardedOut],
          [{ bridge: state.name, direction: 'in' }, state.forwardedIn]
        ]
      )
  })
  scrapedMetric(registry, 'counter', {
    name: 'thermopost_broker_bridge_messages_dropped_total',
    help: 'Messages a bridge did not forward, by reason: queue_full (past its queue limits), refused (by the remote), loop (they had come from there)',
    labelNames: ['bridge', 'reason'],
    read: () =>
      bridges(source).flatMap((state) =>
        bridgeDropReasons.map((reason): [Record<string, string>, number] => [{ bridge: state.name, reason }, state.droppedBy[reason]])
      )
  })
  scrapedMetric(registry, 'counter', {
    name: 'thermopost_broker_bridge_reconnects_total',
    help: "Links made to the remote broker after the bridge's first one: each time it came back",
    labelNames: ['bridge'],
    read: perBridge((state) => state.reconnects)
  })
}

function bridges(source: Pick<Broker, 'bridges'>): BridgeState[] {
  return [...(source.bridges?.states().values() ?? [])]
}
