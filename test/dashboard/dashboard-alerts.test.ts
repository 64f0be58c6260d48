import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openBrowser } from '../helpers/browser.js'
import { startDashboardStack } from './dashboard-stack.js'

test('an open alert is listed on the overview and acknowledged from it; it stays listed until it clears', async (t) => {
  // Every simulated room is above 0 °C: the rule raises an alert on each device at once.
  const stack = await startDashboardStack(t, {
    devices: 1,
    timeScale: 1,
    alertRules: [{ id: 'warm', deviceId: '*', condition: { kind: 'above', threshold: 0, forMs: 0 }, severity: 'warning' }]
  })
  const [deviceId] = stack.deviceIds
  const { page, errors } = await openBrowser(t)
  page.setDefaultTimeout(15_000)
  await page.goto(stack.url)
  const button = page.getByRole('button', { name: new RegExp(`^Acknowledge the alert on ${deviceId}`) })
  await button.waitFor()
  await button.press('Enter')
  await page.locator('ul.alerts li', { hasText: 'acknowledged' }).waitFor()
  assert.equal(await page.getByRole('button', { name: /^Acknowledge/ }).count(), 0)
  assert.deepEqual(
    stack.service.alerts.list().map((alert) => [alert.deviceId, alert.state]),
    [[deviceId, 'acknowledged']]
  )
  assert.deepEqual(errors, [])
})
