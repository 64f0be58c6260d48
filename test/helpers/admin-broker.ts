import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { type AdminServer, startAdminServer } from '../../broker/admin/admin-server.js'
import { Broker, type BrokerDependencies } from '../../broker/broker.js'
import type { BrokerOptions } from '../../broker/options.js'

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'

export interface AdminBroker {
  broker: Broker
  admin: AdminServer
  /** mqtt://127.0.0.1:PORT */
  url: string
  port: number
  /** http://127.0.0.1:PORT of the admin listener. */
  adminUrl: string
  /** A request to the admin listener, with the test token unless `token` says otherwise (null: none). */
  request(path: string, init?: { method?: string; token?: string | null }): Promise<Response>
}

/** An in-process broker on a free loopback port with its admin listener on another; both closed after the test. */
export async function startAdminBroker(
  t: TestContext,
  options: Partial<BrokerOptions> = {},
  dependencies: BrokerDependencies = {},
  admin: AdminListenerOptions = {}
): Promise<AdminBroker> {
  const broker = new Broker(options, dependencies)
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  const server = await startAdminListener(broker, admin)
  t.after(async () => {
    await server.close()
    await broker.close()
  })
  const adminUrl = `http://127.0.0.1:${server.address.port}`
  return {
    broker,
    admin: server,
    url: `mqtt://127.0.0.1:${port}`,
    port,
    adminUrl,
    request: (path, init = {}) => {
      const token = init.token === undefined ? ADMIN_TOKEN : init.token
      return fetch(`${adminUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: token === null ? {} : { authorization: `Bearer ${token}` }
      })
    }
  }
}

export interface AdminListenerOptions {
  /** /metrics without the token (the default, as on loopback). */
  metricsOpen?: boolean
  /** What GET /api/config shows. */
  config?: Record<string, unknown>
}

/** The admin listener of `broker` on a free loopback port with the test token; the caller closes it. */
export function startAdminListener(broker: Broker, { metricsOpen = true, config = {} }: AdminListenerOptions = {}): Promise<AdminServer> {
  return startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token: ADMIN_TOKEN,
    metricsOpen,
    broker,
    config,
    logger: pino({ level: 'silent' })
  })
}
