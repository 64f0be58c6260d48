import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openBrowser } from '../helpers/browser.js'
import { startDashboardStack } from './dashboard-stack.js'

const TOKEN = 'dashboard-test-token-0123456789'

test('when the API wants a token, the dashboard asks for it once, by keyboard alone, and the login survives a reload', async (t) => {
  const stack = await startDashboardStack(t, { devices: 1, timeScale: 1, token: TOKEN })
  const { page, errors } = await openBrowser(t)
  page.setDefaultTimeout(15_000)

  await page.goto(stack.url)
  await page.getByRole('heading', { name: 'Log in' }).waitFor()
  // The token field has the focus: type and press Enter.
  await page.keyboard.type('not-the-token')
  await page.keyboard.press('Enter')
  await page.getByText('the token is not the API token').waitFor()
  await page.getByLabel('API token').fill(TOKEN)
  await page.keyboard.press('Enter')
  await page.locator(`tbody tr[data-id="${stack.deviceIds[0]}"]`).waitFor()
  await page.locator('#connection[data-connected="true"]').waitFor()

  await page.reload()
  await page.locator(`tbody tr[data-id="${stack.deviceIds[0]}"]`).waitFor()
  assert.equal(await page.getByRole('heading', { name: 'Log in' }).count(), 0)

  // The page asks /api/session whether it is in, which answers 200 either way; Chromium logs the one 401
  // left, the wrong token's, as a failed resource load. Nothing else may appear.
  assert.equal(errors.length, 1, `only the wrong token was refused: ${errors.join('; ')}`)
  assert.match(errors[0], /status of 401 \(Unauthorized\).*\/api\/login\)$/)
})
