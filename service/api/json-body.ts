import express, { type RequestHandler } from 'express'
import { ServiceError } from '../service-error.js'

/** The largest body the API reads: a setpoint or a login is a few dozen bytes. */
export const BODY_LIMIT_BYTES = 16 * 1024

const parseJson = express.json({ limit: BODY_LIMIT_BYTES })

/**
 * Reads a JSON body into `req.body`. A body of another type (a form post, text) is 415 'unsupported-media-type'
 * rather than an empty body whose fields then seem missing; a request without a body passes. A cross-site form
 * post cannot send application/json, so it is refused here too.
 */
export const jsonBody: RequestHandler = (req, res, next) => {
  // req.is answers null when there is no body, false when the body is of another type.
  if (req.is('application/json') === false) {
    next(
      new ServiceError(
        'unsupported-media-type',
        `the request body must be JSON (Content-Type: application/json), not ${req.headers['content-type'] ?? 'untyped'}`
      )
    )
    return
  }
  parseJson(req, res, next)
}
