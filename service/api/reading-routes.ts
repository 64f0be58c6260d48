import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Router } from 'express'
import type { HistoryStore, Resolution, Series, SeriesPoint } from '../history/history-store.js'
import { ServiceError } from '../service-error.js'
import { deviceOf } from './device-routes.js'
import { parseInput } from './parse-input.js'
import { csvQuery, readingsQuery, seriesQuery } from './request-schemas.js'
import type { DeviceDirectory } from './service-parts.js'

/** Without `from`, a series covers this long before `to` (which is now when absent). */
export const DEFAULT_SPAN_MS = 86_400_000

/**
 * `/devices/:id/readings` as a chart series (JSON), `/readings?device=a&device=b` as several at once (one
 * request for a chart of many devices: a browser asks at most six at a time), and `/devices/:id/readings.csv`
 * as a download.
 */
export function readingRoutes(devices: DeviceDirectory, history: HistoryStore, now: () => number): Router {
  const router = Router()
  router.get('/devices/:id/readings', async (req, res) => {
    const device = deviceOf(devices, req)
    const query = parseInput(readingsQuery, req.query)
    const { from, to } = rangeOf(query, now)
    res.json({ ...(await seriesOf(history, device.id, from, to, query)), from, to })
  })
  router.get('/readings', async (req, res) => {
    const query = parseInput(seriesQuery, req.query)
    const unknown = query.device.find((id) => devices.get(id) === undefined)
    if (unknown !== undefined) throw new ServiceError('unknown-device', `no device with id '${unknown}'`)
    const { from, to } = rangeOf(query, now)
    const series = await Promise.all(query.device.map((id) => seriesOf(history, id, from, to, query)))
    res.json({ series, from, to })
  })
  router.get('/devices/:id/readings.csv', async (req, res) => {
    const device = deviceOf(devices, req)
    const query = parseInput(csvQuery, req.query)
    const { from, to } = rangeOf(query, now)
    const resolution = query.resolution ?? 'raw'
    const name = `${device.id.replace(/[^A-Za-z0-9._-]+/g, '_')}-${resolution}-${new Date(from).toISOString().slice(0, 10)}.csv`
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`)
    await pipeline(Readable.from(history.exportCsv(device.id, from, to, resolution)), res).catch((error: unknown) => {
      // The client went away mid-download: nothing failed on this side.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error
    })
  })
  return router
}

async function seriesOf(
  history: HistoryStore,
  deviceId: string,
  from: number,
  to: number,
  query: { resolution?: Resolution | 'auto'; maxPoints?: number }
): Promise<Series> {
  const resolution = query.resolution ?? 'auto'
  if (query.maxPoints !== undefined && resolution !== 'auto') {
    throw new ServiceError(
      'invalid-field',
      `maxPoints applies to resolution=auto only; resolution=${resolution} returns every point`,
      'maxPoints'
    )
  }
  const series = await history.query({
    deviceId,
    from,
    to,
    resolution,
    ...(query.maxPoints === undefined ? {} : { maxPoints: query.maxPoints })
  })
  return { ...series, points: series.points.map(rounded) }
}

function rangeOf(query: { from?: number; to?: number }, now: () => number): { from: number; to: number } {
  const to = query.to ?? now()
  const from = query.from ?? to - DEFAULT_SPAN_MS
  if (from >= to) {
    throw new ServiceError(
      'invalid-field',
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
      'from'
    )
  }
  return { from, to }
}

/**
 * A mean or setpoint to a thousandth of a degree: finer than any sensor, and a week of 1-minute points is
 * about half the JSON with full float precision (every mean would carry 17 digits).
 */
function rounded(point: SeriesPoint): SeriesPoint {
  const mean = Math.round(point.mean * 1000) / 1000
  return point.setpoint === undefined ? { ...point, mean } : { ...point, mean, setpoint: Math.round(point.setpoint * 1000) / 1000 }
}
