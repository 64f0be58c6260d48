import type { RequestHandler } from 'express'

/** Where a served request is reported: its route pattern, method, status and how long it took. */
export type RequestListener = (route: string, method: string, status: number, seconds: number) => void

/** What an answer no route took is reported as, so that scanned paths do not each become a series. */
export const UNMATCHED_ROUTE = 'unmatched'

/**
 * Times every request of the router it is mounted on (at `mountPath`) until its answer is sent, labelled with
 * the route's pattern (`/api/devices/:id`, not the device's id, which would make a series per device). The
 * live event stream (`streamPath`) stays open for hours and is not timed.
 */
export function requestTiming(mountPath: string, streamPath: string, report: RequestListener): RequestHandler {
  return (req, res, next) => {
    const started = performance.now()
    res.once('finish', () => {
      // Set by express once a route matched; a router's own 404 leaves it unset.
      const pattern = (req.route as { path?: unknown } | undefined)?.path
      if (pattern === streamPath) return
      const route = typeof pattern === 'string' ? `${mountPath}${pattern}` : UNMATCHED_ROUTE
      report(route, req.method, res.statusCode, (performance.now() - started) / 1000)
    })
    next()
  }
}
