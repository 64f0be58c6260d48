import { statSync } from 'node:fs'
import type { Logger } from 'pino'
import { Reason } from '../protocol/reason-codes.js'
import { loadAcl } from './acl.js'
import { AclAuthorizer } from './acl-auth.js'
import { type AuthHooks, allowAll } from './hooks.js'
import { LoginThrottle } from './login-throttle.js'
import { PasswordAuth } from './password-auth.js'
import { PasswordFile } from './passwords.js'

export interface AuthSettings {
  passwordFile: string | undefined
  aclFile: string | undefined
}

export interface ConfiguredAuth {
  hooks: AuthHooks
  /** Re-reads the password and ACL files (SIGHUP); a bad file keeps what was loaded before. */
  reload(): Promise<void>
  /** One line for the start-up log: which files say who may do what. */
  summary: string
}

/**
 * Authentication and authorization from the password and ACL files. Whether clients without a user name
 * get in is each listener's allow_anonymous (see broker/config/listeners.ts for its safe default), which
 * reaches the hook with the credentials. An ACL file, when given, grants everything that is allowed.
 */
export async function configureAuth(settings: AuthSettings, logger: Logger): Promise<ConfiguredAuth> {
  const passwords = settings.passwordFile === undefined ? undefined : await PasswordFile.load(settings.passwordFile)
  if (settings.passwordFile !== undefined) warnIfOthersCanRead(settings.passwordFile, logger)
  let acl = settings.aclFile === undefined ? undefined : await loadAcl(settings.aclFile)

  let authenticate: AuthHooks['authenticate']
  if (passwords !== undefined) {
    authenticate = new PasswordAuth({ passwords, throttle: new LoginThrottle(), logger }).authenticate
  } else {
    authenticate = (credentials) => {
      // Without a password file no user name can be checked: only the listener's allow_anonymous or a verified certificate lets a client in.
      if (credentials.anonymousAllowed || credentials.certificateIdentity !== undefined) return Reason.Success
      logger.warn(
        { clientId: credentials.clientId, address: credentials.remoteAddress },
        'login refused: anonymous access is off on this listener and there is no password file (give password_file, or allow_anonymous: true)'
      )
      return Reason.NotAuthorized
    }
  }
  const authorizer = acl === undefined ? undefined : new AclAuthorizer(acl, authenticate)
  const hooks: AuthHooks = authorizer ?? { ...allowAll, authenticate }

  const reload = async (): Promise<void> => {
    if (passwords !== undefined) {
      await passwords.reload().then(
        (users) => logger.info({ file: passwords.path, users }, 'password file reloaded'),
        (error: unknown) => logger.error({ err: error }, 'password file not reloaded: keeping the users loaded before')
      )
    }
    if (authorizer !== undefined && settings.aclFile !== undefined) {
      await loadAcl(settings.aclFile).then(
        (fresh) => {
          acl = fresh
          authorizer.replace(fresh)
          logger.info({ file: settings.aclFile, rules: fresh.rules.length }, 'ACL file reloaded')
        },
        (error: unknown) => logger.error({ err: error }, 'ACL file not reloaded: keeping the rules loaded before')
      )
    }
  }

  const parts = [
    passwords === undefined ? 'no password file' : `password file ${passwords.path} (${passwords.userNames.length} users)`,
    acl === undefined ? undefined : `ACL file ${settings.aclFile} (${acl.rules.length} rules)`
  ]
  return { hooks, reload, summary: parts.filter((part) => part !== undefined).join(', ') }
}

/** Password hashes are slow to crack, not impossible: other users of the machine should not read them (Mosquitto warns too). */
function warnIfOthersCanRead(file: string, logger: Logger): void {
  const mode = statSync(file).mode
  if ((mode & 0o004) !== 0) {
    logger.warn({ file, mode: (mode & 0o777).toString(8) }, `password file ${file} can be read by every user of this machine: chmod 600 it`)
  }
}
