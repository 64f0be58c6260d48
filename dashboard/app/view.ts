import type { ApiClient } from './api-client.js'
import type { BrowserMemory } from './browser-memory.js'
import type { ChartTheme } from './chart-theme.js'
import type { LiveEvents } from './live-events.js'

/** What every view gets from the app: the API, the shared live feed, the chart colours and what the browser remembers. */
export interface ViewContext {
  api: ApiClient
  live: LiveEvents
  theme: ChartTheme
  memory: BrowserMemory
}

/** One page of the dashboard, mounted into <main> and destroyed (listeners, timers, charts) when the hash changes. */
export interface View {
  element: HTMLElement
  /** The document title's first part. */
  title: string
  destroy(): void
}
