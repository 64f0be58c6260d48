import type { DeviceSummary, LiveEvent } from '../../../service/api/api-types.js'
import { ApiError } from '../api-client.js'
import { formatAgo, formatHeating, formatTemperature } from '../display-format.js'
import { h, showError } from '../dom.js'
import type { View, ViewContext } from '../view.js'
import { CommandList } from './command-list.js'
import { HistoryPanel } from './history-panel.js'
import { LivePanel } from './live-panel.js'
import { SetpointPanel } from './setpoint-panel.js'

/** One device: its figures, the live chart, the setpoint form, the history chart and its commands. */
export class DeviceView implements View {
  readonly element: HTMLElement
  readonly title: string
  private readonly facts = h('dl', { class: 'facts' })
  private readonly status = h('p', { class: 'muted', 'aria-live': 'polite' })
  private readonly live: LivePanel
  private readonly history: HistoryPanel
  private readonly setpoint: SetpointPanel
  private readonly commands = new CommandList()
  private readonly stopListening: () => void
  private device: DeviceSummary | undefined

  constructor(
    private readonly id: string,
    private readonly context: ViewContext
  ) {
    this.title = id
    this.live = new LivePanel(id, context.api, context.theme)
    this.history = new HistoryPanel(id, context.api, context.theme)
    this.setpoint = new SetpointPanel(id, context.api)
    this.element = h(
      'section',
      { class: 'device', 'aria-labelledby': 'device-title' },
      h('p', {}, h('a', { href: '#/' }, '← All devices')),
      h('h1', { id: 'device-title' }, id),
      this.status,
      this.facts,
      h('div', { class: 'panels' }, this.live.element, this.setpoint.element, this.history.element, this.commands.element)
    )
    this.stopListening = context.live.listen((event) => this.onEvent(event))
    void this.load()
  }

  destroy(): void {
    this.stopListening()
    this.live.destroy()
    this.history.destroy()
  }

  /**
   * The device first, unless this browser has seen it before: when there is no such device the page says so
   * once, with no charts or form to show the same error again. A device seen before (on the overview, or an
   * earlier visit) is asked for with its readings at once, a round trip sooner to the first chart. Then
   * everything else at once; the setpoint form waits for the API's rule.
   */
  private async load(): Promise<void> {
    const { api, memory } = this.context
    let charts = memory.knowsDevice(this.id) ? this.loadCharts() : undefined
    let device: DeviceSummary
    try {
      device = await api.device(this.id)
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        memory.forgetDevice(this.id)
        this.showNotFound()
      } else showError(this.status, error)
      return
    }
    memory.rememberDevices([device.id])
    this.show(device)
    charts ??= this.loadCharts()
    try {
      const [limits, commands] = await Promise.all([api.limits(), api.commands(this.id)])
      this.setpoint.enable(limits.setpoint)
      this.commands.replace(commands)
    } catch (error) {
      showError(this.status, error)
    }
    await charts
  }

  /** Both asked for at once; the history is drawn first (LivePanel.load says why). */
  private loadCharts(): Promise<unknown> {
    const history = this.history.load()
    return Promise.all([history, this.live.load(history)])
  }

  private showNotFound(): void {
    this.destroy()
    this.element.replaceChildren(
      h('p', {}, h('a', { href: '#/' }, '← All devices')),
      h('h1', { id: 'device-title' }, 'Device not found'),
      h(
        'p',
        { class: 'not-found', role: 'status' },
        `No device is called ${this.id}: nothing with this id has reported to the service, or the link is wrong.`
      )
    )
  }

  private onEvent(event: LiveEvent): void {
    if (event.type === 'reading' && event.reading.deviceId === this.id) {
      this.live.add(event.reading)
      if (this.device !== undefined)
        this.show({ ...this.device, lastReading: event.reading, lastSeen: Math.max(this.device.lastSeen ?? 0, event.reading.time) })
    } else if (event.type === 'device' && event.device.id === this.id) {
      this.show(event.device)
    } else if (event.type === 'command' && event.command.deviceId === this.id) {
      this.commands.upsert(event.command)
      this.setpoint.onCommand(event.command)
      const { name, state, appliedValue, updatedAt } = event.command
      if (name === 'setpoint' && state === 'acked' && typeof appliedValue === 'number')
        this.live.showAcknowledgedSetpoint(appliedValue, updatedAt)
    }
  }

  private show(device: DeviceSummary): void {
    this.device = device
    const reading = device.lastReading
    const setpoint = device.desiredSetpoint ?? reading?.setpoint
    this.setpoint.showCurrent(setpoint)
    const facts: Array<[string, Node | string]> = [
      ['State', h('span', { class: `state state-${device.state}` }, device.state)],
      ['Temperature', formatTemperature(reading?.temperature)],
      ['Setpoint', formatTemperature(setpoint)],
      ['Heater', formatHeating(reading?.heating)],
      ['Open alerts', String(device.openAlerts)],
      ['Last seen', formatAgo(device.lastSeen, Date.now())]
    ]
    this.status.classList.remove('error')
    this.status.textContent =
      device.sparkplug !== undefined
        ? `A Sparkplug B device of edge node ${device.sparkplug.edgeNode} in group ${device.sparkplug.group}.`
        : device.meta === undefined
          ? `Reports through the ${device.source} adapter.`
          : `${device.meta.model}, firmware ${device.meta.firmware}, reports every ${device.meta.interval} s.`
    this.facts.replaceChildren(
      ...facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', { 'data-fact': term.toLowerCase() }, value)))
    )
  }
}
