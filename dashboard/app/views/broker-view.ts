import type { BrokerStatus } from '../../../service/api/api-types.js'
import { formatAgo, formatCount, formatDuration, formatRate, MISSING } from '../display-format.js'
import { h, showError } from '../dom.js'
import type { View, ViewContext } from '../view.js'

/** The broker's $SYS figures, as the service last heard them, kept current from the live feed. */
export class BrokerView implements View {
  readonly title = 'Broker'
  readonly element: HTMLElement
  private readonly facts = h('dl', { class: 'facts wide' })
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private readonly stopListening: () => void

  constructor(context: ViewContext) {
    this.element = h('section', { 'aria-labelledby': 'broker-title' }, h('h1', { id: 'broker-title' }, 'Broker'), this.facts, this.status)
    this.stopListening = context.live.listen((event) => {
      if (event.type === 'broker') this.show(event.broker)
    })
    context.api.broker().then(
      (status) => this.show(status),
      (error: unknown) => showError(this.status, error)
    )
  }

  destroy(): void {
    this.stopListening()
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
