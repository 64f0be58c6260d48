import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { hashPassword } from '../../broker/auth/passwords.js'
import { DEFAULT_DISCOVERY_PREFIX } from '../../devices/home-assistant.js'

const login = z.strictObject({ username: z.string().min(1), password: z.string().min(16) })

const credentialsSchema = z.strictObject({
  /** The service's MQTT login. */
  service: login,
  /** The simulated thermostats' MQTT login. */
  simulator: login,
  /** For a person: MQTT tools (mosquitto_sub -u admin ...). */
  admin: login,
  /** The REST API's bearer token, and the dashboard's login. */
  apiToken: z.string().min(32)
})

export type Credentials = z.infer<typeof credentialsSchema>

export interface DataDir {
  dir: string
  credentials: Credentials
  /**
   * No start has come up with these credentials yet: this one prints them. Not only the first start, since a
   * first start that failed (a taken port) would otherwise have made logins nobody was ever shown.
   */
  showCredentials: boolean
  credentialsFile: string
  /** Exists once a start has come up and printed the credentials. */
  shownMarker: string
  passwordFile: string
  aclFile: string
}

/**
 * The all-in-one start's data directory, safe by default from the first start: generated passwords for
 * the service, the simulator and an admin (the broker's password file holds only their scrypt hashes),
 * an ACL that gives each what it needs, and the API token. `credentials.json` keeps them in clear for
 * the supervisor and the person who started it; every file is readable by its owner only.
 */
/** `haPrefix`: Home Assistant's discovery prefix the simulator may publish under (false: no discovery). */
export async function prepareDataDir(dir: string, haPrefix: string | false = DEFAULT_DISCOVERY_PREFIX): Promise<DataDir> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const credentialsFile = join(dir, 'credentials.json')
  const passwordFile = join(dir, 'passwd')
  const aclFile = join(dir, 'acl')
  const shownMarker = join(dir, 'credentials.shown')
  const firstStart = !existsSync(credentialsFile)
  const credentials = firstStart ? generateCredentials() : await readCredentials(credentialsFile)
  if (firstStart) {
    await rm(shownMarker, { force: true }) // new credentials have never been shown, whatever an older marker says
    await writePrivately(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`)
  }
  // Written on every start from the credentials, so a deleted or edited file cannot lock the parts out.
  await writePrivately(passwordFile, await passwordLines(credentials))
  await writePrivately(aclFile, aclText(credentials, haPrefix))
  return { dir, credentials, showCredentials: !existsSync(shownMarker), credentialsFile, shownMarker, passwordFile, aclFile }
}

/** A start came up and printed the credentials: later starts only say where they are. */
export async function markCredentialsShown(data: DataDir): Promise<void> {
  await writePrivately(data.shownMarker, '')
}

function generateCredentials(): Credentials {
  const secret = (): string => randomBytes(24).toString('base64url')
  return {
    service: { username: 'service', password: secret() },
    simulator: { username: 'simulator', password: secret() },
    admin: { username: 'admin', password: secret() },
    apiToken: randomBytes(32).toString('base64url')
  }
}

async function readCredentials(file: string): Promise<Credentials> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new Error(`${file} cannot be read as JSON (${(error as Error).message}); remove it to generate new credentials`)
  }
  const result = credentialsSchema.safeParse(parsed)
  if (!result.success)
    throw new Error(
      `${file} is not a credentials file (${result.error.issues[0]!.message} at ${result.error.issues[0]!.path.join('.')}); remove it to generate new credentials`
    )
  return result.data
}

async function passwordLines(credentials: Credentials): Promise<string> {
  const logins = [credentials.service, credentials.simulator, credentials.admin]
  const lines = await Promise.all(logins.map(async ({ username, password }) => `${username}:${await hashPassword(password)}`))
  return `# Written by 'thermopost start' from credentials.json on every start; edit that file instead.\n${lines.join('\n')}\n`
}

/** What each login may do: `#` never reaches `$SYS`, so the service and the admin are given it by name. */
function aclText({ service, simulator, admin }: Credentials, haPrefix: string | false): string {
  return [
    "# Written by 'thermopost start' on every start.",
    `user ${admin.username}`,
    'topic readwrite #',
    'topic read $SYS/#',
    '',
    `user ${service.username}`,
    'topic readwrite #',
    'topic read $SYS/#',
    '',
    `user ${simulator.username}`,
    'topic readwrite thermopost/#',
    // Its Home Assistant discovery configs, and Home Assistant's birth message it listens to.
    ...(haPrefix === false ? [] : [`topic readwrite ${haPrefix}/#`]),
    ''
  ].join('\n')
}

/** Replaces `file` whole (a temporary file, then rename), mode 0600. */
async function writePrivately(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, text, { mode: 0o600 })
  await rename(temporary, file)
}
