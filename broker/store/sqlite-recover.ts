import { spawn } from 'node:child_process'
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync
} from 'node:fs'
import { connect, formatVersionOfTables, QUEUE_HEADS_SQL } from './sqlite-schema.js'

export interface RecoveryResult {
  /** Where the damaged file went (its -wal and -shm beside it, with the same suffix). */
  movedTo: string
  /** Whether a store was salvaged at the original path; when false, `error` says why and nothing is there. */
  recovered: boolean
  /** How it was read: SQLite's .recover, or .dump where the sqlite3 program cannot .recover. */
  method?: 'recover' | 'dump'
  error?: string
  /** The sqlite3 program is missing: nothing was tried, and installing it is the way on. */
  missingTool?: true
}

export interface RecoveryOptions {
  /** The sqlite3 command-line program (Debian package sqlite3). */
  sqlite3?: string
}

/**
 * Salvages a damaged store: moves `file` (and its -wal / -shm) aside to `<file>.corrupt-<timestamp>`, then
 * replays what SQLite's `.recover` (or `.dump`) can read from it into a fresh file at `file`. The damaged
 * file is kept, never overwritten. Rows that point at a message that could not be salvaged are dropped.
 */
export async function recoverDatabase(file: string, options: RecoveryOptions = {}): Promise<RecoveryResult> {
  const sqlite3 = options.sqlite3 ?? '/usr/bin/sqlite3'
  const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
  renameSync(file, movedTo)
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, movedTo + suffix)
  }
  try {
    accessSync(sqlite3, constants.X_OK)
  } catch {
    return {
      movedTo,
      recovered: false,
      missingTool: true,
      error: `cannot recover ${file}: the sqlite3 program (${sqlite3}) is missing; install the Debian package sqlite3`
    }
  }
  const sql = `${movedTo}.sql`
  try {
    // Debian's sqlite3 is built without the sqlite_dbpage table that .recover needs; .dump reads on past
    // damaged pages too, table by table, and is the fallback.
    let method: RecoveryResult['method'] = 'recover'
    if (!(await run(sqlite3, [movedTo, '.recover'], sql))) {
      method = 'dump'
      if (!(await run(sqlite3, [movedTo, '.dump'], sql))) throw new Error(`sqlite3 could not read ${movedTo}: ${errorsOf(sql)}`)
      commitDespiteErrors(sql)
    }
    if (!(await run(sqlite3, [file, `.read '${sql.replace(/'/g, "''")}'`], `${sql}.out`))) {
      throw new Error(`sqlite3 could not write ${file}: ${errorsOf(`${sql}.out`)}`)
    }
    tidy(file)
    return { movedTo, recovered: true, method }
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, `${movedTo}.partial${suffix}`)
    }
    return { movedTo, recovered: false, error: `cannot recover ${file}: ${(error as Error).message}` }
  } finally {
    for (const extra of [sql, `${sql}.err`, `${sql}.out`, `${sql}.out.err`]) rmSync(extra, { force: true })
  }
}

/** Runs sqlite3 with stdout to `out` and stderr to `out.err`; true when it exits 0 and reports no error. */
async function run(sqlite3: string, args: string[], out: string): Promise<boolean> {
  const stdout = openSync(out, 'w')
  const stderr = openSync(`${out}.err`, 'w')
  try {
    const child = spawn(sqlite3, args, { stdio: ['ignore', stdout, stderr] })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    return code === 0 && statSync(`${out}.err`).size === 0
  } finally {
    closeSync(stdout)
    closeSync(stderr)
  }
}

function errorsOf(out: string): string {
  return readFileSync(`${out}.err`, 'utf8').trim()
}

/** .dump ends a dump that met damaged pages with a ROLLBACK; what it could read is worth keeping. */
function commitDespiteErrors(sql: string): void {
  const tail = 'ROLLBACK; -- due to errors\n'
  const size = statSync(sql).size
  if (size < tail.length) return
  const fd = openSync(sql, 'r+')
  try {
    const end = Buffer.alloc(tail.length)
    readSync(fd, end, 0, tail.length, size - tail.length)
    if (end.toString() !== tail) return
    ftruncateSync(fd, size - tail.length)
    writeSync(fd, 'COMMIT;\n', size - tail.length)
  } finally {
    closeSync(fd)
  }
}

/** Makes the salvaged file a store again: format version set, dangling references and orphan messages gone. */
function tidy(file: string): void {
  const db = connect(file, { fileMustExist: true })
  try {
    const tables = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[])
    for (const table of ['meta', 'messages', 'sessions', 'subscriptions', 'queue', 'inflight', 'incoming_qos2', 'retained']) {
      if (!tables.has(table)) throw new Error(`nothing of the store's table ${table} could be read`)
    }
    // Heads that could not be read make their queues' delivered rows come again: duplicates, not losses.
    const version = formatVersionOfTables(db)
    if (version >= 3 && !tables.has('queue_heads')) db.exec(QUEUE_HEADS_SQL)
    // From format 5 on, a queue row with its message inline (topic not NULL) refers to no `messages` row.
    const referring = version >= 5 ? 'topic IS NULL' : 'true'
    db.exec(`BEGIN;
      DELETE FROM queue WHERE ${referring} AND message_id NOT IN (SELECT id FROM messages);
      DELETE FROM inflight WHERE message_id NOT IN (SELECT id FROM messages);
      DELETE FROM retained WHERE message_id NOT IN (SELECT id FROM messages);
      DELETE FROM messages WHERE id NOT IN (SELECT message_id FROM queue WHERE ${referring}
        UNION SELECT message_id FROM inflight UNION SELECT message_id FROM retained);
      DELETE FROM subscriptions WHERE client_id NOT IN (SELECT client_id FROM sessions);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('last_message_id', 0);
      UPDATE meta SET value = max(value, (SELECT coalesce(max(id), 0) FROM messages),
        (SELECT coalesce(max(message_id), 0) FROM queue)) WHERE key = 'last_message_id';
      COMMIT;`)
    if ((db.pragma('user_version', { simple: true }) as number) === 0) db.pragma(`user_version = ${version}`)
  } finally {
    db.close()
  }
}
