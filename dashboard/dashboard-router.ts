import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import express, { type Response, type Router } from 'express'
import { BUNDLE_DIR } from './bundle-dir.js'

/** The page names the bundle's files, which change with every build, so browsers revalidate it (ETag). */
const PAGE_CACHE = 'no-cache'
/** A bundled file's name holds a hash of its content: a new build is a new name, so browsers keep a file for good. */
const ASSET_MAX_AGE_MS = 365 * 86_400_000
/** Everything the page loads comes from here; Chart.js sets canvas sizes through inline styles. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/**
 * The dashboard's files for the service to mount at `/`, as the build bundled them (dashboard-bundle.ts): the
 * page at `/` (and `/index.html`), and the app and its stylesheet under `/assets/`. Anything else falls through
 * to the service's routes.
 */
export function dashboardRouter(): Router {
  const pageFile = join(BUNDLE_DIR, 'index.html')
  if (!existsSync(pageFile)) throw new Error(`the dashboard is not built (no ${pageFile}): run npm run build`)
  const html = readFileSync(pageFile, 'utf8')
  const router = express.Router()
  const page = (_request: unknown, response: Response): void => {
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    response.setHeader('X-Content-Type-Options', 'nosniff')
    response.setHeader('Cache-Control', PAGE_CACHE)
    response.type('html').send(html)
  }
  router.get('/', page)
  router.get('/index.html', page)
  // `public, max-age=31536000, immutable`; no directory listings.
  router.use('/assets', express.static(join(BUNDLE_DIR, 'assets'), { index: false, immutable: true, maxAge: ASSET_MAX_AGE_MS }))
  return router
}
