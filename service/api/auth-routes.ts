import { type Request, type RequestHandler, type Response, Router } from 'express'
import { ServiceError } from '../service-error.js'
import type { ApiAuth } from './api-auth.js'
import type { SessionState } from './api-types.js'
import { parseInput } from './parse-input.js'
import { loginBody } from './request-schemas.js'

/** The login cookie: sent to the API only, out of reach of page scripts, never on requests from other sites. */
export const SESSION_COOKIE = 'thermopost_session'

/** Lets a request through when it carries the token or a live session; 401 'unauthorized' otherwise. */
export function requireAuth(auth: ApiAuth): RequestHandler {
  return (req, _res, next) => {
    if (auth.allows(req.headers.authorization, sessionOf(req))) next()
    else next(new ServiceError('unauthorized'))
  }
}

/**
 * `POST /login` with `{ "token": "..." }` starts a browser session (EventSource cannot send an Authorization
 * header); `POST /logout` ends it; `GET /session` says whether the caller is in. Logout needs no authentication: it only ends the caller's own session, and
 * an expired one must be able to clear its cookie too.
 */
export function authRoutes(auth: ApiAuth): Router {
  const router = Router()
  router.post('/login', (req, res) => {
    const { token } = parseInput(loginBody, req.body)
    if (auth.open) {
      res.status(204).end()
      return
    }
    if (!auth.tokenMatches(token)) throw new ServiceError('unauthorized', 'the token is not the API token')
    setSessionCookie(req, res, auth.newSession(), Math.floor(auth.sessionTtlMs / 1000))
    res.status(204).end()
  })
  // Open, and always 200: the dashboard asks before showing anything, and a 401 there would be logged as an error.
  router.get('/session', (req, res) => {
    const state: SessionState = { authenticated: auth.allows(req.headers.authorization, sessionOf(req)) }
    res.json(state)
  })
  router.post('/logout', (req, res) => {
    const session = sessionOf(req)
    if (session !== undefined) auth.endSession(session)
    setSessionCookie(req, res, '', 0)
    res.status(204).end()
  })
  return router
}

function setSessionCookie(req: Request, res: Response, value: string, maxAgeSeconds: number): void {
  const secure = req.secure ? '; Secure' : ''
  res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${value}; Path=/api; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`)
}

/** The session cookie's value from the Cookie header (RFC 6265 `name=value; name=value`). */
function sessionOf(req: Request): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=')
    if (at !== -1 && pair.slice(0, at).trim() === SESSION_COOKIE) return pair.slice(at + 1).trim()
  }
  return undefined
}
