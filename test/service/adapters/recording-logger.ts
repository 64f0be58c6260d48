import { type Logger, pino } from 'pino'

/** A real pino logger whose lines are kept, parsed, instead of written out. */
export function recordingLogger(): { logger: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = []
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
