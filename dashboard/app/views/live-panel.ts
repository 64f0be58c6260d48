import type { Chart as ChartClass } from 'chart.js'
import type { Reading } from '../../../service/api/api-types.js'
import type { ApiClient } from '../api-client.js'
import type { ChartTheme } from '../chart-theme.js'
import { formatTemperature } from '../display-format.js'
import { afterNextPaint, h, showError } from '../dom.js'
import type { XY } from '../line-gaps.js'
import { LiveWindow } from '../live-window.js'
import { timeChart } from '../time-chart.js'

/** How much the live chart shows, back from the newest reading. */
const LIVE_SPAN_MS = 10 * 60_000

/**
 * The device's last ten minutes, raw readings and setpoint, moving as readings arrive on the live feed; the lines
 * break across an outage.
 * The canvas carries `data-points` (how many readings it draws) for people's tools and the browser tests.
 */
export class LivePanel {
  readonly element: HTMLElement
  private readonly window = new LiveWindow(LIVE_SPAN_MS)
  private readonly canvas = h('canvas', { role: 'img', 'aria-label': 'Temperature over the last 10 minutes', 'data-points': 0 })
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…')
  private chart: ChartClass<'line', XY[]> | undefined
  private destroyed = false

  constructor(
    private readonly id: string,
    private readonly api: ApiClient,
    private readonly theme: ChartTheme
  ) {
    this.element = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'live-title' },
      h('h2', { id: 'live-title' }, 'Live'),
      h('div', { class: 'chart' }, this.canvas),
      this.status
    )
  }

  /**
   * The last ten minutes, drawn once `drawAfter` has settled and the page has painted: a page's first chart costs
   * tens of milliseconds of Chart.js set-up, and the device page's first is its history, so this one waits
   * rather than hold that one back. Readings from the live feed meanwhile go into the window it will draw.
   */
  async load(drawAfter: Promise<unknown>): Promise<void> {
    const now = Date.now()
    try {
      // Up to a minute ahead: a device whose clock runs a little fast still shows.
      const series = await this.api.readings(this.id, { from: now - LIVE_SPAN_MS, to: now + 60_000, resolution: 'raw' })
      for (const point of series.points) this.window.add({ time: point.time, temperature: point.mean, setpoint: point.setpoint })
    } catch (error) {
      showError(this.status, error)
      return
    }
    await Promise.allSettled([drawAfter])
    await afterNextPaint()
    if (this.destroyed) return
    this.chart = timeChart(this.canvas, this.theme, [
      {
        label: 'Temperature',
        data: this.window.temperature,
        borderColor: this.theme.mean,
        backgroundColor: this.theme.mean,
        borderWidth: 2,
        pointRadius: 0
      },
      {
        label: 'Setpoint',
        data: this.window.setpoint,
        borderColor: this.theme.setpoint,
        backgroundColor: this.theme.setpoint,
        borderDash: [6, 4],
        stepped: 'before',
        pointRadius: 0
      }
    ])
    this.showCount()
  }

  add(reading: Reading): void {
    if (this.window.add(reading)) this.redraw()
  }

  /** The device acknowledged a new setpoint: the setpoint line moves now, not at the next reading. */
  showAcknowledgedSetpoint(value: number, time: number): void {
    this.window.acknowledge(value, time)
    this.redraw()
  }

  destroy(): void {
    this.destroyed = true
    this.chart?.destroy()
  }

  private redraw(): void {
    if (this.chart !== undefined) {
      const [temperature, setpoint] = this.chart.data.datasets
      temperature.data = this.window.temperature
      setpoint.data = this.window.setpoint
      this.chart.update('none')
    }
    this.showCount()
  }

  private showCount(): void {
    const count = this.window.size
    this.canvas.dataset.points = String(count)
    const latest = this.window.latest?.temperature
    this.status.classList.remove('error')
    this.status.textContent =
      count === 0 ? 'No readings in the last 10 minutes.' : `${count} readings in the last 10 minutes; latest ${formatTemperature(latest)}.`
  }
}
