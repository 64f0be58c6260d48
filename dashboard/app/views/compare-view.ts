import type { Chart as ChartClass } from 'chart.js'
import type { DeviceSummary } from '../../../service/api/api-types.js'
import { h, showError } from '../dom.js'
import { routeHash } from '../hash-route.js'
import { gapThreshold } from '../history-datasets.js'
import { withGaps, type XY } from '../line-gaps.js'
import { RangePicker } from '../range-picker.js'
import { timeChart } from '../time-chart.js'
import type { TimeRange } from '../time-ranges.js'
import type { View, ViewContext } from '../view.js'

/** Each device's series is thinner here, so many fit: 50 devices × 500 points draw as fast as 12 × 2 000. */
const COMPARE_MAX_POINTS = 500

/** Several devices' mean temperatures on one chart; the chosen devices live in the URL so a comparison can be shared. */
export class CompareView implements View {
  readonly title = 'Compare'
  readonly element: HTMLElement
  private readonly choices = h('div', { class: 'choices' })
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading devices…')
  private readonly canvas = h('canvas', { role: 'img', 'aria-label': 'Mean temperature of the chosen devices' })
  private readonly picker: RangePicker
  private readonly chosen: Set<string>
  private chart: ChartClass<'line', XY[]> | undefined
  private range: TimeRange
  private generation = 0

  constructor(
    ids: string[],
    private readonly context: ViewContext
  ) {
    this.chosen = new Set(ids)
    this.picker = new RangePicker('24h', (range) => {
      this.range = range
      void this.draw()
    })
    this.range = this.picker.current().range!
    this.element = h(
      'section',
      { 'aria-labelledby': 'compare-title' },
      h('h1', { id: 'compare-title' }, 'Compare devices'),
      h('fieldset', { class: 'device-choices' }, h('legend', {}, 'Devices'), this.choices),
      this.picker.element,
      h('div', { class: 'chart tall' }, this.canvas),
      this.status
    )
    void this.load()
  }

  destroy(): void {
    this.chart?.destroy()
  }

  private async load(): Promise<void> {
    let devices: DeviceSummary[]
    try {
      devices = (await this.context.api.devices()).sort((a, b) => a.id.localeCompare(b.id))
    } catch (error) {
      showError(this.status, error)
      return
    }
    if (this.chosen.size === 0) for (const device of devices.slice(0, 3)) this.chosen.add(device.id)
    this.choices.replaceChildren(
      ...devices.map((device, index) => {
        const box = h('input', { type: 'checkbox', id: `compare-${index}`, value: device.id, checked: this.chosen.has(device.id) })
        box.addEventListener('change', () => {
          if (box.checked) this.chosen.add(device.id)
          else this.chosen.delete(device.id)
          history.replaceState(null, '', routeHash({ view: 'compare', ids: [...this.chosen] }))
          void this.draw()
        })
        return h('span', { class: 'check' }, box, h('label', { for: box.id }, device.id))
      })
    )
    await this.draw()
  }

  private async draw(): Promise<void> {
    const generation = ++this.generation
    const ids = [...this.chosen].sort()
    this.status.textContent = 'Loading…'
    try {
      const all = await this.context.api.manyReadings(ids, { ...this.range, maxPoints: COMPARE_MAX_POINTS })
      if (generation !== this.generation) return
      const colours = this.context.theme.series
      const datasets = all.map((series, index) => ({
        label: series.deviceId,
        data: withGaps(
          series.points,
          gapThreshold(series),
          (point) => point.time,
          (point) => point.mean
        ),
        borderColor: colours[index % colours.length],
        backgroundColor: colours[index % colours.length],
        borderWidth: 2,
        pointRadius: 0
      }))
      const { from: min, to: max } = this.range
      if (this.chart === undefined) this.chart = timeChart(this.canvas, this.context.theme, datasets, { min, max })
      else {
        this.chart.data.datasets = datasets
        this.chart.options.scales!.x!.min = min
        this.chart.options.scales!.x!.max = max
        this.chart.update('none')
      }
      this.status.classList.remove('error')
      this.status.textContent =
        ids.length === 0
          ? 'Choose devices to compare.'
          : `${ids.length} devices, ${all.reduce((sum, series) => sum + series.points.length, 0)} points.`
    } catch (error) {
      if (generation === this.generation) showError(this.status, error)
    }
  }
}
