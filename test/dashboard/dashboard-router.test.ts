import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import express from 'express'
import { dashboardRouter } from '../../dashboard/dashboard-router.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'

test('the router serves the page and the bundle it names with their cache headers, and nothing else', async (t) => {
  const app = express()
  app.use(dashboardRouter())
  app.use((_request, response) => {
    response.status(404).send('next')
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  for (const path of ['/', '/index.html']) {
    const page = await fetch(`${base}${path}`)
    assert.equal(page.status, 200, path)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/, path)
    assert.equal(page.headers.get('cache-control'), 'no-cache', path)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/, path)
  }
  const html = await (await fetch(`${base}/`)).text()
  // One script (the app with Chart.js) and one stylesheet, each named after a hash of its content.
  const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]!)
  const stylesheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((match) => match[1]!)
  assert.equal(scripts.length, 1, html)
  assert.match(scripts[0]!, /^assets\/app-[A-Z0-9]{8}\.js$/)
  assert.match(html, /<script defer src="assets\/app-/)
  assert.equal(stylesheets.length, 1, html)
  assert.match(stylesheets[0]!, /^assets\/styles-[A-Z0-9]{8}\.css$/)
  assert.doesNotMatch(html, /modulepreload/)

  const script = await fetch(`${base}/${scripts[0]}`)
  assert.equal(script.status, 200)
  assert.match(script.headers.get('content-type') ?? '', /javascript/)
  assert.equal(script.headers.get('cache-control'), IMMUTABLE)
  const code = await script.text()
  assert.ok(code.length > 100_000, `the app and Chart.js: ${code.length} bytes`)
  assert.doesNotMatch(code, /\bimport\s*[{*"'(]|\bimport\s+\w+\s+from\b/, 'one file: the bundle imports nothing')

  const css = await fetch(`${base}/${stylesheets[0]}`)
  assert.equal(css.status, 200)
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
  assert.equal(css.headers.get('cache-control'), IMMUTABLE)
  const styles = await css.text()
  assert.doesNotMatch(styles, /@import/)
  // The theme first: the others use its custom properties.
  assert.ok(styles.indexOf('--bg:') >= 0 && styles.indexOf('--bg:') < styles.indexOf('.skip-link'), 'theme.css before page.css')
  assert.match(styles, /prefers-color-scheme: ?dark/)

  // Anything else goes on to the service's own routes: no module, vendor file, source stylesheet or listing.
  for (const path of [
    '/app/main.js',
    '/app/views/device-view.js',
    '/vendor/chart.umd.min.js',
    '/styles/theme.css',
    '/styles/',
    '/assets/',
    '/assets/nothing.js',
    '/assets/..%2Findex.html',
    '/bundle/index.html',
    '/dashboard-router.js',
    '/api/devices'
  ]) {
    const response = await fetch(`${base}${path}`)
    assert.equal(response.status, 404, path)
    assert.equal(await response.text(), 'next', path)
  }
})
