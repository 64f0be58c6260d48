import { randomBytes } from 'node:crypto'
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
 * The API token: `given` when there is one, else `<dataDir>/api-token`, generated (32 random bytes, base64url)
 * with mode 0600 on the first start and read on later ones. Created exclusively, so two services starting on
 * one data directory at once end up with the same token.
 */
export async function loadApiToken(dataDir: string, given?: string): Promise<ApiToken> {
  if (given !== undefined) return { token: given, generated: false, exposed: false }
  const file = join(dataDir, 'api-token')
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
