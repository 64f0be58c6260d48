import type { ChartDataset } from 'chart.js'
import type { Series, SeriesPoint } from '../../service/api/api-types.js'
import { gapAfterBuckets, gapAfterSpacing, withGaps, type XY } from './line-gaps.js'

export interface HistoryColors {
  band: string
  bandEdge: string
  mean: string
  setpoint: string
}

/** Labels of the history chart's datasets, in drawing order: the band is min filled up to max. */
export const HISTORY_LABELS = { min: 'Minimum', max: 'Maximum', mean: 'Mean', setpoint: 'Setpoint' } as const

/**
 * The history chart's four datasets: the min–max band (the max line filled down to the min line, fill '-1'),
 * the mean line and the setpoint as steps. Where the device was silent for longer than three points'
 * spacing, every line breaks, so an outage does not read as a straight ramp.
 */
export function historyDatasets(series: Series, colors: HistoryColors): Array<ChartDataset<'line', XY[]>> {
  const gap = gapThreshold(series)
  const line = { pointRadius: 0, pointHitRadius: 4, borderWidth: 1, spanGaps: false }
  return [
    {
      ...line,
      label: HISTORY_LABELS.min,
      data: pointsOf(series.points, gap, (point) => point.min),
      borderColor: colors.bandEdge,
      backgroundColor: colors.band,
      fill: false
    },
    {
      ...line,
      label: HISTORY_LABELS.max,
      data: pointsOf(series.points, gap, (point) => point.max),
      borderColor: colors.bandEdge,
      backgroundColor: colors.band,
      fill: '-1'
    },
    {
      ...line,
      label: HISTORY_LABELS.mean,
      data: pointsOf(series.points, gap, (point) => point.mean),
      borderColor: colors.mean,
      backgroundColor: colors.mean,
      borderWidth: 2,
      fill: false
    },
    {
      ...line,
      label: HISTORY_LABELS.setpoint,
      data: pointsOf(series.points, gap, (point) => point.setpoint ?? null),
      borderColor: colors.setpoint,
      backgroundColor: colors.setpoint,
      borderDash: [6, 4],
      stepped: 'before',
      fill: false
    }
  ]
}

/**
 * Points further apart than this (ms) have a gap between them: three buckets for rollups, three times the
 * median spacing for raw readings (which have no bucket but come at the device's interval).
 */
export function gapThreshold(series: Series): number {
  return series.bucketMs > 0 ? gapAfterBuckets(series.bucketMs) : gapAfterSpacing(series.points.map((point) => point.time))
}

function pointsOf(points: readonly SeriesPoint[], gap: number, value: (point: SeriesPoint) => number | null): XY[] {
  return withGaps(points, gap, (point) => point.time, value)
}
