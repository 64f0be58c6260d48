import type { BrokerStatus } from '../../../service/api/api-types.js'
import { formatAgo, formatCount, formatDuration, formatRate, MISSING } from '../display-format.js'
import { h, showError } from '../dom.js'
import type { View, ViewContext } from '../view.js'
import { BrokerClientsPanel } from './broker-clients-panel.js'
import { BrokerSessionsPanel } from './broker-sessions-panel.js'
import { RetainedPanel } from './retained-panel.js'

/**
 * The broker: its `$SYS` figures as the service last heard them (live rates, kept current from the live feed),
 * then its clients, sessions and retained messages from its admin API, which the service relays. Without a
 * configured admin API the three lists say so and the figures still show.
 */
export class BrokerView implements View {
  readonly title = 'Broker'
  readonly element: HTMLElement
  private readonly facts = h('dl', { class: 'facts wide' })
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private readonly clients: BrokerClientsPanel
  private readonly stopListening: () => void

  constructor(context: ViewContext) {
    this.clients = new BrokerClientsPanel(context.api)
    const sessions = new BrokerSessionsPanel(context.api)
    const retained = new RetainedPanel(context.api)
    this.element = h(
      'section',
      { class: 'broker', 'aria-labelledby': 'broker-title' },
      h('h1', { id: 'broker-title' }, 'Broker'),
      this.facts,
      this.status,
      this.clients.element,
      sessions.element,
      retained.element
    )
    this.stopListening = context.live.listen((event) => {
      if (event.type === 'broker') this.show(event.broker)
    })
    context.api.broker().then(
      (status) => this.show(status),
      (error: unknown) => showError(this.status, error)
    )
    void this.clients.load()
    void sessions.load()
    void retained.load()
  }

  destroy(): void {
    this.stopListening()
    this.clients.destroy()
  }

  private show(broker: BrokerStatus): void {
    const facts: Array<[string, string]> = [
      ['Connected clients', formatCount(broker.clientsConnected)],
      ['Messages in', formatRate(broker.messagesReceivedPerSecond)],
      ['Messages out', formatRate(broker.messagesSentPerSecond)],
      ['Retained messages', formatCount(broker.retainedMessages)],
      ['Uptime', formatDuration(broker.uptimeSeconds)],
      ['Version', broker.version ?? MISSING]
    ]
    this.facts.replaceChildren(...facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))))
    this.status.textContent =
      broker.updatedAt === undefined ? 'No $SYS update from the broker yet.' : `Updated ${formatAgo(broker.updatedAt, Date.now())}.`
  }
}
