import { Chart, type ChartDataset } from 'chart.js'
import './chart-setup.js'
import type { ChartTheme } from './chart-theme.js'
import type { XY } from './line-gaps.js'
import { formatTime, TOOLTIP_FORMAT, tickLabel } from './time-labels.js'

export interface TimeChartOptions {
  /** Labels of datasets the legend leaves out (the band's lower edge). */
  hideInLegend?: readonly string[]
  /** The time axis's span, ms; absent, the data's. */
  min?: number
  max?: number
}

/**
 * A line chart over a time axis, as every chart of the dashboard is: no animation (live data would never
 * settle), data already in {x, y} form (`parsing: false`) so Chart.js does no per-point work, temperatures in °C.
 * Times are labelled by Intl in the browser's locale, one format per axis (time-labels.ts).
 * The chart draws as it is made (its canvas is on the page), so it is made with the span it is to show: setting
 * that afterwards would lay out and draw it twice, its slowest step on a page's first chart.
 */
export function timeChart(
  canvas: HTMLCanvasElement,
  theme: ChartTheme,
  datasets: Array<ChartDataset<'line', XY[]>>,
  { hideInLegend = [], min, max }: TimeChartOptions = {}
): Chart<'line', XY[]> {
  return new Chart<'line', XY[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'time',
          min,
          max,
          ticks: {
            color: theme.text,
            maxRotation: 0,
            autoSkipPadding: 16,
            callback: (value, _index, ticks) => tickLabel(Number(value), ticks)
          },
          grid: { color: theme.grid }
        },
        y: { title: { display: true, text: '°C', color: theme.text }, ticks: { color: theme.text }, grid: { color: theme.grid } }
      },
      plugins: {
        legend: {
          labels: { color: theme.text, usePointStyle: true, pointStyle: 'line', filter: (item) => !hideInLegend.includes(item.text) }
        },
        tooltip: {
          filter: (item) => item.parsed.y !== null,
          callbacks: { title: (items) => (items.length === 0 ? '' : formatTime(items[0].parsed.x ?? 0, TOOLTIP_FORMAT)) }
        }
      }
    }
  })
}
