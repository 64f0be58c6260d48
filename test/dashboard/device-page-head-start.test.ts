import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Page } from 'playwright-core'
import { openBrowser } from '../helpers/browser.js'
import { startDashboardStack } from './dashboard-stack.js'

/** The API requests a page load makes, in order, with the moment each answer came among them. */
function apiTraffic(page: Page): string[] {
  const traffic: string[] = []
  page.on('request', (request) => {
    const { pathname } = new URL(request.url())
    if (pathname.startsWith('/api/') && pathname !== '/api/events') traffic.push(`ask ${pathname}`)
  })
  page.on('response', (response) => {
    const { pathname } = new URL(response.url())
    if (pathname.startsWith('/api/') && pathname !== '/api/events') traffic.push(`got ${pathname}`)
  })
  return traffic
}

test('a browser that was logged in and has seen the device asks for the device and its readings at once', async (t) => {
  const stack = await startDashboardStack(t, { devices: 1, timeScale: 1 })
  const [id] = stack.deviceIds
  const devicePath = `/api/devices/${encodeURIComponent(id)}`
  const { context, page, errors } = await openBrowser(t)
  page.setDefaultTimeout(15_000)
  const firstVisit = apiTraffic(page)
  await page.goto(`${stack.url}#/device/${encodeURIComponent(id)}`)
  await page.locator('[data-resolution]').waitFor()
  // A first visit: is this browser in, then does the device exist, and only then its readings.
  assert.deepEqual(firstVisit.slice(0, 4), ['ask /api/session', 'got /api/session', `ask ${devicePath}`, `got ${devicePath}`])

  const again = await context.newPage()
  const secondVisit = apiTraffic(again)
  await again.goto(`${stack.url}#/device/${encodeURIComponent(id)}`)
  await again.locator('[data-resolution]').waitFor()
  assert.ok(!secondVisit.includes('ask /api/session'), `no session question: ${secondVisit.join(', ')}`)
  const readingsAsked = secondVisit.indexOf(`ask ${devicePath}/readings`)
  assert.ok(readingsAsked >= 0 && readingsAsked < secondVisit.indexOf(`got ${devicePath}`), `at once: ${secondVisit.join(', ')}`)
  assert.deepEqual(errors, [])
})
