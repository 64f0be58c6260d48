import { ApiClient } from './api-client.js'
import { BrowserMemory } from './browser-memory.js'
import { chartTheme } from './chart-theme.js'
import { byId, showError } from './dom.js'
import { parseRoute, type Route } from './hash-route.js'
import { LiveEvents } from './live-events.js'
import type { View, ViewContext } from './view.js'
import { BrokerView } from './views/broker-view.js'
import { CompareView } from './views/compare-view.js'
import { DeviceView } from './views/device-view.js'
import { LoginView } from './views/login-view.js'
import { OverviewView } from './views/overview-view.js'

/*
 * The app: one view at a time in <main>, chosen by the hash; one live feed shared by the views; the login form
 * whenever the API answers 401, whichever view asked.
 */

const api = new ApiClient()
const memory = new BrowserMemory()
const main = byId<HTMLElement>('main')
const connection = byId<HTMLElement>('connection')
/** The feed was up and dropped: what it missed is not replayed, so the view reloads when it is back. */
let feedDropped = false
const live = new LiveEvents(api.eventsUrl(), (connected) => {
  connection.textContent = connected ? 'Live' : 'Reconnecting…'
  connection.dataset.connected = String(connected)
  if (connected && feedDropped) showRoute(false)
  feedDropped = !connected
})
const context: ViewContext = { api, live, theme: chartTheme(), memory }
let current: View | undefined
let loggedIn = false

api.onUnauthorized = () => {
  memory.loggedIn = false
  if (!loggedIn && current instanceof LoginView) return
  loggedIn = false
  live.stop()
  showLogin()
}

function showLogin(): void {
  mount(new LoginView(api, () => void start()))
}

function viewFor(route: Route): View {
  switch (route.view) {
    case 'overview':
      return new OverviewView(context)
    case 'device':
      return new DeviceView(route.id, context)
    case 'compare':
      return new CompareView(route.ids, context)
    case 'broker':
      return new BrokerView(context)
  }
}

function mount(view: View): void {
  current?.destroy()
  current = view
  main.replaceChildren(view.element)
  document.title = `${view.title} · thermopost`
}

function showRoute(moveFocus: boolean): void {
  if (!loggedIn) return
  const route = parseRoute(location.hash)
  mount(viewFor(route))
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.dataset.view === route.view) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  // A screen reader hears the new page's heading, as after a page load.
  const heading = main.querySelector('h1')
  if (moveFocus && heading !== null) {
    heading.tabIndex = -1
    heading.focus()
  }
}

/**
 * Asks the API whether this browser is in first, so the login form shows before any view or the live feed starts;
 * a browser that was in last time skips asking, so the view's requests go out a round trip sooner (a 401 from any
 * of them still brings the login form).
 */
async function start(): Promise<void> {
  if (!memory.loggedIn) {
    try {
      if (!(await api.session()).authenticated) {
        showLogin()
        return
      }
    } catch (error) {
      showError(main, error)
      return
    }
    memory.loggedIn = true
  }
  loggedIn = true
  live.start()
  showRoute(false)
}

addEventListener('hashchange', () => showRoute(true))
void start()
