import { startFilledHistoryStack } from './filled-history-stack.js'
import { median, percentile } from './stats.js'

export interface ApiQueryFigure {
  query: string
  resolution: string
  points: number
  bytes: number
  requests: number
  medianMs: number
  p95Ms: number
}

const DAY = 86_400_000
/** Requests before the timed ones: the JIT, SQLite's page cache and the connection pool warm up. */
const WARMUP = 5
const REQUESTS = 30

/**
 * The REST API over real HTTP (keep-alive, as a browser has it) against a service holding 30 days of one
 * device reporting every minute: a week at `resolution=1m` (10 080 points) and 30 days at `resolution=auto`
 * (which must stay within about 2 000 points). Timed from the request to the last byte of the answer.
 */
export async function runApiQueryBench(): Promise<ApiQueryFigure[]> {
  const stack = await startFilledHistoryStack({ devices: 1, days: 30, detailInterval: 60, interval: 60 })
  try {
    const readings = `${stack.url}api/devices/${encodeURIComponent(stack.deviceIds[0])}/readings`
    return [
      await timeQuery('a week, 1-minute rollups', `${readings}?from=${stack.end - 7 * DAY}&to=${stack.end}&resolution=1m`),
      await timeQuery('30 days, resolution=auto', `${readings}?from=${stack.end - 30 * DAY}&to=${stack.end}&resolution=auto`)
    ]
  } finally {
    await stack.close()
  }
}

async function timeQuery(query: string, url: string): Promise<ApiQueryFigure> {
  let body = new ArrayBuffer(0)
  const times: number[] = []
  for (let request = 0; request < WARMUP + REQUESTS; request++) {
    const started = performance.now()
    const response = await fetch(url)
    body = await response.arrayBuffer()
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${Buffer.from(body).toString('utf8').slice(0, 200)}`)
    if (request >= WARMUP) times.push(performance.now() - started)
  }
  const series = JSON.parse(Buffer.from(body).toString('utf8')) as { resolution: string; points: unknown[] }
  return {
    query,
    resolution: series.resolution,
    points: series.points.length,
    bytes: body.byteLength,
    requests: REQUESTS,
    medianMs: median(times)!,
    p95Ms: percentile(times, 0.95)!
  }
}

export function renderApiQueryBench(figures: readonly ApiQueryFigure[]): string {
  return [
    `| API query, one device (GET /api/devices/:id/readings) | resolution | points | bytes | median ms | p95 ms | requests |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.query} | ${f.resolution} | ${f.points.toLocaleString('en')} | ${f.bytes.toLocaleString('en')} | ${f.medianMs.toFixed(1)} | ${f.p95Ms.toFixed(1)} | ${f.requests} after ${WARMUP} warm-up |`
    )
  ].join('\n')
}
