import type { LiveEvent } from '../../service/api/api-types.js'

const EVENT_TYPES: ReadonlyArray<LiveEvent['type']> = ['reading', 'device', 'command', 'alert', 'broker']

export type LiveListener = (event: LiveEvent) => void

/**
 * The service's Server-Sent Events feed (service/api/live-events.ts), shared by every view: each message is
 * an event named after its type whose data is the changed thing itself (a Reading, a DeviceSummary, ...),
 * turned back into a LiveEvent here. EventSource reconnects by itself; `onState` hears whether the feed is up,
 * for the connection badge. Events missed while it was down are not replayed: views reload on reconnect.
 */
export class LiveEvents {
  private source: EventSource | undefined
  private readonly listeners = new Set<LiveListener>()

  constructor(
    private readonly url: string,
    private readonly onState: (connected: boolean) => void
  ) {}

  start(): void {
    this.stop()
    const source = new EventSource(this.url, { withCredentials: true })
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        let data: unknown
        try {
          data = JSON.parse(message.data)
        } catch {
          return
        }
        const event = { type, [type]: data } as LiveEvent
        for (const listener of this.listeners) listener(event)
      })
    }
    source.onopen = () => this.onState(true)
    source.onerror = () => this.onState(false)
    this.source = source
  }

  stop(): void {
    this.source?.close()
    this.source = undefined
  }

  /** Returns the function that removes the listener again. */
  listen(listener: LiveListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
