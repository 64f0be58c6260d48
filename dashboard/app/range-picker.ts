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
  private choice: RangeChoice
  private readonly customForm: HTMLFormElement
  private readonly message: HTMLElement

  constructor(
    initial: RangePreset | 'fit',
    private readonly onChange: (range: TimeRange, choice: RangeChoice) => void
  ) {
    const name = `range-${++pickers}`
    this.choice = initial
    const choices = [
      ...(initial === 'fit' ? [['fit', 'Fit']] : []),
      ...Object.entries(RANGE_PRESETS).map(([key, preset]) => [key, preset.label]),
      ['custom', 'Custom']
    ]
    const radios = choices.map(([key, label]) => {
      const input = h('input', { type: 'radio', name, value: key, id: `${name}-${key}`, checked: key === initial })
      input.addEventListener('change', () => this.choose(key as RangeChoice))
      return h('span', { class: 'radio' }, input, h('label', { for: `${name}-${key}` }, label))
    })
    const now = Date.now()
    const from = h('input', { type: 'datetime-local', id: `${name}-from`, value: toLocalInput(now - 86_400_000), required: true })
    const to = h('input', { type: 'datetime-local', id: `${name}-to`, value: toLocalInput(now), required: true })
    this.message = h('p', { class: 'field-message', role: 'alert' })
    this.customForm = h(
      'form',
      { class: 'custom-range', hidden: true, novalidate: true },
      h('label', { for: from.id }, 'From'),
      from,
      h('label', { for: to.id }, 'To'),
      to,
      h('button', { type: 'submit' }, 'Apply'),
      this.message
    )
    this.customForm.addEventListener('submit', (event) => {
      event.preventDefault()
      const range = customRange(from.value, to.value)
      this.message.textContent = typeof range === 'string' ? range : ''
      if (typeof range !== 'string') this.onChange(range, 'custom')
    })
    this.element = h(
      'fieldset',
      { class: 'range-picker' },
      h('legend', {}, 'Range'),
      h('div', { class: 'radios' }, ...radios),
      this.customForm
    )
  }

  /** The current choice, and the range it stands for now (presets and `fit` end at this moment). */
  current(): { choice: RangeChoice; range: TimeRange | undefined } {
    const preset = this.choice === 'fit' ? FIT_MAX : this.choice
    return { choice: this.choice, range: isRangePreset(preset) ? presetRange(preset, Date.now()) : undefined }
  }

  private choose(choice: RangeChoice): void {
    this.choice = choice
    this.customForm.hidden = choice !== 'custom'
    const { range } = this.current()
    if (range !== undefined) this.onChange(range, choice)
  }
}
