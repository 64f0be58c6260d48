/**
 * The store cannot start on `path`: a directory that cannot be written, a damaged or foreign file, or one of
 * a newer format. `code` is SQLite's ('SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', ...), the file
 * system's ('EACCES', 'ENOTDIR', ...), or 'NEWER_VERSION' / 'NOT_A_STORE'; the Redis store's also 'UNREACHABLE',
 * 'OLDER_VERSION' (a format it cannot upgrade there) and 'UPGRADE_FAILED'.
 */
export class StoreOpenError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly code: string
  ) {
    super(message)
    this.name = 'StoreOpenError'
  }

  /** The file is damaged, and recoverDatabase is the way on (not for a newer format or a directory problem). */
  get damaged(): boolean {
    return this.code.startsWith('SQLITE_CORRUPT') || this.code === 'SQLITE_NOTADB'
  }
}
