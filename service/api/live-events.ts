import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import type { LiveEvent } from './api-types.js'
import { parseInput } from './parse-input.js'
import { eventsQuery } from './request-schemas.js'
import type { LiveFeed } from './service-parts.js'

export interface LiveEventsOptions {
  /** A comment line this often keeps proxies from closing a quiet stream and finds dead clients; 15 s unless set. */
  heartbeatMs?: number
  /**
   * Bytes a client may leave unread before it is dropped; 2 MiB unless set. It must exceed the largest burst
   * the feed emits at once (events written in one tick wait in the stream before the socket takes them).
   */
  maxBufferedBytes?: number
}

/**
 * `GET /events`: the live feed as Server-Sent Events, one `event: <type>` with the changed thing as JSON
 * `data` (a Reading, DeviceSummary, CommandRecord, AlertRecord or BrokerStatus), in the feed's order.
 * `?device=ID` (repeatable) keeps one device's events, `?types=reading,alert` some kinds.
 *
 * Each client's backlog is what its socket has not taken yet; past `maxBufferedBytes` it is dropped rather than
 * held in memory (EventSource reconnects by itself after `retry`, and a dashboard reloads the state it
 * missed through the REST routes). There is no replay: events sent while a client was away are not resent.
 */
export function liveEvents(live: LiveFeed, logger: Logger, options: LiveEventsOptions = {}): RequestHandler {
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBufferedBytes = options.maxBufferedBytes ?? 2 * 1024 * 1024
  return (req, res) => {
    const { device, types } = parseInput(eventsQuery, req.query)
    const devices = device === undefined ? undefined : new Set(device)
    const kinds = types === undefined ? undefined : new Set<string>(types)
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx would otherwise hold events back to fill its buffer.
      'X-Accel-Buffering': 'no'
    })
    const send = (text: string): void => {
      if (res.destroyed) return
      res.write(text)
      if (res.writableLength > maxBufferedBytes) {
        logger.warn(
          { remote: req.socket.remoteAddress, buffered: res.writableLength },
          'live feed client dropped: it reads events slower than they come'
        )
        res.destroy()
      }
    }
    send('retry: 3000\n: connected\n\n')
    const unsubscribe = live.subscribe((event) => {
      if (kinds !== undefined && !kinds.has(event.type)) return
      const deviceId = deviceIdOf(event)
      if (devices !== undefined && deviceId !== undefined && !devices.has(deviceId)) return
      send(`event: ${event.type}\ndata: ${JSON.stringify(payloadOf(event))}\n\n`)
    })
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs)
    res.on('close', () => {
      unsubscribe()
      clearInterval(heartbeat)
    })
  }
}

/** The device an event is about; broker events are about none and pass every device filter. */
function deviceIdOf(event: LiveEvent): string | undefined {
  switch (event.type) {
    case 'reading':
      return event.reading.deviceId
    case 'device':
      return event.device.id
    case 'command':
      return event.command.deviceId
    case 'alert':
      return event.alert.deviceId
    case 'broker':
      return undefined
  }
}

function payloadOf(event: LiveEvent): unknown {
  switch (event.type) {
    case 'reading':
      return event.reading
    case 'device':
      return event.device
    case 'command':
      return event.command
    case 'alert':
      return event.alert
    case 'broker':
      return event.broker
  }
}
