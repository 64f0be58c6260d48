import type { Logger } from 'pino'
import type { HistoryStore } from './history/history-store.js'

/**
 * Applies the history's retention now and then every `everyMs` (an hour unless set), so old raw readings go
 * without a restart. A failed run is logged and tried again next time. Returns the function that stops it.
 */
export function startRetention(history: HistoryStore, logger: Logger, everyMs = 3_600_000): () => void {
  const run = (): void => {
    history
      .applyRetention(Date.now())
      .catch((error: unknown) => logger.error({ err: error }, 'history retention failed; trying again later'))
  }
  run()
  const timer = setInterval(run, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
