import { type Logger, pino } from 'pino'

/**
 * The failures a fuzz run watches for besides its own checks: uncaught exceptions and unhandled rejections in
 * the process, and errors the broker logs (a handler that threw is caught and only logged, but is a bug too).
 */
export class FailureWatch {
  /** The broker's logger: errors only, each kept as a failure. */
  readonly logger: Logger
  private readonly uncaught: string[] = []
  /** The same failure is logged many times over: kept once per message and top frames, with a count. */
  private readonly brokerErrors = new Map<string, { count: number; text: string }>()
  private readonly onUncaught = (error: unknown): void => {
    this.uncaught.push(`uncaught exception: ${stackOf(error)}`)
  }
  private readonly onRejection = (error: unknown): void => {
    this.uncaught.push(`unhandled rejection: ${stackOf(error)}`)
  }

  constructor() {
    process.on('uncaughtException', this.onUncaught)
    process.on('unhandledRejection', this.onRejection)
    const brokerErrors = this.brokerErrors
    this.logger = pino(
      { level: 'error' },
      {
        write(line: string) {
          const entry = JSON.parse(line) as { msg?: string; err?: { stack?: string }; clientId?: string }
          const stack = entry.err?.stack ?? line
          const key = `${entry.msg} ${stack.split('\n').slice(0, 8).join('\n')}`
          const seen = brokerErrors.get(key)
          if (seen !== undefined) seen.count++
          else
            brokerErrors.set(key, { count: 1, text: `broker logged "${entry.msg}" (first from client ${entry.clientId ?? '?'}): ${stack}` })
        }
      }
    )
  }

  /** True once the process saw an uncaught exception or unhandled rejection: the run stops early. */
  get crashed(): boolean {
    return this.uncaught.length > 0
  }

  /** Everything seen so far, uncaught failures first. */
  problems(): string[] {
    return [...this.uncaught, ...[...this.brokerErrors.values()].map(({ count, text }) => `${count} × ${text}`)]
  }

  stop(): void {
    process.off('uncaughtException', this.onUncaught)
    process.off('unhandledRejection', this.onRejection)
  }
}

export function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}
