import { Chart, type ChartDataset } from 'chart.js'
import './chart-setup.js'
import type { ChartTheme } from './chart-theme.js'
import { formatTick } from './display-format.js'
import type { XY } from './line-gaps.js'
import { formatTime, TOOLTIP_FORMAT, tickLabel } from './time-labels.js'
import { timeTicks } from './time-ticks.js'

/** About the width a time label takes, with room between labels: an axis gets a tick per this many pixels at most. */
const TICK_SPACING_PX = 100

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
 * The time axis is a linear one in ms whose ticks fall on round local times (time-ticks.ts), labelled by Intl in
 * the browser's locale, one format per axis (time-labels.ts): no date library, which Chart.js's time scale needs.
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
          type: 'linear',
          // The data's span (or the one asked for), not widened to round numbers of ms.
          bounds: 'data',
          min,
          max,
          afterBuildTicks: (axis) => {
            axis.ticks = timeTicks(axis.min, axis.max, Math.max(2, Math.floor(axis.width / TICK_SPACING_PX))).map((value) => ({ value }))
          },
          ticks: {
            color: theme.text,
            maxRotation: 0,
            autoSkipPadding: 16,
            callback: (value, _index, ticks) => tickLabel(Number(value), ticks)
          },
          grid: { color: theme.grid }
        },
        y: {
          title: { display: true, text: '°C', color: theme.text },
          ticks: {
            color: theme.text,
            callback: (value, _index, ticks) => formatTick(Number(value), ticks.length > 1 ? ticks[1]!.value - ticks[0]!.value : 1)
          },
          grid: { color: theme.grid }
        }
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
