import type { AdminClient } from '../../../service/api/api-types.js'
import type { ApiClient } from '../api-client.js'
import { formatAgo, formatCount, MISSING } from '../display-format.js'
import { h } from '../dom.js'
import { confirmButton } from './confirm-button.js'
import { PagedTable } from './paged-table.js'

/** Typing in the search box asks the broker again once this long has passed without a key. */
const SEARCH_DELAY_MS = 250

/**
 * The broker's connected clients, searched by client id, user name or address (by the broker, so every page is
 * searched, not only the one shown), each with a button that ends its connection after asking.
 */
export class BrokerClientsPanel {
  readonly element: HTMLElement
  private readonly table: PagedTable<'clients', AdminClient>
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private search = ''
  private searchTimer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly api: ApiClient) {
    const input = h('input', { type: 'search', id: 'client-search', placeholder: 'Client id, user or address', autocomplete: 'off' })
    input.addEventListener('input', () => {
      clearTimeout(this.searchTimer)
      this.searchTimer = setTimeout(() => {
        this.search = input.value.trim()
        void this.load()
      }, SEARCH_DELAY_MS)
    })
    const filters = h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Client search' },
      h('label', { for: input.id }, 'Search clients'),
      input
    )
    filters.addEventListener('submit', (event) => event.preventDefault())
    this.table = new PagedTable<'clients', AdminClient>({
      name: 'clients',
      keyOf: (client) => client.clientId,
      list: 'clients',
      load: (after) => api.brokerClients({ after, search: this.search }),
      empty: 'No client connected.',
      columns: [
        { label: 'Client id', cell: (client) => client.clientId },
        { label: 'User', cell: (client) => client.username ?? client.certificateCN ?? MISSING },
        { label: 'Address', cell: (client) => client.address ?? MISSING },
        { label: 'Listener', cell: (client) => client.listener },
        { label: 'MQTT', cell: (client) => client.protocolVersion },
        { label: 'Connected', cell: (client) => formatAgo(client.connectedSince, Date.now()) },
        { label: 'Subscriptions', number: true, cell: (client) => subscriptionsCell(client) },
        { label: 'In flight', number: true, cell: (client) => formatCount(client.inflight) },
        { label: 'Queued', number: true, cell: (client) => formatCount(client.queued) },
        { label: 'Action', cell: (client) => this.disconnectButton(client.clientId) }
      ]
    })
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'clients-title' },
      h('h2', { id: 'clients-title' }, 'Clients'),
      filters,
      this.table.element,
      this.status
    )
  }

  load(): Promise<void> {
    return this.table.reload()
  }

  destroy(): void {
    clearTimeout(this.searchTimer)
  }

  private disconnectButton(clientId: string): HTMLButtonElement {
    return confirmButton({
      label: 'Disconnect',
      name: `Disconnect ${clientId}`,
      question: `Disconnect ${clientId}? It may connect again; its session stays.`,
      done: `Disconnected ${clientId}.`,
      status: this.status,
      act: async () => {
        await this.api.disconnectClient(clientId)
        await this.load()
      }
    })
  }
}

/** The count, with the filters and their QoS as the tooltip. */
function subscriptionsCell(client: AdminClient): HTMLElement {
  const filters = client.subscriptions.map(({ filter, qos }) => `${filter} (QoS ${qos})`).join('\n')
  return h('span', { title: filters === '' ? undefined : filters }, formatCount(client.subscriptions.length))
}
