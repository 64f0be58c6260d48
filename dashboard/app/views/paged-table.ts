import type { AdminPage } from '../../../service/api/api-types.js'
import { h, showError } from '../dom.js'

/** One column: its header and what its cell shows for an item. */
export interface Column<T> {
  label: string
  cell: (item: T) => Node | string
  /** Right-aligned, tabular figures. */
  number?: boolean
}

export interface PagedTableOptions<List extends string, T> {
  /** The table's name, for its caption (screen readers) and its `data-table`. */
  name: string
  columns: Array<Column<T>>
  /** The row's `data-id`. */
  keyOf: (item: T) => string
  /** The key of a page's items: the listing's name in the broker's admin API (`clients`, `sessions`, `messages`). */
  list: List
  /** The page after `after` (the first page when undefined). */
  load: (after: string | undefined) => Promise<AdminPage<List, T>>
  /** What an empty table says. */
  empty: string
}

/**
 * A table of a paged listing of the broker's admin API: the first page on `reload`, the next ones appended by its
 * More button, and a status line saying how many rows show or what went wrong (a 503 when the broker's admin API is
 * not configured says so there, while the rest of the page works). Answers to an older `reload` are dropped.
 */
export class PagedTable<List extends string, T> {
  readonly element: HTMLElement
  private readonly body = h('tbody')
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private readonly more = h('button', { type: 'button', hidden: true }, 'More')
  private next: string | null = null
  private shown = 0
  private generation = 0

  constructor(private readonly options: PagedTableOptions<List, T>) {
    this.more.addEventListener('click', () => void this.loadPage(this.next ?? undefined, this.generation))
    this.element = h(
      'div',
      { class: 'paged-table' },
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { 'data-table': options.name },
          h('caption', { class: 'visually-hidden' }, options.name),
          h('thead', {}, h('tr', {}, ...options.columns.map((column) => h('th', { scope: 'col' }, column.label)))),
          this.body
        )
      ),
      h('div', { class: 'table-foot' }, this.status, this.more)
    )
  }

  /** Empties the table and loads its first page. */
  reload(): Promise<void> {
    this.generation++
    this.shown = 0
    this.body.replaceChildren()
    this.status.textContent = 'Loading…'
    return this.loadPage(undefined, this.generation)
  }

  private async loadPage(after: string | undefined, generation: number): Promise<void> {
    this.more.disabled = true
    try {
      const page = await this.options.load(after)
      if (generation !== this.generation) return
      const items: T[] = page[this.options.list]
      this.body.append(...items.map((item) => this.row(item)))
      this.shown += items.length
      this.next = page.next
      this.status.classList.remove('error')
      this.status.textContent = this.shown === 0 ? this.options.empty : `${this.shown} shown${page.next === null ? '' : ', more to load'}.`
      this.more.hidden = page.next === null
    } catch (error) {
      if (generation === this.generation) showError(this.status, error)
    } finally {
      this.more.disabled = false
    }
  }

  private row(item: T): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-id': this.options.keyOf(item) },
      ...this.options.columns.map((column) =>
        h('td', { 'data-label': column.label, class: column.number === true ? 'number' : undefined }, column.cell(item))
      )
    )
  }
}
