import { type Request, Router } from 'express'
import { ServiceError } from '../service-error.js'
import { parseInput } from './parse-input.js'
import { adminClientsQuery, adminListQuery, adminRetainedQuery } from './request-schemas.js'
import type { BrokerAdminDesk } from './service-parts.js'

/**
 * `/broker/clients`, `/broker/sessions` and `/broker/retained`: the broker's admin API relayed for the dashboard's
 * Broker page, behind the service's own authentication, so the browser never holds the broker's admin token.
 * Pages and errors are the admin API's; without a configured admin API every route is 503 'broker-admin-unavailable'.
 */
export function brokerAdminRoutes(admin: BrokerAdminDesk | undefined): Router {
  const router = Router()
  const desk = (): BrokerAdminDesk => {
    if (admin === undefined)
      throw new ServiceError(
        'broker-admin-unavailable',
        'no broker admin API is configured: start the service with --broker-admin-url and --broker-admin-token (or --broker-admin-token-file)'
      )
    return admin
  }
  router.get('/broker/clients', async (req, res) => {
    res.json(await desk().clients(parseInput(adminClientsQuery, req.query)))
  })
  router.delete('/broker/clients/:clientId', async (req, res) => {
    await desk().disconnectClient(req.params.clientId as string)
    res.status(204).end()
  })
  router.get('/broker/sessions', async (req, res) => {
    res.json(await desk().sessions(parseInput(adminListQuery, req.query)))
  })
  router.delete('/broker/sessions/:clientId', async (req, res) => {
    await desk().deleteSession(req.params.clientId as string)
    res.status(204).end()
  })
  router.get('/broker/retained', async (req, res) => {
    res.json(await desk().retained(parseInput(adminRetainedQuery, req.query)))
  })
  router.get('/broker/retained/*topic', async (req, res) => {
    res.json(await desk().retainedMessage(topicOf(req)))
  })
  router.delete('/broker/retained/*topic', async (req, res) => {
    await desk().deleteRetained(topicOf(req))
    res.status(204).end()
  })
  return router
}

/** The topic of `/broker/retained/<topic>`: the rest of the path, its levels URL-decoded one by one. */
function topicOf(req: Request): string {
  return (req.params as unknown as { topic: string[] }).topic.join('/')
}
