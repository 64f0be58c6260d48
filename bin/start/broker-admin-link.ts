import { join } from 'node:path'

/** What the broker and the service are given so that the dashboard's Broker page works (part-specs.ts). */
export interface BrokerAdminLink {
  /** The broker's flags: its admin listener, unless its config section opens one itself. */
  brokerFlags: string[]
  /** The line the broker logs once its admin listener is open, which the service is started after. */
  ready: RegExp
  /** The service's flags: where the admin listener is, and the file holding its token. */
  serviceFlags: string[]
  /** The token, when the broker's section gives one (the broker then writes no token file): kept out of argv. */
  serviceEnv: Record<string, string>
}

/**
 * The admin listener of `thermopost start`'s broker (the first node of a cluster), on loopback on `freePort`,
 * and the service pointed at it. Its token is the one the broker generates into its data directory on its first
 * start; the service reads that file, so the token never passes through the supervisor or a command line. Where the
 * config file's `broker:` section sets `admin_port`, `admin_host` or `admin_token`, those are used instead.
 */
export function brokerAdminLink(
  host: string,
  freePort: number,
  brokerDataDir: string,
  section: Readonly<Record<string, unknown>>
): BrokerAdminLink {
  const port = typeof section.admin_port === 'number' ? section.admin_port : freePort
  const sectionHost = typeof section.admin_host === 'string' ? section.admin_host : undefined
  // An admin listener on every address is reached on the parts' own loopback address.
  const adminHost = sectionHost === undefined || sectionHost === '0.0.0.0' || sectionHost === '::' ? host : sectionHost
  const url = `http://${adminHost.includes(':') ? `[${adminHost}]` : adminHost}:${port}`
  const token = typeof section.admin_token === 'string' ? section.admin_token : undefined
  return {
    brokerFlags: 'admin_port' in section ? [] : ['--admin-port', String(port)],
    ready: /admin listening on https?:\/\/\S+?:\d+/,
    serviceFlags: [
      '--broker-admin-url',
      url,
      ...(token === undefined ? ['--broker-admin-token-file', join(brokerDataDir, 'admin-token')] : [])
    ],
    serviceEnv: token === undefined ? {} : { THERMOPOST_BROKER_ADMIN_TOKEN: token }
  }
}
