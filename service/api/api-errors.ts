import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { ServiceError } from '../service-error.js'
import { BODY_LIMIT_BYTES } from './json-body.js'

/** Anything under /api that no route took: a JSON 404, not express's HTML page. */
export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new ServiceError('not-found', `no such resource: ${req.method} ${req.originalUrl.split('?')[0]}`))
}

/**
 * The one place errors become answers: a ServiceError its status and code; the JSON body parser's own
 * failures 'invalid-json', 'payload-too-large' or 'invalid-field' (body); anything else a 500 whose details go to the log only.
 */
export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let known = serviceErrorOf(error)
    if (known === undefined) {
      logger.error({ err: error, method: req.method, url: req.originalUrl }, 'API request failed')
      known = new ServiceError('internal')
    }
    if (res.headersSent) {
      // A stream (CSV, events) failed midway: the status is gone, so only cutting it short tells the client.
      res.destroy()
      return
    }
    res.status(known.status).json(known.body)
  }
}

function serviceErrorOf(error: unknown): ServiceError | undefined {
  if (error instanceof ServiceError) return error
  // express could not decode a path parameter (`%E0%A4`): the path names nothing.
  if (error instanceof URIError) return new ServiceError('not-found', 'the path is not validly URL-encoded')
  const type = (error as { type?: unknown } | null)?.type
  if (type === 'entity.parse.failed')
    return new ServiceError('invalid-json', `the request body is not valid JSON: ${(error as Error).message}`)
  if (type === 'entity.too.large')
    return new ServiceError('payload-too-large', `the request body is too large: ${BODY_LIMIT_BYTES / 1024} kB at most`)
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new ServiceError('invalid-field', (error as Error).message, 'body')
  return undefined
}
