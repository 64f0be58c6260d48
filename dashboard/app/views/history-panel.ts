import type { Chart as ChartClass } from 'chart.js'
import type { ApiClient } from '../api-client.js'
import type { ChartTheme } from '../chart-theme.js'
import { h, showError } from '../dom.js'
import { HISTORY_LABELS, historyDatasets } from '../history-datasets.js'
import type { XY } from '../line-gaps.js'
import { RangePicker } from '../range-picker.js'
import { seriesCaption } from '../series-caption.js'
import { timeChart } from '../time-chart.js'
import type { TimeRange } from '../time-ranges.js'

/**
 * The device's history over a chosen range, from whatever resolution the server picked for it (at most about
 * 2 000 points): the min–max band, the mean and the setpoint. The caption and its `data-resolution` say which
 * resolution was drawn; the CSV link follows the range. It opens on `fit`: the readings of the last 24 hours,
 * from the first one, so a new device's few minutes fill the chart.
 */
export class HistoryPanel {
  readonly element: HTMLElement
  private readonly canvas = h('canvas', { role: 'img', 'aria-label': 'Temperature history: minimum to maximum band, mean and setpoint' })
  private readonly caption = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…')
  private readonly csv = h('a', { class: 'button', download: true }, 'Download CSV')
  private readonly picker: RangePicker
  private chart: ChartClass<'line', XY[]> | undefined
  /** Answers to older range choices are dropped: only the last one asked for is drawn. */
  private generation = 0

  constructor(
    private readonly id: string,
    private readonly api: ApiClient,
    private readonly theme: ChartTheme
  ) {
    this.picker = new RangePicker('fit', (range, choice) => void this.show(range, choice === 'fit'))
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'),
      this.picker.element,
      h('div', { class: 'chart' }, this.canvas),
      h('div', { class: 'chart-foot' }, this.caption, this.csv)
    )
  }

  load(): Promise<void> {
    const { choice, range } = this.picker.current()
    return this.show(range!, choice === 'fit')
  }

  destroy(): void {
    this.chart?.destroy()
  }

  /** `fit`: the chart starts at the first reading in `range` rather than at its start. */
  private async show(range: TimeRange, fit: boolean): Promise<void> {
    const generation = ++this.generation
    this.csv.href = this.api.readingsCsvUrl(this.id, range.from, range.to)
    this.caption.textContent = 'Loading…'
    try {
      const series = await this.api.readings(this.id, { from: range.from, to: range.to, resolution: 'auto' })
      if (generation !== this.generation) return
      const datasets = historyDatasets(series, this.theme)
      const first = series.points[0]?.time
      const min = fit && first !== undefined ? Math.max(range.from, first) : range.from
      if (this.chart === undefined) {
        this.chart = timeChart(this.canvas, this.theme, datasets, { hideInLegend: [HISTORY_LABELS.min], min, max: range.to })
      } else {
        this.chart.data.datasets = datasets
        const x = this.chart.options.scales!.x!
        x.min = min
        x.max = range.to
        this.chart.update('none')
      }
      this.caption.classList.remove('error')
      this.caption.textContent = seriesCaption(series)
      this.caption.dataset.resolution = series.resolution
    } catch (error) {
      if (generation === this.generation) showError(this.caption, error)
    }
  }
}
