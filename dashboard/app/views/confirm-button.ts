import { h, showError } from '../dom.js'

export interface ConfirmButtonOptions {
  label: string
  /** The button's accessible name, naming what it acts on ("Disconnect kitchen-sensor"). */
  name: string
  /** Asked before acting; Cancel does nothing. */
  question: string
  act: () => Promise<void>
  /** What `status` says once it is done. */
  done: string
  /** Where the outcome is shown. */
  status: HTMLElement
}

/** A button for something that cannot be undone: it asks first, and is disabled while the request runs. */
export function confirmButton({ label, name, question, act, done, status }: ConfirmButtonOptions): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'danger', 'aria-label': name }, label)
  button.addEventListener('click', async () => {
    if (!confirm(question)) return
    button.disabled = true
    try {
      await act()
      status.classList.remove('error')
      status.textContent = done
    } catch (error) {
      showError(status, error)
    } finally {
      button.disabled = false
    }
  })
  return button
}
