import type { Logger } from 'pino'

/**
 * Calls `stop` once with the reason, on the first of: SIGINT, SIGTERM, or, for a part started by
 * `thermopost start`, the end of the IPC channel to its supervisor. The channel ends however the supervisor
 * ends, `kill -9` included, so a part never outlives it (and never keeps its port or its data directory
 * locked against the next start). The channel is unreferenced: it never keeps a part running by itself.
 */
export function onStopRequest(stop: (reason: string) => void): void {
  let asked = false
  const once = (reason: string): void => {
    if (asked) return
    asked = true
    stop(reason)
  }
  process.on('SIGINT', () => once('SIGINT'))
  process.on('SIGTERM', () => once('SIGTERM'))
  if (process.channel !== undefined) {
    process.channel.unref()
    process.on('disconnect', () => {
      // Nobody is left to wait for this part or to kill it: a close that hangs (the other parts are going
      // at the same moment, the broker among them) must not leave it running, so it gets a deadline.
      setTimeout(() => process.exit(1), ORPHAN_CLOSE_DEADLINE_MS).unref()
      once('supervisor gone')
    })
  }
}

/** How long a part whose supervisor is gone may take to close cleanly before it exits anyway. */
const ORPHAN_CLOSE_DEADLINE_MS = 5_000

/**
 * How a long-running command ends: on the first stop request (above) it logs why, runs `close`, and
 * exits 0 once that has finished (1 if it failed). A second signal while closing is ignored, so an
 * impatient Ctrl-C does not cut the close short.
 */
export function closeOnSignals(logger: Pick<Logger, 'info' | 'error'>, close: () => Promise<void>): void {
  onStopRequest((reason) => {
    logger.info(`${reason}: closing`)
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
  })
}
