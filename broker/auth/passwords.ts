import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'

/**
 * The password file: one user a line, `user:hash`, read whole and kept in memory.
 *
 *   # comment lines and blank lines are kept as they are by `thermopost passwd`
 *   alice:$scrypt$v=1$N=16384,r=8,p=1$<salt, base64>$<hash, base64>
 *   bob:$7$101$<salt, base64>$<hash, base64>        made by mosquitto_passwd (2.x default)
 *   carol:$6$<salt, base64>$<hash, base64>          made by mosquitto_passwd -H sha512 (1.6 and earlier)
 *
 * Ours, `$scrypt$v=1$`, is PHC-string shaped (as `$argon2id$v=19$...`): scrypt (RFC 7914) of the password's
 * bytes as the client sends them (UTF-8 from `thermopost passwd`), a random salt per user, cost parameters
 * in the line, so raising them later needs no format change: new and changed users get the new cost and
 * the others keep working. Bump `v` only when the same fields would mean something else (another KDF input,
 * e.g. a Unicode normalisation of the password); a reader refuses versions it does not know, with the
 * file and line, rather than refusing everyone.
 *
 * Mosquitto's (src/password_mosq.c): `$7$` is PBKDF2-HMAC-SHA512 with the iteration count in the line and
 * a 64-byte hash; `$6$` is SHA-512 of password then salt, one round: weak, read so that old files still
 * work, never written. Mosquitto's plain-text files (before `mosquitto_passwd -U`) are refused.
 *
 * Hashes are compared with `timingSafeEqual`; an unknown user costs as much as a known one (see `verify`).
 */

export type PasswordHash =
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer }
  | { scheme: 'pbkdf2-sha512'; iterations: number; salt: Buffer; hash: Buffer }
  | { scheme: 'sha512'; salt: Buffer; hash: Buffer }

export interface ScryptCost {
  N: number
  r: number
  p: number
}

/**
 * Node's own default, the scrypt paper's cost for interactive logins: 16 MiB and some 50 ms per check in the
 * libuv thread pool. Every CONNECT pays it, so a fleet reconnecting after a restart waits on it; OWASP's
 * 2^17 (128 MiB, ~10× the time) would make that minutes. Online guessing is the throttle's job; this is for
 * a stolen file, and is still far above mosquitto_passwd's 101 PBKDF2 rounds. The cost is in each line, so
 * raising it later changes no format.
 */
export const defaultScryptCost: ScryptCost = { N: 2 ** 14, r: 8, p: 1 }

const scryptVersion = 1
const saltBytes = 16
const scryptKeyBytes = 32
/** Limits on what a file may ask for, so that one bad line cannot make every CONNECT take a gigabyte. */
const maxScryptMemory = 256 * 1024 * 1024
const maxPbkdf2Iterations = 10_000_000

/** A line of the file: a user, or anything else (comment, blank) kept as written. */
export type PasswordLine =
  | { kind: 'user'; user: string; hash: PasswordHash; text: string; line: number }
  | { kind: 'other'; text: string; line: number }

/** A file that cannot be used; the message names the file and the line. */
export class PasswordFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    problem: string
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`)
  }
}

/** Splits a password file into lines; throws a PasswordFileError at the first line it cannot read. */
export function parsePasswordLines(text: string, file: string): PasswordLine[] {
  const lines: PasswordLine[] = []
  const seen = new Map<string, number>()
  const rows = text.split('\n')
  if (rows.at(-1) === '') rows.pop()
  rows.forEach((row, index) => {
    const line = index + 1
    const content = row.endsWith('\r') ? row.slice(0, -1) : row
    const trimmed = content.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      lines.push({ kind: 'other', text: content, line })
      return
    }
    const colon = content.indexOf(':')
    if (colon < 0) throw new PasswordFileError(file, line, 'expected user:hash')
    const user = content.slice(0, colon)
    const problem = userNameProblem(user)
    if (problem !== undefined) throw new PasswordFileError(file, line, problem)
    const earlier = seen.get(user)
    if (earlier !== undefined) throw new PasswordFileError(file, line, `user '${user}' is already on line ${earlier}`)
    seen.set(user, line)
    let hash: PasswordHash
    try {
      hash = parseHash(content.slice(colon + 1))
    } catch (error) {
      throw new PasswordFileError(file, line, `user '${user}': ${(error as Error).message}`)
    }
    lines.push({ kind: 'user', user, hash, text: content, line })
  })
  return lines
}

/** Why `user` cannot be in a password file, or undefined if it can. */
export function userNameProblem(user: string): string | undefined {
  if (user === '') return 'empty user name'
  if (user.includes(':')) return "a user name cannot contain ':'"
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this check is for
  if (/[\u0000-\u001f\u007f]/.test(user)) return 'a user name cannot contain control characters'
  if (user.trim() !== user) return 'a user name cannot start or end with white space'
  if (Buffer.byteLength(user) > 65535) return 'a user name is at most 65535 bytes' // MQTT UTF-8 string limit
  return undefined
}

function parseHash(field: string): PasswordHash {
  const parts = field.split('$')
  if (parts[0] !== '' || parts.length < 2) throw new Error('the hash must start with $ (plain-text passwords are not accepted)')
  const scheme = parts[1]
  if (scheme === 'scrypt') {
    if (parts.length !== 6) throw new Error('expected $scrypt$v=1$N=..,r=..,p=..$salt$hash')
    if (parts[2] !== `v=${scryptVersion}`) throw new Error(`unknown $scrypt$ version '${parts[2]}' (this broker reads v=${scryptVersion})`)
    const cost = parseScryptCost(parts[3]!)
    return { scheme: 'scrypt', ...cost, salt: base64Field(parts[4]!, 'salt'), hash: base64Field(parts[5]!, 'hash', 16) }
  }
  if (scheme === '7') {
    if (parts.length !== 5) throw new Error('expected $7$iterations$salt$hash')
    const iterations = Number(parts[2])
    if (!/^\d+$/.test(parts[2]!) || iterations < 1 || iterations > maxPbkdf2Iterations) {
      throw new Error(`iterations must be 1 to ${maxPbkdf2Iterations}, not '${parts[2]}'`)
    }
    return { scheme: 'pbkdf2-sha512', iterations, salt: base64Field(parts[3]!, 'salt'), hash: base64Field(parts[4]!, 'hash', 64, 64) }
  }
  if (scheme === '6') {
    if (parts.length !== 4) throw new Error('expected $6$salt$hash')
    return { scheme: 'sha512', salt: base64Field(parts[2]!, 'salt'), hash: base64Field(parts[3]!, 'hash', 64, 64) }
  }
  throw new Error(`unknown hash type '$${scheme ?? ''}$' (known: $scrypt$, and $7$ and $6$ from mosquitto_passwd)`)
}

function parseScryptCost(text: string): ScryptCost {
  const cost = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(text)
  if (cost === null) throw new Error(`expected N=..,r=..,p=.., not '${text}'`)
  const [N, r, p] = cost.slice(1).map(Number) as [number, number, number]
  if (N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 24) throw new Error(`N must be a power of 2 from 2 to 2^24, not ${N}`)
  if (r < 1 || r > 64 || p < 1 || p > 16) throw new Error(`r must be 1 to 64 and p 1 to 16, not r=${r} p=${p}`)
  if (128 * N * r > maxScryptMemory) throw new Error(`N=${N},r=${r} needs more than ${maxScryptMemory / 2 ** 20} MiB per check`)
  return { N, r, p }
}

function base64Field(text: string, name: string, min = 1, max = 1024): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error(`${name} is not base64`)
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length < min || bytes.length > max) {
    throw new Error(
      min === max ? `${name} must be ${min} bytes, not ${bytes.length}` : `${name} must be ${min} to ${max} bytes, not ${bytes.length}`
    )
  }
  return bytes
}

/** The hash field of a new line for this password: scrypt, fresh random salt. */
export async function hashPassword(password: Buffer | string, cost: ScryptCost = defaultScryptCost): Promise<string> {
  const salt = randomBytes(saltBytes)
  const hash = await scryptAsync(toBytes(password), salt, scryptKeyBytes, cost)
  return `$scrypt$v=${scryptVersion}$N=${cost.N},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** Whether `password` matches `hash`, compared in constant time. */
export async function verifyPassword(password: Buffer | string, hash: PasswordHash): Promise<boolean> {
  const bytes = toBytes(password)
  let derived: Buffer
  switch (hash.scheme) {
    case 'scrypt':
      derived = await scryptAsync(bytes, hash.salt, hash.hash.length, hash)
      break
    case 'pbkdf2-sha512':
      derived = await new Promise<Buffer>((resolve, reject) => {
        pbkdf2(bytes, hash.salt, hash.iterations, hash.hash.length, 'sha512', (error, key) => (error ? reject(error) : resolve(key)))
      })
      break
    case 'sha512':
      derived = createHash('sha512').update(bytes).update(hash.salt).digest()
      break
  }
  return timingSafeEqual(derived, hash.hash)
}

function scryptAsync(password: Buffer, salt: Buffer, keyLength: number, cost: ScryptCost): Promise<Buffer> {
  // Node refuses above 32 MiB unless maxmem says more; the cost was bounded when the line was read.
  const maxmem = 128 * cost.N * cost.r * 2 + 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

function toBytes(password: Buffer | string): Buffer {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : password
}

/** Users and their hashes, from a file; `reload` re-reads it and keeps the old users if the new file is bad. */
export class PasswordFile {
  private users: Map<string, PasswordHash>

  private constructor(
    readonly path: string,
    lines: PasswordLine[]
  ) {
    this.users = usersOf(lines)
  }

  /** Reads and checks the whole file; rejects with a PasswordFileError naming the file (and line). */
  static async load(path: string): Promise<PasswordFile> {
    return new PasswordFile(path, await readLines(path))
  }

  /** From text already in hand (tests, or a config that embeds users); `path` only names it in errors. */
  static fromText(text: string, path = '<password file>'): PasswordFile {
    return new PasswordFile(path, parsePasswordLines(text, path))
  }

  get userNames(): string[] {
    return [...this.users.keys()]
  }

  has(user: string): boolean {
    return this.users.has(user)
  }

  /**
   * Whether `user` exists and `password` is theirs. An unknown user is checked against the first user's
   * hash and refused anyway, so that timing does not tell which user names exist.
   */
  async verify(user: string, password: Buffer | string): Promise<boolean> {
    const hash = this.users.get(user)
    if (hash !== undefined) return verifyPassword(password, hash)
    const decoy = this.users.values().next().value
    if (decoy !== undefined) await verifyPassword(password, decoy)
    return false
  }

  /**
   * Re-reads the file (SIGHUP). Resolves with the number of users; if the file cannot be read or has a bad
   * line, rejects with why and keeps the users it had, so that a typo does not lock everyone out.
   */
  async reload(): Promise<number> {
    const lines = await readLines(this.path)
    this.users = usersOf(lines)
    return this.users.size
  }
}

async function readLines(path: string): Promise<PasswordLine[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new PasswordFileError(path, undefined, `cannot read: ${(error as Error).message}`)
  }
  return parsePasswordLines(text, path)
}

function usersOf(lines: PasswordLine[]): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>()
  for (const line of lines) if (line.kind === 'user') users.set(line.user, line.hash)
  return users
}
