import { h } from './dom.js'
import { customRange, isRangePreset, presetRange, RANGE_PRESETS, type RangePreset, type TimeRange, toLocalInput } from './time-ranges.js'

/**
 * `fit`: the readings there are, at most the last 24 hours: what a chart opens on, so a device that started
 * reporting an hour ago fills the chart instead of a sliver at its right edge.
 */
export type RangeChoice = RangePreset | 'fit' | 'custom'

/** The span `fit` asks for; the chart then starts at the first reading in it. */
export const FIT_MAX: RangePreset = '24h'

let pickers = 0

/**
 * The range buttons of the history and compare charts: a radio group (arrow keys move between the ranges), with
 * `fit` first when the chart opens on it, and for `custom` two date-time fields with an Apply button. `onChange` hears every range chosen.
 */
export class RangePicker {
  readonly element: HTMLFieldSetElement
  private readonly name = `range-${++pickers}`
  private choice: RangeChoice
  /**
   * Made the first time `custom` is chosen: a `datetime-local` field with a value loads the locale's date
   * formats, about 9 ms here, which every chart's page paid before its first request went out.
   */
  private customForm: HTMLFormElement | undefined

  constructor(
    initial: RangePreset | 'fit',
    private readonly onChange: (range: TimeRange, choice: RangeChoice) => void
  ) {
    this.choice = initial
    const choices = [
      ...(initial === 'fit' ? [['fit', 'Fit']] : []),
      ...Object.entries(RANGE_PRESETS).map(([key, preset]) => [key, preset.label]),
      ['custom', 'Custom']
    ]
    const radios = choices.map(([key, label]) => {
      const input = h('input', { type: 'radio', name: this.name, value: key, id: `${this.name}-${key}`, checked: key === initial })
      input.addEventListener('change', () => this.choose(key as RangeChoice))
      return h('span', { class: 'radio' }, input, h('label', { for: `${this.name}-${key}` }, label))
    })
    this.element = h('fieldset', { class: 'range-picker' }, h('legend', {}, 'Range'), h('div', { class: 'radios' }, ...radios))
  }

  /** The current choice, and the range it stands for now (presets and `fit` end at this moment). */
  current(): { choice: RangeChoice; range: TimeRange | undefined } {
    const preset = this.choice === 'fit' ? FIT_MAX : this.choice
    return { choice: this.choice, range: isRangePreset(preset) ? presetRange(preset, Date.now()) : undefined }
  }

  private choose(choice: RangeChoice): void {
    this.choice = choice
    if (choice === 'custom') this.customForm ??= this.element.appendChild(this.makeCustomForm())
    if (this.customForm !== undefined) this.customForm.hidden = choice !== 'custom'
    const { range } = this.current()
    if (range !== undefined) this.onChange(range, choice)
  }

  /** Two date-time fields, from the last 24 hours to begin with, and an Apply button. */
  private makeCustomForm(): HTMLFormElement {
    const now = Date.now()
    const from = h('input', { type: 'datetime-local', id: `${this.name}-from`, value: toLocalInput(now - 86_400_000), required: true })
    const to = h('input', { type: 'datetime-local', id: `${this.name}-to`, value: toLocalInput(now), required: true })
    const message = h('p', { class: 'field-message', role: 'alert' })
    const form = h(
      'form',
      { class: 'custom-range', novalidate: true },
      h('label', { for: from.id }, 'From'),
      from,
      h('label', { for: to.id }, 'To'),
      to,
      h('button', { type: 'submit' }, 'Apply'),
      message
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const range = customRange(from.value, to.value)
      message.textContent = typeof range === 'string' ? range : ''
      if (typeof range !== 'string') this.onChange(range, 'custom')
    })
    return form
  }
}
