import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type RequestHandler, type Response, type Router } from 'express'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))

/**
 * Where each part of the page comes from. tsc compiles dashboard/app/ next to this file (dist/dashboard/app/)
 * but copies no HTML or CSS, so those are read from the source tree: the build folder (dist/, dist-*) sits at
 * the repository root, two levels above this file.
 */
const APP_DIR = join(here, 'app')
const PUBLIC_DIR = join(here, '..', '..', 'dashboard', 'public')
const STYLES_DIR = join(PUBLIC_DIR, 'styles')
/**
 * Chart.js and its date adapter, their UMD builds from node_modules (no CDN). Their packages do not export
 * these paths, so they are found beside each package's own entry file, which sits in the same dist/ folder.
 */
const VENDOR_FILES: Readonly<Record<string, string>> = {
  'chart.umd.min.js': join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
  'chartjs-adapter-date-fns.bundle.min.js': join(
    dirname(require.resolve('chartjs-adapter-date-fns')),
    'chartjs-adapter-date-fns.bundle.min.js'
  )
}

/** The page, its styles and the app change with every build, so browsers revalidate them (ETag); vendor files change with npm only. */
const REVALIDATE = 'no-cache'
const VENDOR_CACHE = 'public, max-age=86400'
/** Everything the page loads comes from here; Chart.js sets canvas sizes through inline styles. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/**
 * The dashboard's files for the service to mount at `/`: the page at `/` (and `/index.html`), its stylesheets
 * under `/styles/`, the compiled app under `/app/`, Chart.js under `/vendor/`. Anything else falls through to the
 * service's routes.
 */
export function dashboardRouter(): Router {
  const router = express.Router()
  const html = withModulePreloads(readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8'))
  const page = (_request: unknown, response: Response): void => {
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    response.setHeader('X-Content-Type-Options', 'nosniff')
    response.setHeader('Cache-Control', REVALIDATE)
    response.type('html').send(html)
  }
  router.get('/', page)
  router.get('/index.html', page)
  router.use('/styles', revalidatedFiles(STYLES_DIR))
  router.use('/app', revalidatedFiles(APP_DIR))
  router.get('/vendor/:file', (request, response, next) => {
    if (!Object.hasOwn(VENDOR_FILES, request.params.file)) return next()
    response.setHeader('Cache-Control', VENDOR_CACHE)
    response.sendFile(VENDOR_FILES[request.params.file])
  })
  return router
}

/** The files of a folder, each revalidated by the browser on every use; no directory listings. */
function revalidatedFiles(dir: string): RequestHandler {
  return express.static(dir, {
    index: false,
    cacheControl: false,
    setHeaders: (response) => response.setHeader('Cache-Control', REVALIDATE)
  })
}

/**
 * The page with a `modulepreload` link for every module of the app: without them the browser finds the
 * modules import by import, a round of requests per level (five levels, ~870 ms before the app ran on a
 * loaded machine); with them it asks for all at once.
 */
function withModulePreloads(html: string): string {
  const modules = (readdirSync(APP_DIR, { recursive: true }) as string[]).filter((file) => file.endsWith('.js')).sort()
  const links = modules.map((file) => `  <link rel="modulepreload" href="app/${file.split(sep).join('/')}">`).join('\n')
  return html.replace('  <script type="module"', `${links}\n  <script type="module"`)
}
