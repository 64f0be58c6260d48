/** pino's numeric levels, as a person reads them. */
const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/** Fields every pino line has, left out of the shown details. */
const routine = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name'])

/**
 * One line of a part's output for the supervisor's terminal: `broker    INFO listening on ... {details}`.
 * The parts log JSON (pino) for machines; a person running `npm start` wants it short. Lines that are
 * not pino JSON (a stack trace, the simulator's summary) are shown as they are.
 */
export function formatLogLine(part: string, line: string, width: number): string {
  const prefix = part.padEnd(width)
  if (!line.startsWith('{')) return `${prefix} ${line}`
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return `${prefix} ${line}`
  }
  if (typeof entry.msg !== 'string' || typeof entry.level !== 'number') return `${prefix} ${line}`
  const details = Object.entries(entry).filter(([key]) => !routine.has(key))
  const detailText = details.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(details))}`
  return `${prefix} ${(levelNames[entry.level] ?? String(entry.level)).padEnd(5)} ${entry.msg}${detailText}`
}
