import type { Chart as ChartClass, ChartDataset } from 'chart.js'
import './chart-global.js'
import type { ChartTheme } from './chart-theme.js'
import type { XY } from './line-gaps.js'
import { formatTime, TOOLTIP_FORMAT, tickLabel } from './time-labels.js'

/**
 * A line chart over a time axis, as every chart of the dashboard is: no animation (live data would never
 * settle), data already in {x, y} form (`parsing: false`) so Chart.js does no per-point work, temperatures in °C.
 * Times are labelled by Intl in the browser's locale, one format per axis (time-labels.ts). `hideInLegend` keeps the band's lower edge out of the legend.
 */
export function timeChart(
  canvas: HTMLCanvasElement,
  theme: ChartTheme,
  datasets: Array<ChartDataset<'line', XY[]>>,
  hideInLegend: readonly string[] = []
): ChartClass<'line', XY[]> {
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
