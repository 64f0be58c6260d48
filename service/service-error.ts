import { CataloguedError, type ErrorEntry } from '../common/catalogued-error.js'

/**
 * The one catalogue of the service's errors: a stable code (clients may switch on it), the HTTP status
 * the API answers with, and a message for a person. Routes and parts throw ServiceError; one express
 * error middleware turns it into `{ "error": { "code", "message", "field"? } }` with the status.
 */
export const serviceErrors = {
  'invalid-field': { status: 400, message: 'a field of the request is missing or not valid' },
  'invalid-json': { status: 400, message: 'the request body is not valid JSON' },
  unauthorized: { status: 401, message: 'a valid API token is needed (Authorization: Bearer ..., or log in)' },
  'unknown-device': { status: 404, message: 'no device with this id' },
  'unknown-alert': { status: 404, message: 'no alert with this id' },
  'not-found': { status: 404, message: 'no such resource' },
  'payload-too-large': { status: 413, message: 'the request body is too large' },
  'unsupported-media-type': { status: 415, message: 'the request body must be JSON (Content-Type: application/json)' },
  'history-unavailable': { status: 503, message: 'the history store cannot be reached' },
  'broker-unavailable': { status: 503, message: 'the service is not connected to the broker' },
  'broker-admin-unavailable': { status: 503, message: "the broker's admin API is not configured or cannot be reached" },
  'broker-admin-failed': { status: 502, message: "the broker's admin API gave an answer the service cannot read" },
  'not-implemented': { status: 501, message: 'this request cannot be answered here' },
  standby: { status: 503, message: 'this instance is a standby: the active instance answers (GET /api/instance says which)' },
  internal: { status: 500, message: 'the service failed to answer this request; the details are in its log' }
} as const satisfies Record<string, ErrorEntry>

export type ServiceErrorCode = keyof typeof serviceErrors

export class ServiceError extends CataloguedError<ServiceErrorCode> {
  /**
   * @param field the request field at fault (`value`, `from`), for 'invalid-field'
   * @param detail what exactly is wrong, replacing the catalogue's generic message
   */
  constructor(code: ServiceErrorCode, detail?: string, field?: string) {
    super(serviceErrors, code, detail, field)
    this.name = 'ServiceError'
  }
}
