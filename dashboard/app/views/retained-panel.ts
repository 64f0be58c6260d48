import type { AdminRetained } from '../../../service/api/api-types.js'
import type { ApiClient } from '../api-client.js'
import { formatCount } from '../display-format.js'
import { h, showError } from '../dom.js'
import { confirmButton } from './confirm-button.js'
import { PagedTable } from './paged-table.js'

/**
 * The broker's retained messages under a topic filter (`#` for all), paged; a message's payload is shown whole on
 * View (as text when it is UTF-8, else base64), and a message can be deleted after asking.
 */
export class RetainedPanel {
  readonly element: HTMLElement
  private readonly table: PagedTable<'messages', AdminRetained>
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private readonly viewer = h('section', { class: 'payload', 'aria-labelledby': 'payload-title', hidden: true })
  private filter = '#'

  constructor(private readonly api: ApiClient) {
    const input = h('input', { type: 'text', id: 'retained-filter', value: this.filter, autocomplete: 'off', spellcheck: 'false' })
    const form = h(
      'form',
      { class: 'filters', 'aria-label': 'Retained messages by topic filter' },
      h('label', { for: input.id }, 'Topic filter'),
      input,
      h('button', { type: 'submit' }, 'Show')
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.filter = input.value.trim() === '' ? '#' : input.value.trim()
      void this.load()
    })
    this.table = new PagedTable<'messages', AdminRetained>({
      name: 'retained messages',
      keyOf: (message) => message.topic,
      list: 'messages',
      load: (after) => api.retainedMessages({ after, filter: this.filter }),
      empty: 'No retained message matches.',
      columns: [
        { label: 'Topic', cell: (message) => message.topic },
        { label: 'QoS', number: true, cell: (message) => String(message.qos) },
        { label: 'Bytes', number: true, cell: (message) => formatCount(message.size) },
        { label: 'Action', cell: (message) => this.actions(message.topic) }
      ]
    })
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'retained-title' },
      h('h2', { id: 'retained-title' }, 'Retained messages'),
      form,
      this.table.element,
      this.status,
      this.viewer
    )
  }

  load(): Promise<void> {
    return this.table.reload()
  }

  private actions(topic: string): HTMLElement {
    const view = h('button', { type: 'button', 'aria-label': `View ${topic}` }, 'View')
    view.addEventListener('click', () => void this.show(topic))
    const remove = confirmButton({
      label: 'Delete',
      name: `Delete ${topic}`,
      question: `Delete the retained message on ${topic}? New subscribers will no longer get it.`,
      done: `Deleted the retained message on ${topic}.`,
      status: this.status,
      act: async () => {
        await this.api.deleteRetained(topic)
        if (this.viewer.dataset.topic === topic) this.viewer.hidden = true
        await this.load()
      }
    })
    return h('span', { class: 'actions' }, view, remove)
  }

  /** Read again rather than taken from the row: the payload may have changed since the list was loaded. */
  private async show(topic: string): Promise<void> {
    try {
      const message = await this.api.retainedMessage(topic)
      const text = message.payload ?? message.payloadBase64
      this.viewer.dataset.topic = topic
      this.viewer.replaceChildren(
        h('h3', { id: 'payload-title' }, topic),
        h(
          'p',
          { class: 'muted' },
          `QoS ${message.qos}, ${formatCount(message.size)} bytes${message.payload === null ? ', not UTF-8: shown as base64' : ''}.`
        ),
        h('pre', { class: 'payload-text' }, text)
      )
      this.viewer.hidden = false
    } catch (error) {
      showError(this.status, error)
    }
  }
}
