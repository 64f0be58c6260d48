import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ApiToken {
  token: string
  /** The file it was read from or generated into; absent when it was given (flag, environment, config). */
  file?: string
  /** Made just now, on the first start with this data directory. */
  generated: boolean
  /** The file can be read by other users of the machine (group or other permission bits). */
  exposed: boolean
}

/** A token file shorter than this is a mistake, not a secret. */
const MIN_LENGTH = 16

/**
 * An API's bearer token (the service's API, the broker's admin API): `given` when there is one, else
 * `<dataDir>/<fileName>`, generated (32 random bytes, base64url) with mode 0600 on the first start and read on later
 * ones. Created exclusively, so two processes starting on one data directory at once end up with the same token.
 */
export async function loadApiToken(dataDir: string, given?: string, fileName = 'api-token'): Promise<ApiToken> {
  if (given !== undefined) return { token: given, generated: false, exposed: false }
  const file = join(dataDir, fileName)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  let generated = true
  try {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    generated = false
  }
  const token = (await readFile(file, 'utf8')).trim()
  if (token.length < MIN_LENGTH || /\s/.test(token)) {
    throw new Error(
      `${file} does not hold a token (one line of at least ${MIN_LENGTH} characters, no spaces); remove it to generate a new one`
    )
  }
  return { token, file, generated, exposed: ((await stat(file)).mode & 0o077) !== 0 }
}

/**
 * Whether a candidate is `token`, compared through SHA-256 digests with timingSafeEqual, so that neither the token's
 * content nor its length shows in response times.
 */
export function tokenMatcher(token: string): (candidate: string) => boolean {
  const expected = digest(token)
  return (candidate) => timingSafeEqual(digest(candidate), expected)
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
