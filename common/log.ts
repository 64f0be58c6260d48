import { type Logger, pino } from 'pino'

/** The process logger: one JSON line per event on stdout (pino), level from THERMOPOST_LOG_LEVEL. */
export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.THERMOPOST_LOG_LEVEL ?? 'info' })
}
