import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { InstanceInfo } from '../api/api-types.js'
import { openSqlite, type SqliteDatabase } from '../history/sqlite-driver.js'

/**
 * The one-writer lock on a data directory (SQLite history and state): an exclusive SQLite lock on
 * `service.lock`, held for the life of the process. It is an OS lock (fcntl), so the kernel drops it when
 * the holder dies however it dies, `kill -9` included: no lease to expire, no clock to trust, and nothing
 * for a crashed instance to clean up. It works where SQLite's own locking works, that is on one machine
 * (and not on network file systems), which is exactly where several instances can share a SQLite file.
 *
 * Beside it, `service-active.json` says who holds it, for the standby's log and API: the lock itself cannot
 * be read while it is held. It may name an instance that is gone; the lock is the truth.
 */

export const LOCK_FILE = 'service.lock'
export const ACTIVE_FILE = 'service-active.json'

export class DataDirLock {
  private constructor(
    private readonly db: SqliteDatabase,
    private readonly dataDir: string
  ) {}

  /** Takes the lock, or returns undefined at once when another process holds it. */
  static tryAcquire(dataDir: string): DataDirLock | undefined {
    mkdirSync(dataDir, { recursive: true })
    const db = openSqlite(join(dataDir, LOCK_FILE), { timeout: 0 })
    try {
      // In exclusive locking mode the lock taken by the first write is kept after COMMIT until the connection closes.
      db.pragma('locking_mode = EXCLUSIVE')
      db.exec('BEGIN EXCLUSIVE')
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, since INTEGER NOT NULL)')
      db.prepare('INSERT OR REPLACE INTO holder (id, since) VALUES (1, ?)').run(Date.now())
      db.exec('COMMIT')
    } catch (error) {
      db.close()
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return undefined
      throw error
    }
    return new DataDirLock(db, dataDir)
  }

  /** The instance that holds the lock as its file says, or that held it last; undefined without a readable file. */
  static holder(dataDir: string): InstanceInfo | undefined {
    try {
      return JSON.parse(readFileSync(join(dataDir, ACTIVE_FILE), 'utf8')) as InstanceInfo
    } catch {
      return undefined
    }
  }

  /**
   * Tries every `pollMs` until the lock is taken; rejects (AbortError) once `signal` aborts (the standby is
   * asked to stop). `onHolder` is told who holds it when the first try fails, and again whenever that changes
   * (with three instances, the other standby may take over first).
   */
  static async acquire(
    dataDir: string,
    options: { pollMs: number; signal: AbortSignal; onHolder: (active: InstanceInfo | undefined) => void }
  ): Promise<DataDirLock> {
    let lock = DataDirLock.tryAcquire(dataDir)
    let told: string | undefined
    while (lock === undefined) {
      const holder = DataDirLock.holder(dataDir)
      if (JSON.stringify(holder) !== told) options.onHolder(holder)
      told = JSON.stringify(holder)
      await sleep(options.pollMs, undefined, { signal: options.signal })
      lock = DataDirLock.tryAcquire(dataDir)
    }
    return lock
  }

  /** Records that `holder` holds the directory, for the standbys to show. */
  announce(holder: InstanceInfo): void {
    const temporary = join(this.dataDir, `${ACTIVE_FILE}.${process.pid}.tmp`)
    writeFileSync(temporary, `${JSON.stringify(holder)}\n`)
    renameSync(temporary, join(this.dataDir, ACTIVE_FILE))
  }

  /** Lets a standby take over: closing the connection drops the OS lock. */
  release(): void {
    this.db.close()
  }
}
