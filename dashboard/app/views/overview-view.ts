import type { AlertRecord, DeviceState, DeviceSummary, LiveEvent } from '../../../service/api/api-types.js'
import { DEFAULT_DEVICE_QUERY, type DeviceQuery, type DeviceSortKey, filterDevices, sitesOf } from '../device-filter.js'
import { formatAgo, formatHeating, formatTemperature } from '../display-format.js'
import { h, showError } from '../dom.js'
import { routeHash } from '../hash-route.js'
import { showRowsInPlace } from '../rows-in-place.js'
import type { View, ViewContext } from '../view.js'

const COLUMNS: Array<{ key: DeviceSortKey; label: string }> = [
  { key: 'device', label: 'Device' },
  { key: 'site', label: 'Site' },
  { key: 'state', label: 'State' },
  { key: 'temperature', label: 'Temperature' },
  { key: 'setpoint', label: 'Setpoint' },
  { key: 'alerts', label: 'Alerts' },
  { key: 'lastSeen', label: 'Last seen' }
]
const STATES: DeviceState[] = ['online', 'stale', 'offline', 'unknown']
/** "Last seen" ages move on without events; redraw them this often. */
const AGE_REFRESH_MS = 5000

/**
 * Every device in a table the search box, the site and state filters and the sortable column headers shape.
 * Live events patch the device list and redraw at most once per animation frame, however many arrive.
 */
export class OverviewView implements View {
  readonly title = 'Devices'
  readonly element: HTMLElement
  private readonly devices = new Map<string, DeviceSummary>()
  private readonly query: DeviceQuery = { ...DEFAULT_DEVICE_QUERY }
  private readonly body = h('tbody')
  private readonly headRow = h('tr')
  private readonly siteSelect = h('select', { id: 'filter-site' })
  private readonly summary = h('p', { class: 'summary', 'aria-live': 'polite' }, 'Loading devices…')
  private readonly alertList = h('ul', { class: 'alerts' })
  private readonly stopListening: () => void
  private readonly ageTimer: ReturnType<typeof setInterval>
  private frame: number | undefined
  /** The sort the column headers show: they are drawn again only when it changes. */
  private headOrder = ''

  constructor(private readonly context: ViewContext) {
    const search = h('input', { type: 'search', id: 'filter-search', placeholder: 'Name, site or model', autocomplete: 'off' })
    search.addEventListener('input', () => {
      this.query.search = search.value
      this.render()
    })
    this.siteSelect.addEventListener('change', () => {
      this.query.site = this.siteSelect.value
      this.render()
    })
    const stateSelect = h(
      'select',
      { id: 'filter-state' },
      h('option', { value: '' }, 'Any state'),
      ...STATES.map((state) => h('option', { value: state }, state))
    )
    stateSelect.addEventListener('change', () => {
      this.query.state = stateSelect.value as DeviceState | ''
      this.render()
    })
    const filters = h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter devices' },
      h('label', { for: search.id }, 'Search'),
      search,
      h('label', { for: this.siteSelect.id }, 'Site'),
      this.siteSelect,
      h('label', { for: stateSelect.id }, 'State'),
      stateSelect
    )
    filters.addEventListener('submit', (event) => event.preventDefault())
    const table = h(
      'table',
      { class: 'devices' },
      h('caption', { class: 'visually-hidden' }, 'Devices; the column buttons sort'),
      h('thead', {}, this.headRow),
      this.body
    )
    this.element = h(
      'section',
      { 'aria-labelledby': 'overview-title' },
      h('h1', { id: 'overview-title' }, 'Devices'),
      this.summary,
      filters,
      h('div', { class: 'table-scroll' }, table),
      h('section', { 'aria-labelledby': 'alerts-title' }, h('h2', { id: 'alerts-title' }, 'Open alerts'), this.alertList)
    )
    this.stopListening = context.live.listen((event) => this.onEvent(event))
    this.ageTimer = setInterval(() => this.render(), AGE_REFRESH_MS)
    void this.load()
  }

  destroy(): void {
    this.stopListening()
    clearInterval(this.ageTimer)
    if (this.frame !== undefined) cancelAnimationFrame(this.frame)
  }

  private async load(): Promise<void> {
    try {
      const [devices, alerts] = await Promise.all([this.context.api.devices(), this.context.api.openAlerts()])
      for (const device of devices) this.devices.set(device.id, device)
      // A device page opened from here asks for the device and its readings at once.
      this.context.memory.rememberDevices(devices.map((device) => device.id))
      this.renderAlerts(alerts)
      this.render()
    } catch (error) {
      showError(this.summary, error)
    }
  }

  private onEvent(event: LiveEvent): void {
    if (event.type === 'device') {
      this.devices.set(event.device.id, event.device)
    } else if (event.type === 'reading') {
      const device = this.devices.get(event.reading.deviceId)
      if (device === undefined) return
      this.devices.set(device.id, { ...device, lastReading: event.reading, lastSeen: Math.max(device.lastSeen ?? 0, event.reading.time) })
    } else if (event.type === 'alert') {
      // The alert changes the device's open count, which only the service keeps.
      void Promise.all([this.context.api.device(event.alert.deviceId), this.context.api.openAlerts()]).then(
        ([device, alerts]) => {
          this.devices.set(device.id, device)
          this.renderAlerts(alerts)
          this.schedule()
        },
        () => {}
      )
      return
    } else {
      return
    }
    this.schedule()
  }

  private schedule(): void {
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined
      this.render()
    })
  }

  private render(): void {
    const all = [...this.devices.values()]
    const shown = filterDevices(all, this.query)
    this.renderSites(sitesOf(all))
    this.renderHead()
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.deviceId : undefined
    const now = Date.now()
    showRowsInPlace(
      this.body,
      shown.map((device) => this.row(device, now))
    )
    if (focused !== undefined) this.body.querySelector<HTMLElement>(`[data-device-id="${CSS.escape(focused)}"]`)?.focus()
    const online = all.filter((device) => device.state === 'online').length
    this.summary.classList.remove('error')
    this.summary.textContent =
      all.length === 0
        ? 'No devices yet: they appear here as soon as they publish.'
        : `${all.length} ${all.length === 1 ? 'device' : 'devices'}, ${online} online${shown.length < all.length ? `; ${shown.length} shown` : ''}`
  }

  private row(device: DeviceSummary, now: number): HTMLTableRowElement {
    const reading = device.lastReading
    const setpoint = device.desiredSetpoint ?? reading?.setpoint
    return h(
      'tr',
      { 'data-id': device.id },
      h(
        'th',
        { scope: 'row' },
        h('a', { href: routeHash({ view: 'device', id: device.id }), 'data-device-id': device.id }, device.device),
        device.sparkplug === undefined
          ? undefined
          : h(
              'span',
              { class: 'protocol', title: `Sparkplug B: group ${device.sparkplug.group}, edge node ${device.sparkplug.edgeNode}` },
              ' Sparkplug'
            )
      ),
      h('td', { 'data-label': 'Site' }, device.site),
      h('td', { 'data-label': 'State' }, h('span', { class: `state state-${device.state}` }, device.state)),
      h('td', { 'data-label': 'Temperature', class: 'number' }, formatTemperature(reading?.temperature)),
      h(
        'td',
        { 'data-label': 'Setpoint', class: 'number' },
        formatTemperature(setpoint),
        reading?.heating === undefined
          ? undefined
          : h(
              'span',
              { class: `heater heater-${formatHeating(reading.heating)}`, title: 'Heater' },
              ` heater ${formatHeating(reading.heating)}`
            )
      ),
      h(
        'td',
        { 'data-label': 'Alerts', class: 'number' },
        device.openAlerts > 0 ? h('span', { class: 'alert-count' }, String(device.openAlerts)) : '0'
      ),
      h('td', { 'data-label': 'Last seen' }, formatAgo(device.lastSeen, now))
    )
  }

  private renderHead(): void {
    // Only when the order changed: a button replaced between a press and its release would lose the click.
    const order = `${this.query.sort} ${this.query.descending}`
    if (order === this.headOrder) return
    this.headOrder = order
    this.headRow.replaceChildren(
      ...COLUMNS.map(({ key, label }) => {
        const active = this.query.sort === key
        const button = h('button', { type: 'button', class: 'sort' }, label, active ? (this.query.descending ? ' ▼' : ' ▲') : '')
        button.addEventListener('click', () => {
          this.query.descending = active ? !this.query.descending : false
          this.query.sort = key
          this.render()
          this.headRow.querySelectorAll('button')[COLUMNS.findIndex((column) => column.key === key)]?.focus()
        })
        return h('th', { scope: 'col', 'aria-sort': active ? (this.query.descending ? 'descending' : 'ascending') : undefined }, button)
      })
    )
  }

  private renderSites(sites: string[]): void {
    const known = [...this.siteSelect.options].map((option) => option.value)
    if (known.length === sites.length + 1 && sites.every((site, index) => known[index + 1] === site)) return
    this.siteSelect.replaceChildren(
      h('option', { value: '' }, 'Every site'),
      ...sites.map((site) => h('option', { value: site, selected: site === this.query.site }, site))
    )
  }

  private renderAlerts(alerts: AlertRecord[]): void {
    this.alertList.replaceChildren(
      ...(alerts.length === 0
        ? [h('li', { class: 'muted' }, 'None.')]
        : alerts.map((alert) =>
            h(
              'li',
              { class: `severity-${alert.severity}` },
              h('a', { href: routeHash({ view: 'device', id: alert.deviceId }) }, alert.deviceId),
              `: ${alert.message} (${alert.severity}, ${formatAgo(alert.raisedAt, Date.now())}) `,
              alert.state === 'raised' ? this.acknowledgeButton(alert) : h('span', { class: 'muted' }, 'acknowledged')
            )
          ))
    )
  }

  /** Acknowledging says a person has seen it; the alert stays open until its condition ends. The feed brings the change back. */
  private acknowledgeButton(alert: AlertRecord): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'acknowledge', 'aria-label': `Acknowledge the alert on ${alert.deviceId}: ${alert.message}` },
      'Acknowledge'
    )
    button.addEventListener('click', () => {
      button.disabled = true
      this.context.api.acknowledgeAlert(alert.id).catch((error: unknown) => {
        button.disabled = false
        showError(this.summary, error)
      })
    })
    return button
  }
}
