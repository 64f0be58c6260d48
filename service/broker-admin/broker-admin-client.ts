import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import type { AdminClient, AdminPage, AdminRetained, AdminSession } from '../../common/admin-api-records.js'
import type { AdminListQuery, BrokerAdminDesk } from '../api/service-parts.js'
import { ServiceError, type ServiceErrorCode } from '../service-error.js'
import { adminRetainedSchema, clientsPageSchema, retainedPageSchema, sessionsPageSchema } from './admin-record-schemas.js'

export interface BrokerAdminTarget {
  /** The admin listener's base URL, `http://127.0.0.1:PORT`. */
  url: string
  /**
   * Its bearer token, or the file holding it (the broker's `<data_dir>/admin-token`), read on each request: the
   * broker writes it on its first start, and a new one is taken up without restarting the service.
   */
  token: string | { file: string }
  /** How long a request may take, ms; 5 000 unless set. */
  timeoutMs?: number
}

/** The admin API's error codes the service's catalogue has too: passed on as they are, with the broker's message. */
const PASSED_ON: ReadonlySet<string> = new Set<ServiceErrorCode>(['invalid-field', 'not-found', 'not-implemented', 'internal'])

/**
 * The broker's admin API (broker/admin/admin-routes.ts) over HTTP, for the service to relay to the dashboard: the
 * browser never holds the admin token. Every answer is checked against the records' schemas.
 */
export class BrokerAdminClient implements BrokerAdminDesk {
  private readonly base: string

  constructor(private readonly target: BrokerAdminTarget) {
    this.base = `${target.url.replace(/\/+$/, '')}/api`
  }

  clients(query: AdminListQuery): Promise<AdminPage<'clients', AdminClient>> {
    return this.read(`/clients${queryString(query)}`, clientsPageSchema)
  }

  disconnectClient(clientId: string): Promise<void> {
    return this.remove(`/clients/${encodeURIComponent(clientId)}`)
  }

  sessions(query: AdminListQuery): Promise<AdminPage<'sessions', AdminSession>> {
    return this.read(`/sessions${queryString(query)}`, sessionsPageSchema)
  }

  deleteSession(clientId: string): Promise<void> {
    return this.remove(`/sessions/${encodeURIComponent(clientId)}`)
  }

  retained(query: AdminListQuery): Promise<AdminPage<'messages', AdminRetained>> {
    return this.read(`/retained${queryString(query)}`, retainedPageSchema)
  }

  retainedMessage(topic: string): Promise<AdminRetained> {
    return this.read(topicPath(topic), adminRetainedSchema)
  }

  deleteRetained(topic: string): Promise<void> {
    return this.remove(topicPath(topic))
  }

  private async read<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const body = await this.request('GET', path)
    const parsed = schema.safeParse(body)
    if (parsed.success) return parsed.data
    const issue = parsed.error.issues[0]!
    throw new ServiceError(
      'broker-admin-failed',
      `the broker's admin API answered GET ${path} with ${issue.path.join('.')}: ${issue.message}`
    )
  }

  private async remove(path: string): Promise<void> {
    await this.request('DELETE', path)
  }

  private async request(method: string, path: string): Promise<unknown> {
    const token = await this.token()
    let response: Response
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.target.timeoutMs ?? 5000)
      })
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined
      throw new ServiceError(
        'broker-admin-unavailable',
        `cannot reach the broker's admin API at ${this.target.url}: ${cause?.message ?? (error as Error).message}`
      )
    }
    const text = await response.text()
    const body = text === '' ? undefined : parseJson(text)
    if (response.ok) return body
    const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error
    if (response.status === 401)
      // Not the browser's 401: its login is fine, the service's admin token is not.
      throw new ServiceError('broker-admin-unavailable', `the broker's admin API at ${this.target.url} refused the service's admin token`)
    if (typeof error?.code === 'string' && PASSED_ON.has(error.code) && typeof error.message === 'string')
      throw new ServiceError(error.code as ServiceErrorCode, error.message, typeof error.field === 'string' ? error.field : undefined)
    throw new ServiceError('broker-admin-failed', `the broker's admin API answered ${method} ${path} with HTTP ${response.status}`)
  }

  private async token(): Promise<string> {
    const { token } = this.target
    if (typeof token === 'string') return token
    try {
      return (await readFile(token.file, 'utf8')).trim()
    } catch (error) {
      throw new ServiceError(
        'broker-admin-unavailable',
        `cannot read the broker's admin token from ${token.file}: ${(error as Error).message}`
      )
    }
  }
}

function queryString(query: AdminListQuery): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value))
  return params.size === 0 ? '' : `?${params}`
}

/** `/retained/<topic>`, each level encoded on its own, as the admin API decodes them. */
function topicPath(topic: string): string {
  return `/retained/${topic.split('/').map(encodeURIComponent).join('/')}`
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
