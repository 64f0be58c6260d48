import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import express from 'express'
import { dashboardRouter } from '../../dashboard/dashboard-router.js'

test('the router serves the page, the app and Chart.js with their cache headers, and nothing else', async (t) => {
  const app = express()
  app.use(dashboardRouter())
  app.use((_request, response) => {
    response.status(404).send('next')
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const page = await fetch(`${base}/`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
  assert.equal(page.headers.get('cache-control'), 'no-cache')
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  const html = await page.text()
  const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((match) => match[1])
  assert.deepEqual(scripts, ['vendor/chart.umd.min.js', 'vendor/chartjs-adapter-date-fns.bundle.min.js', 'app/main.js'])

  // Every module the app imports is announced up front, so the browser fetches them in one round.
  const preloads = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((match) => match[1])
  assert.ok(
    preloads.includes('app/main.js') && preloads.includes('app/views/overview-view.js') && preloads.includes('app/api-client.js'),
    preloads.join(' ')
  )
  assert.ok(
    preloads.every((path) => /^app\/[\w/-]+\.js$/.test(path!)),
    preloads.join(' ')
  )
  for (const path of preloads) assert.equal((await fetch(`${base}/${path}`)).status, 200, path)

  for (const path of scripts) {
    const response = await fetch(`${base}/${path}`)
    assert.equal(response.status, 200, path)
    assert.match(response.headers.get('content-type') ?? '', /javascript/, path)
    assert.equal(response.headers.get('cache-control'), path.startsWith('vendor/') ? 'public, max-age=86400' : 'no-cache', path)
    assert.ok((await response.text()).length > 100, path)
  }
  const stylesheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((match) => match[1]!)
  assert.equal(stylesheets[0], 'styles/theme.css', 'the theme first: the others use its custom properties')
  const styles: string[] = []
  for (const path of stylesheets) {
    const css = await fetch(`${base}/${path}`)
    assert.equal(css.status, 200, path)
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/, path)
    assert.equal(css.headers.get('cache-control'), 'no-cache', path)
    styles.push(await css.text())
  }
  assert.match(styles[0]!, /prefers-color-scheme: dark/)

  // Anything else goes on to the service's own routes; the server-side module is not among the files.
  for (const path of [
    '/vendor/left-pad.js',
    '/vendor/..%2Fpackage.json',
    '/app/',
    '/styles/',
    '/styles/nothing.css',
    '/dashboard-router.js',
    '/api/devices'
  ]) {
    const response = await fetch(`${base}${path}`)
    assert.equal(response.status, 404, path)
    assert.equal(await response.text(), 'next', path)
  }
})
