/**
 * A table body redrawn in place: a row already shown keeps its element, and of its cells only those that differ
 * from the fresh row's are replaced. Redrawing by replacing every row took away the element under a pressed mouse
 * button, and a browser sends no click when the element pressed is removed before the release: with readings
 * streaming in, a click on a device in the overview could go missing.
 */
export class KeyedRows {
  private shown = new Map<string, HTMLTableRowElement>()

  constructor(private readonly body: HTMLTableSectionElement) {}

  /** Shows `wanted` in this order; each fresh row is keyed by its `data-id`, unique among them. */
  show(wanted: readonly HTMLTableRowElement[]): void {
    const next = new Map<string, HTMLTableRowElement>()
    const rows = wanted.map((fresh) => {
      const id = fresh.dataset.id ?? ''
      const old = this.shown.get(id)
      const row = old === undefined ? fresh : patched(old, fresh)
      next.set(id, row)
      return row
    })
    // Rows already in order stay where they are: moving one removes it for a moment too.
    let at = this.body.firstElementChild
    for (const row of rows) {
      if (row === at) at = at.nextElementSibling
      else this.body.insertBefore(row, at)
    }
    while (at !== null) {
      const after: Element | null = at.nextElementSibling
      at.remove()
      at = after
    }
    this.shown = next
  }
}

/** `old` with the cells of `fresh` that differ from its own; `fresh` itself when the two are not the same shape. */
function patched(old: HTMLTableRowElement, fresh: HTMLTableRowElement): HTMLTableRowElement {
  const oldCells = [...old.cells]
  const freshCells = [...fresh.cells]
  if (oldCells.length !== freshCells.length) return fresh
  oldCells.forEach((cell, i) => {
    if (!cell.isEqualNode(freshCells[i])) cell.replaceWith(freshCells[i])
  })
  return old
}
