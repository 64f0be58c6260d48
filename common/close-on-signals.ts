import type { Logger } from 'pino'

/**
 * How a long-running command ends: on the first SIGINT or SIGTERM it logs the signal, runs `close`, and
 * exits 0 once that has finished (1 if it failed). A second signal while closing is ignored, so an
 * impatient Ctrl-C does not cut the close short.
 */
export function closeOnSignals(logger: Pick<Logger, 'info' | 'error'>, close: () => Promise<void>): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return
    closing = true
    logger.info(`${signal}: closing`)
    close().then(
      () => {
        logger.info('closed')
        process.exit(0)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'close failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
