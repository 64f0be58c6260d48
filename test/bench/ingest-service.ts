// The service-ingest scenario's service: startService on a fresh SQLite history, as `thermopost service` runs
// it, with the history wrapped to count what is stored and time it. Started by IngestServiceProcess with the
// broker's URL as its argument; talks to its parent over IPC and stops when the channel closes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { SqliteHistoryStore } from '../../service/history/sqlite.js'
import { startService } from '../../service/service.js'
import type { IngestServiceMessage, IngestServiceRequest } from './ingest-service-process.js'
import { LatencyHistogram } from './latency-histogram.js'
import { TimedHistoryStore } from './timed-history-store.js'

/**
 * Close still stores the last batch after the parent has hung up: with a callback, a send into the closed
 * channel fails quietly instead of as an uncaught 'error' on the process.
 */
function tell(message: IngestServiceMessage): void {
  if (process.connected) process.send?.(message, undefined, {}, () => {})
}

const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-bench-service-'))
const latency = new LatencyHistogram()
let total = 0
let sinceReset = 0
const history = new TimedHistoryStore(new SqliteHistoryStore({ path: join(dataDir, 'history.db') }), (count, ages) => {
  total += count
  sinceReset += count
  for (const age of ages) latency.recordMs(age)
  tell({ type: 'stored', total })
})
const logger = pino({ level: 'warn' })
const service = await startService({ urls: [process.argv[2]], dataDir, history, logger })

process.on('message', (request: IngestServiceRequest) => {
  if (request.type === 'reset') {
    sinceReset = 0
    latency.reset()
  } else {
    tell({ type: 'report', report: { stored: sinceReset, p50Ms: latency.quantileMs(0.5), p99Ms: latency.quantileMs(0.99) } })
  }
})
process.once('disconnect', () => {
  void (async () => {
    await service.close()
    await history.close()
    rmSync(dataDir, { recursive: true, force: true })
    process.exit(0)
  })()
})
await service.ready
tell({ type: 'ready' })
