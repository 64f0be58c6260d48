import type { Logger } from 'pino'
import { Reason } from '../protocol/reason-codes.js'
import type { ConnectCredentials } from './hooks.js'
import type { LoginThrottle } from './login-throttle.js'
import type { PasswordFile } from './passwords.js'

export interface PasswordAuthOptions {
  passwords: PasswordFile
  throttle: LoginThrottle
  logger: Logger
  /** How a held attempt waits; injectable for tests. */
  sleep?: (ms: number) => Promise<void>
}

/**
 * The `authenticate` of AuthHooks for a password file: 0 for a known user with their password, 0x86 Bad User
 * Name or Password otherwise (3.1.1: return code 4), 0x89 Server Busy when the client's address already has
 * too many attempts waiting (see LoginThrottle), 0x88 Server Unavailable if the check itself fails. A client named
 * by a verified certificate (`certificateIdentity`) is let in without a password, whether or not the file has it.
 * Authorization is another hook's job:
 *
 *   const auth: AuthHooks = { ...allowAll, authenticate: new PasswordAuth({ passwords, throttle, logger }).authenticate }
 *
 * Failures are logged with the client id, the address and what was wrong; never the password, nor the user
 * name (people type passwords into the user name field), nor anything derived from either.
 */
export class PasswordAuth {
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly options: PasswordAuthOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  readonly authenticate = async (credentials: ConnectCredentials): Promise<number> => {
    const { clientId, username, password, remoteAddress } = credentials
    const { passwords, throttle, logger } = this.options
    if (username === undefined && password === undefined && credentials.anonymousAllowed) return Reason.Success
    // The TLS handshake verified a certificate naming this user: that is the proof, the password file is not asked.
    if (credentials.certificateIdentity !== undefined) return Reason.Success

    const admission = throttle.admit(remoteAddress, username)
    if ('refused' in admission) {
      logger.warn(
        { clientId, address: remoteAddress },
        'login refused unchecked: too many attempts for this user from this address are waiting'
      )
      return Reason.ServerBusy
    }
    if (admission.delayMs > 0) await this.sleep(admission.delayMs)

    let problem: string
    if (username === undefined) {
      problem = 'no user name'
    } else if (password === undefined) {
      problem = 'no password'
    } else {
      let right: boolean
      try {
        right = await passwords.verify(username, password)
      } catch (error) {
        // e.g. scrypt out of memory; the error names no input, so it may be logged.
        logger.error({ clientId, address: remoteAddress, err: error }, 'login not checked: the password check failed')
        return Reason.ServerUnavailable
      }
      if (right) {
        throttle.succeeded(remoteAddress, username)
        return Reason.Success
      }
      problem = passwords.has(username) ? 'wrong password' : 'unknown user'
    }
    const failures = throttle.failures(remoteAddress, username)
    logger.warn({ clientId, address: remoteAddress, problem, failures, heldMs: admission.delayMs }, `login failed: ${problem}`)
    return Reason.BadUsernameOrPassword
  }
}
