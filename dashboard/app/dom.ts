type AttributeValue = string | number | boolean | undefined
type Child = Node | string | undefined

/**
 * An element with attributes and children. `true` sets a bare attribute, `false` and `undefined` leave it out;
 * strings become text nodes, never HTML, so device names and server messages cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) if (child !== undefined) element.append(child)
  return element
}

/**
 * Settles once the browser has painted the next frame: a requestAnimationFrame callback runs just before the
 * paint, and a task it queues runs after it. Work put off this way does not hold back what is already drawn.
 */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
}

/** The element with this id, which the page's own markup or code put there. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from the page`)
  return element as T
}

/** Puts a failure's message into a status line, styled as an error. */
export function showError(target: HTMLElement, error: unknown): void {
  target.textContent = error instanceof Error ? error.message : String(error)
  target.classList.add('error')
}
