import { h } from './dom.js'
import { customRange, isRangePreset, presetRange, RANGE_PRESETS, type RangePreset, type TimeRange, toLocalInput } from './time-ranges.js'

export type RangeChoice = RangePreset | 'custom'

let pickers = 0

/**
 * The range buttons of the history and compare charts: a radio group (arrow keys move between the ranges) and,
 * for `custom`, two date-time fields with an Apply button. `onChange` hears every range chosen.
 */
export class RangePicker {
  readonly element: HTMLFieldSetElement
  private choice: RangeChoice
  private readonly customForm: HTMLFormElement
  private readonly message: HTMLElement

  constructor(
    initial: RangePreset,
    private readonly onChange: (range: TimeRange, choice: RangeChoice) => void
  ) {
    const name = `range-${++pickers}`
    this.choice = initial
    const radios = [...Object.entries(RANGE_PRESETS).map(([key, preset]) => [key, preset.label]), ['custom', 'Custom']].map(
      ([key, label]) => {
        const input = h('input', { type: 'radio', name, value: key, id: `${name}-${key}`, checked: key === initial })
        input.addEventListener('change', () => this.choose(key as RangeChoice))
        return h('span', { class: 'radio' }, input, h('label', { for: `${name}-${key}` }, label))
      }
    )
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

  /** The range the current choice stands for now (presets end at this moment). */
  current(): TimeRange | undefined {
    return isRangePreset(this.choice) ? presetRange(this.choice, Date.now()) : undefined
  }

  private choose(choice: RangeChoice): void {
    this.choice = choice
    this.customForm.hidden = choice !== 'custom'
    if (isRangePreset(choice)) this.onChange(presetRange(choice, Date.now()), choice)
  }
}
