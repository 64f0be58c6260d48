import type { ApiClient } from '../api-client.js'
import { h } from '../dom.js'
import type { View } from '../view.js'

/** Shown when the API answers 401: trades the API token for the session cookie, then hands back to the app. */
export class LoginView implements View {
  readonly title = 'Log in'
  readonly element: HTMLElement

  constructor(api: ApiClient, onLoggedIn: () => void) {
    const token = h('input', {
      id: 'login-token',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      'aria-describedby': 'login-help login-message'
    })
    const message = h('p', { id: 'login-message', class: 'field-message', role: 'alert' })
    const button = h('button', { type: 'submit' }, 'Log in')
    const form = h(
      'form',
      { class: 'login', novalidate: true },
      h('label', { for: token.id }, 'API token'),
      token,
      h('p', { id: 'login-help', class: 'muted' }, 'The token thermopost printed when it first started (also in its data directory).'),
      message,
      button
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (token.value.trim() === '') {
        message.textContent = 'Enter the API token.'
        token.focus()
        return
      }
      button.disabled = true
      api
        .login(token.value.trim())
        .then(onLoggedIn, (error: unknown) => {
          message.textContent = error instanceof Error ? error.message : String(error)
          token.focus()
        })
        .finally(() => {
          button.disabled = false
        })
    })
    this.element = h('section', { class: 'panel narrow', 'aria-labelledby': 'login-title' }, h('h1', { id: 'login-title' }, 'Log in'), form)
    queueMicrotask(() => token.focus())
  }

  destroy(): void {}
}
