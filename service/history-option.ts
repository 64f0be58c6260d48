import { join } from 'node:path'
import type { HistoryStore, RetentionOptions } from './history/history-store.js'
import { InfluxHistoryStore } from './history/influx.js'
import { SqliteHistoryStore } from './history/sqlite.js'

/** Where the history lives, from `--history sqlite:PATH | influx://USER:PASS@HOST:PORT/DB`. */
export type HistoryTarget =
  | { kind: 'sqlite'; path: string }
  | { kind: 'influx'; host: string; port: number; database: string; username?: string; password?: string }

/** A `--history` value that is not one of the two forms; the message says what is wrong and shows the forms. */
export class HistoryOptionError extends Error {}

const FORMS = 'sqlite:PATH or influx://USER:PASS@HOST:PORT/DB'

/** Absent: `history.db` in the data directory. */
export function parseHistoryOption(text: string | undefined, dataDir: string): HistoryTarget {
  if (text === undefined) return { kind: 'sqlite', path: join(dataDir, 'history.db') }
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length)
    if (path === '') throw new HistoryOptionError(`'${text}' names no file: use ${FORMS}`)
    return { kind: 'sqlite', path }
  }
  if (!text.startsWith('influx://')) throw new HistoryOptionError(`'${redacted(text)}' is neither form: use ${FORMS}`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new HistoryOptionError(`'${redacted(text)}' is not a valid URL: use ${FORMS}`)
  }
  const database = decodeURIComponent(url.pathname.slice(1))
  if (database === '' || database.includes('/'))
    throw new HistoryOptionError(`'${redacted(text)}' needs the database name as its path, one segment (influx://HOST:8086/thermopost)`)
  if (url.search !== '' || url.hash !== '')
    throw new HistoryOptionError(`'${redacted(text)}' has a query or fragment, which InfluxDB URLs here do not take`)
  return {
    kind: 'influx',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 8086 : Number(url.port),
    database,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) })
  }
}

/** Opens the store; an InfluxDB that cannot be reached rejects here, so start-up stops with the reason. */
export async function openHistory(target: HistoryTarget, retention: Partial<RetentionOptions>): Promise<HistoryStore> {
  if (target.kind === 'sqlite') return new SqliteHistoryStore({ path: target.path, retention })
  const { host, port, database, username, password } = target
  return await InfluxHistoryStore.open({ connection: { host, port, protocol: 'http', username, password }, database, retention })
}

/** For messages and logs: the URL without its password. */
export function describeHistory(target: HistoryTarget): string {
  if (target.kind === 'sqlite') return `SQLite ${target.path}`
  return `InfluxDB http://${target.username === undefined ? '' : `${target.username}@`}${target.host}:${target.port}/${target.database}`
}

function redacted(text: string): string {
  return text.replace(/^(\w+:\/\/[^:/@]*:)[^@/]*@/, '$1***@')
}
