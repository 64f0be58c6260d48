import { type Logger, pino } from 'pino'

/** One parsed pino line: the fields every test reads, and whatever else the line carried. */
export interface LogLine {
  level: number
  msg: string
  err?: { message?: string }
  [field: string]: unknown
}

/** A real pino logger whose lines are kept, parsed, instead of written out. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line))
      }
    }
  )
  return { logger, lines }
}
