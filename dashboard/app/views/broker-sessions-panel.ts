import type { AdminSession } from '../../../service/api/api-types.js'
import type { ApiClient } from '../api-client.js'
import { formatCount, formatDuration, MISSING } from '../display-format.js'
import { h } from '../dom.js'
import { confirmButton } from './confirm-button.js'
import { PagedTable } from './paged-table.js'

/**
 * The sessions the broker holds, connected and offline, with their subscriptions and queued messages and when an
 * offline one ends; each can be deleted after asking (its connection, if any, is ended first).
 */
export class BrokerSessionsPanel {
  readonly element: HTMLElement
  private readonly table: PagedTable<'sessions', AdminSession>
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })

  constructor(private readonly api: ApiClient) {
    this.table = new PagedTable<'sessions', AdminSession>({
      name: 'sessions',
      keyOf: (session) => session.clientId,
      list: 'sessions',
      load: (after) => api.brokerSessions({ after }),
      empty: 'No session held.',
      columns: [
        { label: 'Client id', cell: (session) => session.clientId },
        {
          label: 'State',
          cell: (session) =>
            h('span', { class: `state state-${session.connected ? 'online' : 'offline'}` }, session.connected ? 'connected' : 'offline')
        },
        { label: 'Ends', cell: (session) => sessionEnd(session, Date.now()) },
        { label: 'Subscriptions', number: true, cell: (session) => formatCount(session.subscriptions) },
        { label: 'Queued', number: true, cell: (session) => formatCount(session.queued) },
        { label: 'Action', cell: (session) => this.deleteButton(session.clientId) }
      ]
    })
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, 'Sessions'),
      this.table.element,
      this.status
    )
  }

  load(): Promise<void> {
    return this.table.reload()
  }

  private deleteButton(clientId: string): HTMLButtonElement {
    return confirmButton({
      label: 'Delete',
      name: `Delete the session of ${clientId}`,
      question: `Delete the session of ${clientId}? Its subscriptions and queued messages are lost, and a connected client is disconnected.`,
      done: `Deleted the session of ${clientId}.`,
      status: this.status,
      act: async () => {
        await this.api.deleteSession(clientId)
        await this.load()
      }
    })
  }
}

/** While connected a session does not end; offline, it ends at its expiry, or never. */
function sessionEnd(session: AdminSession, now: number): string {
  if (session.connected) return MISSING
  if (session.expiresAt === null) return 'never'
  return `in ${formatDuration(Math.max(0, (session.expiresAt - now) / 1000))}`
}
