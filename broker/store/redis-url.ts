/** How the Redis behind a URL is laid out: one server, a primary found through Sentinel, or a Redis Cluster. */
export type RedisTopology = 'single' | 'sentinel' | 'cluster'

export interface RedisEndpoint {
  host: string
  port: number
}

/**
 * A parsed Redis URL:
 *   redis://[user:password@]host[:port][/db]              one Redis (rediss:// for TLS)
 *   redis+sentinel://[password@]host[:port][,host[:port]...]/MASTER_NAME[/db]
 *                                                          the Sentinels to ask for the primary named MASTER_NAME
 *   redis-cluster://[password@]host[:port][,host[:port]...]
 *                                                          seed nodes of a Redis Cluster (database 0 only)
 * The user name and password are the Redis servers' (not the Sentinels'); `password@` alone is a password.
 */
export interface RedisUrl {
  topology: RedisTopology
  tls: boolean
  /** The one server, the Sentinels, or the Cluster's seed nodes. */
  endpoints: RedisEndpoint[]
  username: string | undefined
  password: string | undefined
  db: number
  /** The name Sentinel knows the primary by. */
  masterName: string | undefined
  /** The URL with its password masked, for messages. */
  display: string
}

/** A URL the store cannot use; the message names the part that is wrong. */
export class RedisUrlError extends Error {
  /** `display` is the URL with its password masked; `problem` what is wrong with it. */
  constructor(
    display: string,
    readonly problem: string
  ) {
    super(`bad Redis URL ${display}: ${problem}`)
    this.name = 'RedisUrlError'
  }
}

const SCHEMES: Record<string, { topology: RedisTopology; tls: boolean; defaultPort: number }> = {
  redis: { topology: 'single', tls: false, defaultPort: 6379 },
  rediss: { topology: 'single', tls: true, defaultPort: 6379 },
  'redis+sentinel': { topology: 'sentinel', tls: false, defaultPort: 26379 },
  'redis-cluster': { topology: 'cluster', tls: false, defaultPort: 6379 }
}

const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?([?#].*)?$/i

export function parseRedisUrl(url: string): RedisUrl {
  const match = URL_SHAPE.exec(url)
  if (match === null) throw new RedisUrlError(url, 'not a URL: expected redis://host:port[/db]')
  const [, schemeText, userinfo, hostList, path = '', rest] = match
  const display = userinfo === undefined ? url : url.replace(`${userinfo}@`, `${maskedUserinfo(userinfo)}@`)
  const fail: (what: string) => never = (what) => {
    throw new RedisUrlError(display, what)
  }
  const scheme = SCHEMES[schemeText.toLowerCase()]
  if (scheme === undefined) fail(`unknown scheme '${schemeText}://' (expected redis://, rediss://, redis+sentinel:// or redis-cluster://)`)
  if (rest !== undefined) fail(`'${rest}' is not understood: the URL takes no query or fragment`)
  const endpoints = hostList.split(',').map((text) => endpointOf(text, scheme.defaultPort, fail))
  if (scheme.topology === 'single' && endpoints.length > 1)
    fail(`${schemeText}:// takes one host, not '${hostList}' (several: redis+sentinel:// or redis-cluster://)`)
  const segments = path.split('/').slice(1)
  if (segments[segments.length - 1] === '') segments.pop()
  let masterName: string | undefined
  if (scheme.topology === 'sentinel') {
    if (segments.length === 0) fail(`the primary's name is missing: redis+sentinel://host:26379/MASTER_NAME`)
    masterName = decoded(segments.shift()!, 'the primary name', fail)
  }
  if (scheme.topology === 'cluster' && segments.length > 0) fail(`'${path}': a Redis Cluster has only database 0, so the URL takes no path`)
  if (segments.length > 1) fail(`'${path}' has more parts than a database number`)
  const db = segments.length === 0 ? 0 : numberOf(segments[0], 'database', 0, Number.MAX_SAFE_INTEGER, fail)
  const { username, password } = credentialsOf(userinfo, fail)
  return { topology: scheme.topology, tls: scheme.tls, endpoints, username, password, db, masterName, display }
}

function endpointOf(text: string, defaultPort: number, fail: (what: string) => never): RedisEndpoint {
  // [::1]:6379 for an IPv6 address; host:port otherwise.
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text)
  const [host, portText] = bracketed !== null ? [bracketed[1], bracketed[2]] : splitOnce(text, ':')
  if (bracketed === null && portText?.includes(':')) fail(`host '${text}': write an IPv6 address in brackets, [::1]:6379`)
  if (host === '') fail(`a host is missing${text === '' ? '' : ` in '${text}'`}`)
  const port = portText === undefined ? defaultPort : numberOf(portText, `port of host '${host}'`, 1, 65535, fail)
  return { host, port }
}

function credentialsOf(userinfo: string | undefined, fail: (what: string) => never): Pick<RedisUrl, 'username' | 'password'> {
  if (userinfo === undefined) return { username: undefined, password: undefined }
  const [user, password] = splitOnce(userinfo, ':')
  if (password === undefined) return { username: undefined, password: decoded(user, 'the password', fail) }
  return { username: user === '' ? undefined : decoded(user, 'the user name', fail), password: decoded(password, 'the password', fail) }
}

function numberOf(text: string, what: string, min: number, max: number, fail: (what: string) => never): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) fail(`${what} '${text}' is not a number from ${min} to ${max}`)
  return value
}

function decoded(text: string, what: string, fail: (what: string) => never): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return fail(`${what} has a bad %-escape`)
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

function maskedUserinfo(userinfo: string): string {
  const [user, password] = splitOnce(userinfo, ':')
  return password === undefined ? '***' : `${user}:***`
}
