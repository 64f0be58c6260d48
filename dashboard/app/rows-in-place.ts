/**
 * Shows the fresh rows `wanted` in `body`, in this order, redrawn in place: a row already shown (the same `data-id`,
 * unique among them) keeps its element, and of its cells only those that differ from the fresh row's are replaced.
 * Redrawing by replacing every row took away the element under a pressed mouse button, and a browser sends no click
 * when the element pressed is removed before the release: with readings streaming in, a click on a device in the
 * overview could go missing.
 */
export function showRowsInPlace(body: HTMLTableSectionElement, wanted: readonly HTMLTableRowElement[]): void {
  const shown = new Map([...body.rows].map((row) => [row.dataset.id, row]))
  const rows = wanted.map((fresh) => {
    const old = shown.get(fresh.dataset.id)
    return old === undefined ? fresh : patched(old, fresh)
  })
  // Rows already in order stay where they are: moving one removes it for a moment too.
  let at = body.firstElementChild
  for (const row of rows) {
    if (row === at) at = at.nextElementSibling
    else body.insertBefore(row, at)
  }
  while (at !== null) {
    const after: Element | null = at.nextElementSibling
    at.remove()
    at = after
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
