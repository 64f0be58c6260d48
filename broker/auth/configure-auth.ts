import type { Logger } from 'pino'
import { Reason } from '../protocol/reason-codes.js'
import { AclAuthorizer } from './acl-auth.js'
import { loadAcl } from './acl.js'
import { allowAll, type AuthHooks } from './hooks.js'
import { LoginThrottle } from './login-throttle.js'
import { PasswordAuth } from './password-auth.js'
import { PasswordFile } from './passwords.js'

export interface AuthSettings {
  passwordFile: string | undefined
  aclFile: string | undefined
  /** undefined: the safe default (anonymous only on a loopback listener without a password file). */
  allowAnonymous: boolean | undefined
  /** The address the broker listens on: anonymous access is never the default off loopback. */
  host: string
}

export interface ConfiguredAuth {
  hooks: AuthHooks
  /** Re-reads the password and ACL files (SIGHUP); a bad file keeps what was loaded before. */
  reload (): Promise<void>
  /** One line for the start-up log: how clients are let in. */
  summary: string
}

/**
 * Authentication and authorization from the command line, safe by default as Mosquitto 2 is: without
 * a password file, anonymous clients are let in on a loopback listener only; with one, anonymous
 * access is off unless asked for. An ACL file, when given, grants everything that is allowed.
 */
export async function configureAuth (settings: AuthSettings, logger: Logger): Promise<ConfiguredAuth> {
  const passwords = settings.passwordFile === undefined ? undefined : await PasswordFile.load(settings.passwordFile)
  let acl = settings.aclFile === undefined ? undefined : await loadAcl(settings.aclFile)
  const anonymous = settings.allowAnonymous ?? (passwords === undefined && isLoopback(settings.host))

  let authenticate: AuthHooks['authenticate']
  if (passwords !== undefined) {
    authenticate = new PasswordAuth({ passwords, throttle: new LoginThrottle(), logger, allowAnonymous: anonymous }).authenticate
  } else if (anonymous) {
    authenticate = allowAll.authenticate
  } else {
    authenticate = (credentials) => {
      if (credentials.certificateIdentity !== undefined) return Reason.Success // named by a verified certificate
      logger.warn({ clientId: credentials.clientId, address: credentials.remoteAddress },
        'login refused: anonymous access is off on this listener (give --password-file, or --allow-anonymous true)')
      return Reason.NotAuthorized
    }
  }
  const authorizer = acl === undefined ? undefined : new AclAuthorizer(acl, authenticate)
  const hooks: AuthHooks = authorizer ?? { ...allowAll, authenticate }

  const reload = async (): Promise<void> => {
    if (passwords !== undefined) {
      await passwords.reload().then(
        (users) => logger.info({ file: passwords.path, users }, 'password file reloaded'),
        (error: unknown) => logger.error({ err: error }, 'password file not reloaded: keeping the users loaded before'))
    }
    if (authorizer !== undefined && settings.aclFile !== undefined) {
      await loadAcl(settings.aclFile).then((fresh) => {
        acl = fresh
        authorizer.replace(fresh)
        logger.info({ file: settings.aclFile, rules: fresh.rules.length }, 'ACL file reloaded')
      }, (error: unknown) => logger.error({ err: error }, 'ACL file not reloaded: keeping the rules loaded before'))
    }
  }

  const parts = [
    passwords === undefined ? undefined : `password file ${passwords.path} (${passwords.userNames.length} users)`,
    acl === undefined ? undefined : `ACL file ${settings.aclFile} (${acl.rules.length} rules)`,
    anonymous ? 'anonymous clients allowed' : 'anonymous clients refused'
  ]
  return { hooks, reload, summary: parts.filter((part) => part !== undefined).join(', ') }
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
