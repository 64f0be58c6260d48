import { RESOLUTION_MS, type Resolution, type SeriesPoint } from './history-store.js'

/** A stored reading as a CSV row: the Reading's values without the device's identity. */
export interface RawRow {
  time: number
  temperature: number
  setpoint?: number
  heating?: boolean
  humidity?: number
}

/** Rows with `time` ≥ the given cursor (and before the export's end), ascending, at most `limit`. */
export type PageReader<Row> = (cursor: number, limit: number) => Promise<Row[]>

const PAGE = 5000

/**
 * A range as CSV lines, read a page at a time: each page starts just after the last row of the one before
 * (keyset paging; a device has one row per time in each resolution), so memory stays one page whatever the range.
 * After a bucket, "just after" is the next bucket: the readers take in every bucket that overlaps their range.
 */
export async function* seriesCsv(
  deviceId: string,
  from: number,
  resolution: Resolution,
  readPage: PageReader<RawRow> | PageReader<SeriesPoint>
): AsyncGenerator<string> {
  const device = csvField(deviceId)
  yield resolution === 'raw' ? 'time,device_id,temperature,setpoint,heating,humidity\n' : 'time,device_id,min,mean,max,count,setpoint\n'
  let cursor = from
  for (;;) {
    const rows: Array<RawRow | SeriesPoint> = await readPage(cursor, PAGE)
    for (const row of rows) {
      const cells =
        'temperature' in row
          ? [row.temperature, row.setpoint, row.heating, row.humidity]
          : [row.min, row.mean, row.max, row.count, row.setpoint]
      yield `${new Date(row.time).toISOString()},${device},${cells.map((cell) => cell ?? '').join(',')}\n`
    }
    if (rows.length < PAGE) return
    cursor = rows[rows.length - 1].time + Math.max(1, RESOLUTION_MS[resolution])
  }
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}
