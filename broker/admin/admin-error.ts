import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { CataloguedError, type ErrorEntry } from '../../common/catalogued-error.js'

/**
 * The admin API's errors: a stable code, the HTTP status and a message for a person, answered as the service's API
 * answers its own: `{ "error": { "code", "message", "field"? } }`.
 */
export const adminErrors = {
  'invalid-field': { status: 400, message: 'a field of the request is missing or not valid' },
  unauthorized: { status: 401, message: 'a valid admin token is needed (Authorization: Bearer ...)' },
  'not-found': { status: 404, message: 'no such resource' },
  'not-implemented': { status: 501, message: 'this broker cannot answer this request' },
  internal: { status: 500, message: 'the broker failed to answer this request; the details are in its log' }
} as const satisfies Record<string, ErrorEntry>

export type AdminErrorCode = keyof typeof adminErrors

export class AdminError extends CataloguedError<AdminErrorCode> {
  /**
   * @param detail what exactly is wrong, replacing the catalogue's generic message
   * @param field the query or path field at fault, for 'invalid-field'
   */
  constructor(code: AdminErrorCode, detail?: string, field?: string) {
    super(adminErrors, code, detail, field)
    this.name = 'AdminError'
  }
}

/** Anything no route took: a JSON 404, not express's HTML page. */
export const adminNotFound: RequestHandler = (req, _res, next) => {
  next(new AdminError('not-found', `no such resource: ${req.method} ${req.originalUrl.split('?')[0]}`))
}

/** The one place errors become answers; anything but an AdminError is a 500 whose details go to the log only. */
export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let known: AdminError
    if (error instanceof AdminError) known = error
    else if (error instanceof URIError) known = new AdminError('not-found', 'the path is not validly URL-encoded')
    else {
      logger.error({ err: error, method: req.method, url: req.originalUrl }, 'admin API request failed')
      known = new AdminError('internal')
    }
    res.status(known.status).json(known.body)
  }
}
