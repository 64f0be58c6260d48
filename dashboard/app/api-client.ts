import type {
  AdminClient,
  AdminPage,
  AdminRetained,
  AdminSession,
  AlertRecord,
  AlertState,
  ApiLimits,
  BrokerStatus,
  CommandRecord,
  DeviceSummary,
  Resolution,
  Series,
  SessionState
} from '../../service/api/api-types.js'
import type { TimeRange } from './time-ranges.js'

/** An answer of the API other than 2xx, with its `{ error: { code, message, field? } }` body when it had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** Which page of a broker listing: after the `next` of the page before; `search` (clients) or `filter` (retained). */
export interface BrokerListQuery {
  after?: string
  search?: string
  filter?: string
}

export interface ReadingsQuery {
  from: number
  to: number
  /** 'auto' (what the server does when absent) picks the finest resolution with at most `maxPoints` points. */
  resolution?: Resolution | 'auto'
  maxPoints?: number
}

/**
 * The one place that knows the service's URLs (service/api). Every call throws ApiError on a non-2xx answer;
 * a 401 also calls `onUnauthorized` first, so the app can show its login form whichever view asked.
 */
export class ApiClient {
  onUnauthorized: () => void = () => {}

  constructor(private readonly base = '/api') {}

  async devices(): Promise<DeviceSummary[]> {
    return (await this.get<{ devices: DeviceSummary[] }>('/devices')).devices
  }

  device(id: string): Promise<DeviceSummary> {
    return this.get(this.devicePath(id))
  }

  readings(id: string, query: ReadingsQuery): Promise<Series & TimeRange> {
    return this.get(`${this.devicePath(id)}/readings?${readingsParams(query)}`)
  }

  /** Several devices' series in one request, in the order of `ids`. */
  async manyReadings(ids: readonly string[], query: ReadingsQuery): Promise<Series[]> {
    if (ids.length === 0) return []
    const params = readingsParams(query)
    for (const id of ids) params.append('device', id)
    return (await this.get<{ series: Series[] }>(`/readings?${params}`)).series
  }

  /** For a download link: the browser sends the login cookie with it. */
  readingsCsvUrl(id: string, from: number, to: number): string {
    return `${this.base}${this.devicePath(id)}/readings.csv?${new URLSearchParams({ from: String(Math.round(from)), to: String(Math.round(to)) })}`
  }

  setpoint(id: string, value: number): Promise<CommandRecord> {
    return this.send('POST', `${this.devicePath(id)}/setpoint`, { value })
  }

  /** Newest first. */
  async commands(id: string): Promise<CommandRecord[]> {
    return (await this.get<{ commands: CommandRecord[] }>(`${this.devicePath(id)}/commands`)).commands
  }

  /** Newest first. */
  async alerts(filter: { state?: AlertState; device?: string } = {}): Promise<AlertRecord[]> {
    return (await this.get<{ alerts: AlertRecord[] }>(`/alerts${queryString(filter)}`)).alerts
  }

  /** Raised and acknowledged alerts: those not cleared yet, newest first. */
  async openAlerts(): Promise<AlertRecord[]> {
    const [raised, acknowledged] = await Promise.all([this.alerts({ state: 'raised' }), this.alerts({ state: 'acknowledged' })])
    return [...raised, ...acknowledged].sort((a, b) => b.raisedAt - a.raisedAt)
  }

  acknowledgeAlert(id: string): Promise<AlertRecord> {
    return this.send('POST', `/alerts/${encodeURIComponent(id)}/acknowledge`, {})
  }

  /** The rules the API checks input against (the setpoint's range and step). */
  limits(): Promise<ApiLimits> {
    return this.get('/limits')
  }

  /** Whether this browser is logged in (or the API is open): always 200, so asking logs no error. */
  session(): Promise<SessionState> {
    return this.get('/session')
  }

  broker(): Promise<BrokerStatus> {
    return this.get('/broker')
  }

  /** The broker's connected clients, through the service (which holds the broker's admin token). */
  brokerClients(query: BrokerListQuery = {}): Promise<AdminPage<'clients', AdminClient>> {
    return this.get(`/broker/clients${queryString({ ...query })}`)
  }

  /** Ends the client's connection (MQTT 5: DISCONNECT 0x98 Administrative action). */
  disconnectClient(clientId: string): Promise<void> {
    return this.request('DELETE', `/broker/clients/${encodeURIComponent(clientId)}`)
  }

  brokerSessions(query: BrokerListQuery = {}): Promise<AdminPage<'sessions', AdminSession>> {
    return this.get(`/broker/sessions${queryString({ ...query })}`)
  }

  /** Ends the session, and its connection when it has one: its subscriptions and queued messages are gone. */
  deleteSession(clientId: string): Promise<void> {
    return this.request('DELETE', `/broker/sessions/${encodeURIComponent(clientId)}`)
  }

  retainedMessages(query: BrokerListQuery = {}): Promise<AdminPage<'messages', AdminRetained>> {
    return this.get(`/broker/retained${queryString({ ...query })}`)
  }

  retainedMessage(topic: string): Promise<AdminRetained> {
    return this.get(retainedPath(topic))
  }

  deleteRetained(topic: string): Promise<void> {
    return this.request('DELETE', retainedPath(topic))
  }

  /** Trades the API token for an HttpOnly cookie: EventSource cannot send an Authorization header. */
  async login(token: string): Promise<void> {
    await this.send('POST', '/login', { token })
  }

  /** The Server-Sent Events feed of LiveEvent JSON. */
  eventsUrl(): string {
    return `${this.base}/events`
  }

  private devicePath(id: string): string {
    return `/devices/${encodeURIComponent(id)}`
  }

  private get<T>(path: string): Promise<T> {
    return this.request('GET', path)
  }

  private send<T>(method: 'POST', path: string, body: unknown): Promise<T> {
    return this.request(method, path, JSON.stringify(body))
  }

  private async request<T>(method: string, path: string, body?: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      body,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      credentials: 'same-origin'
    })
    const text = await response.text()
    const json: unknown = text === '' ? undefined : parseJson(text)
    if (response.ok) return json as T
    const error = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error
    if (response.status === 401) this.onUnauthorized()
    throw new ApiError(
      response.status,
      error?.code ?? `http-${response.status}`,
      error?.message ?? `${method} ${path}: ${response.status} ${response.statusText}`,
      error?.field
    )
  }
}

/** `?name=value&...` of the values given and not empty; '' when there are none. */
function queryString(values: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
  )
  return params.size > 0 ? `?${params}` : ''
}

/** Each level of the topic encoded on its own, so a `/` inside none is lost and `#`, `?` or `%` in one survive. */
function retainedPath(topic: string): string {
  return `/broker/retained/${topic.split('/').map(encodeURIComponent).join('/')}`
}

function readingsParams(query: ReadingsQuery): URLSearchParams {
  const params = new URLSearchParams({ from: String(Math.round(query.from)), to: String(Math.round(query.to)) })
  if (query.resolution !== undefined) params.set('resolution', query.resolution)
  if (query.maxPoints !== undefined) params.set('maxPoints', String(query.maxPoints))
  return params
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
