import type { CommandRecord } from '../../../service/api/api-types.js'
import { type ApiClient, ApiError } from '../api-client.js'
import { formatTemperature } from '../display-format.js'
import { h } from '../dom.js'
import { parseSetpoint, type SetpointLimits } from '../setpoint-input.js'

/** Commands remembered from the live feed; more than a person sends while one POST is under way. */
const SEEN_LIMIT = 20

/** What each command state means, for the status line. */
const STATE_TEXT: Record<CommandRecord['state'], string> = {
  queued: 'queued: the device is offline and gets it when it comes back',
  sent: 'sent, waiting for the device',
  acked: 'acknowledged by the device',
  refused: 'refused by the device',
  expired: 'expired before the device came back',
  'timed-out': 'timed out: the device did not answer'
}

/**
 * The setpoint form: disabled until the API's setpoint rule arrives (`enable`), checks it before sending, then follows the command it sent through
 * its states as the live feed reports them. The status line carries `data-state` for the browser tests.
 */
export class SetpointPanel {
  readonly element: HTMLElement
  private readonly input: HTMLInputElement
  private readonly fields = h('fieldset', { disabled: true })
  private readonly help = h('p', { id: 'setpoint-help', class: 'muted' })
  private limits: SetpointLimits | undefined
  private readonly message = h('p', { id: 'setpoint-message', class: 'field-message', role: 'alert' })
  private readonly status = h('p', { id: 'command-status', class: 'command-status', 'aria-live': 'polite' })
  private pending: string | undefined
  /**
   * The latest state of each recent command from the live feed: a device can ack before the POST's answer
   * arrives, and that ack must not be lost.
   */
  private readonly seen = new Map<string, CommandRecord>()

  constructor(
    private readonly id: string,
    private readonly api: ApiClient
  ) {
    this.input = h('input', {
      id: 'setpoint-input',
      type: 'number',
      inputmode: 'decimal',
      required: true,
      'aria-describedby': 'setpoint-help setpoint-message'
    })
    const button = h('button', { type: 'submit' }, 'Set')
    this.fields.append(h('label', { for: this.input.id }, 'Setpoint (°C)'), h('div', { class: 'inline' }, this.input, button), this.help)
    const form = h('form', { class: 'setpoint', novalidate: true }, this.fields, this.message, this.status)
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.submit(button)
    })
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'setpoint-title' },
      h('h2', { id: 'setpoint-title' }, 'Setpoint'),
      form
    )
  }

  /** The API's setpoint rule arrived: the form checks it and can be used. */
  enable(limits: SetpointLimits): void {
    this.limits = limits
    const { min, max, step } = limits
    Object.assign(this.input, { min: String(min), max: String(max), step: String(step) })
    this.help.textContent = `${min}–${max} °C in steps of ${step}.`
    this.fields.disabled = false
  }

  /** Fills the field with the setpoint in force, unless someone is typing in it. */
  showCurrent(setpoint: number | undefined): void {
    if (setpoint !== undefined && document.activeElement !== this.input && this.pending === undefined) this.input.value = String(setpoint)
  }

  /** A command from the live feed or the history: updates the status line when it is the one this form sent. */
  onCommand(command: CommandRecord): void {
    this.seen.delete(command.id)
    this.seen.set(command.id, command)
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.keys().next().value!)
    if (command.id !== this.pending) return
    const detail =
      command.state === 'acked' && command.appliedValue !== undefined
        ? ` (now ${formatTemperature(Number(command.appliedValue))})`
        : command.reason === undefined
          ? ''
          : `: ${command.reason}`
    this.status.dataset.state = command.state
    this.status.textContent = `Setpoint ${formatTemperature(Number(command.value))} ${STATE_TEXT[command.state]}${detail}.`
    if (command.state === 'queued' || command.state === 'sent') return
    this.pending = undefined
    if (command.state === 'acked' && command.appliedValue !== undefined) this.showCurrent(Number(command.appliedValue))
  }

  private async submit(button: HTMLButtonElement): Promise<void> {
    if (this.limits === undefined) return
    const parsed = parseSetpoint(this.input.value, this.limits)
    if (!parsed.ok) return this.fail(parsed.message)
    this.fail(undefined)
    button.disabled = true
    try {
      const command = await this.api.setpoint(this.id, parsed.value)
      this.pending = command.id
      const later = this.seen.get(command.id)
      this.onCommand(later !== undefined && later.updatedAt >= command.updatedAt ? later : command)
    } catch (error) {
      this.fail(error instanceof ApiError || error instanceof Error ? error.message : String(error))
    } finally {
      button.disabled = false
    }
  }

  private fail(message: string | undefined): void {
    this.message.textContent = message ?? ''
    this.input.setAttribute('aria-invalid', String(message !== undefined))
    if (message !== undefined) this.input.focus()
  }
}
