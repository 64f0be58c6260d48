import { join, resolve } from 'node:path'
import type { HistoryStore, RetentionOptions } from './history-store.js'
import { InfluxHistoryStore } from './influx.js'
import { SqliteHistoryStore } from './sqlite.js'

export interface OpenHistoryOptions {
  /** The service's data directory: the default SQLite file is `<dataDir>/history.db`. */
  dataDir: string
  retention?: Partial<RetentionOptions>
}

/** A `--history` value that names no store thermopost knows; the message says what is accepted. */
export class HistorySpecError extends Error {
  constructor (readonly spec: string, reason: string) {
    super(`--history ${spec}: ${reason}; expected sqlite:PATH or influx://USER:PASS@HOST:PORT/DB`)
    this.name = 'HistorySpecError'
  }
}

/**
 * The store a `--history` value names: absent → SQLite in the data directory; `sqlite:PATH` → SQLite at PATH
 * (relative to the working directory); `influx://[USER:PASS@]HOST[:PORT][/DB]` → InfluxDB 1.x over HTTP
 * (port 8086 and database `thermopost` when left out).
 */
export async function openHistoryStore (spec: string | undefined, options: OpenHistoryOptions): Promise<HistoryStore> {
  const { retention } = options
  if (spec === undefined) return new SqliteHistoryStore({ path: join(options.dataDir, 'history.db'), retention })
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length)
    if (path === '') throw new HistorySpecError(spec, 'the SQLite path is empty')
    return new SqliteHistoryStore({ path: resolve(path), retention })
  }
  if (spec.startsWith('influx://')) {
    let url: URL
    try {
      url = new URL(spec)
    } catch {
      throw new HistorySpecError(spec, 'not a URL')
    }
    if (url.hostname === '') throw new HistorySpecError(spec, 'the host is missing')
    const database = decodeURIComponent(url.pathname.slice(1)) || 'thermopost'
    if (database.includes('/')) throw new HistorySpecError(spec, 'the database name has a /')
    const connection = {
      host: url.hostname,
      port: url.port === '' ? 8086 : Number(url.port),
      ...(url.username === '' ? {} : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) })
    }
    return await InfluxHistoryStore.open({ connection, database, retention })
  }
  throw new HistorySpecError(spec, 'unknown kind of store')
}
