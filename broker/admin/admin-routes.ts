import { type Request, Router } from 'express'
import type { Broker } from '../broker.js'
import { parseFilter, topicNameProblem } from '../topics.js'
import { AdminError } from './admin-error.js'
import { adminBridge, adminClient, adminRetained, adminSession } from './admin-records.js'
import { page, pageRequest } from './paging.js'

/** What the admin API reads and changes of the broker. */
export type AdminBroker = Pick<Broker, 'clients' | 'disconnectClient' | 'sessionDirectory' | 'retained' | 'options' | 'bridges'>

/**
 * The admin API's routes, under `/api` (authentication is the caller's): connected clients, sessions, retained
 * messages, bridges and the effective configuration. Listings are paged by key: `?limit=` and `?after=` the `next` of the
 * page before; `next` is null on the last page.
 */
export function adminRoutes(broker: AdminBroker, config: Readonly<Record<string, unknown>>): Router {
  const api = Router()
  api.get('/clients', (req, res) => {
    const search = stringQuery(req, 'search')?.toLowerCase()
    const matching = [...broker.clients()].filter(
      (client) =>
        search === undefined ||
        [client.clientId, client.username, client.remoteAddress].some((field) => field?.toLowerCase().includes(search) === true)
    )
    const { items, next } = page(matching, (client) => client.clientId, pageRequest(req))
    res.json({ clients: items.map(adminClient), next })
  })
  api.delete('/clients/:clientId', (req, res) => {
    if (!broker.disconnectClient(req.params.clientId!)) throw new AdminError('not-found', `no client connected as ${req.params.clientId}`)
    res.status(204).end()
  })
  api.get('/sessions', (req, res) => {
    const { items, next } = page(directory(broker).list(), (session) => session.clientId, pageRequest(req))
    res.json({ sessions: items.map(adminSession), next })
  })
  api.delete('/sessions/:clientId', (req, res) => {
    if (!directory(broker).discard(req.params.clientId!)) throw new AdminError('not-found', `no session of ${req.params.clientId}`)
    res.status(204).end()
  })
  api.get('/retained', (req, res) => {
    const filter = stringQuery(req, 'filter') ?? '#'
    const parsed = parseFilter(filter, broker.options.maxTopicLevels, broker.options.maxTopicLength)
    const problem = typeof parsed === 'string' ? parsed : parsed.group !== undefined ? 'a shared subscription filter' : undefined
    if (problem !== undefined) throw new AdminError('invalid-field', `filter: ${problem}`, 'filter')
    const { items, next } = page(broker.retained.match(filter, Date.now()), (message) => message.topic, pageRequest(req))
    res.json({ messages: items.map(adminRetained), next })
  })
  api.get('/retained/*topic', (req, res) => {
    const topic = topicOf(req, broker)
    const message = broker.retained.get(topic, Date.now())
    if (message === undefined) throw new AdminError('not-found', `no retained message on ${topic}`)
    res.json(adminRetained(message))
  })
  api.delete('/retained/*topic', (req, res) => {
    const topic = topicOf(req, broker)
    if (!broker.retained.delete(topic)) throw new AdminError('not-found', `no retained message on ${topic}`)
    res.status(204).end()
  })
  api.get('/bridges', (_req, res) => {
    const states = broker.bridges?.states() ?? new Map()
    res.json({ bridges: Array.from(states.values(), adminBridge) })
  })
  api.get('/bridges/:name', (req, res) => {
    const state = broker.bridges?.states().get(req.params.name!)
    if (state === undefined) throw new AdminError('not-found', `no bridge named ${req.params.name}`)
    res.json(adminBridge(state))
  })
  api.get('/config', (_req, res) => {
    res.json(config)
  })
  return api
}

function directory(broker: AdminBroker): NonNullable<AdminBroker['sessionDirectory']> {
  const sessions = broker.sessionDirectory
  if (sessions === undefined) throw new AdminError('not-implemented', 'a cluster node cannot list its sessions yet')
  return sessions
}

function stringQuery(req: Request, name: string): string | undefined {
  const value = req.query[name]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new AdminError('invalid-field', `${name} must be given once`, name)
  return value
}

/** The topic of `/retained/<topic>`: the rest of the path, its levels URL-decoded one by one (so `%2F` stays in a level). */
function topicOf(req: Request, broker: AdminBroker): string {
  const topic = (req.params as unknown as { topic: string[] }).topic.join('/')
  const problem = topicNameProblem(topic, broker.options.maxTopicLevels, broker.options.maxTopicLength)
  if (problem !== undefined) throw new AdminError('invalid-field', `topic: ${problem}`, 'topic')
  return topic
}
