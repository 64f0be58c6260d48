import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { test } from 'node:test'
import type { Page } from 'playwright-core'
import { ADMIN_TOKEN } from '../helpers/admin-broker.js'
import { openBrowser } from '../helpers/browser.js'
import { mqttClient } from '../helpers/session-clients.js'
import { startDashboardStack } from './dashboard-stack.js'

const ARTIFACTS = 'test-artifacts/dashboard'
const WAIT_MS = 15_000

function rowIds(page: Page, table: string): Promise<string[]> {
  return page
    .locator(`table[data-table="${table}"] tbody tr[data-id]`)
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')!))
}

test('the Broker page in Chromium: clients searched and disconnected, sessions deleted, retained messages viewed and deleted', async (t) => {
  await mkdir(ARTIFACTS, { recursive: true })
  const stack = await startDashboardStack(t, { devices: 1, timeScale: 1, brokerAdmin: true })
  const brokerUrl = stack.broker.url
  const kitchen = await mqttClient(t, brokerUrl, { clientId: 'kitchen-panel', username: 'kitchen' })
  await kitchen.subscribeAsync('home/kitchen/#', { qos: 1 })
  const away = await mqttClient(t, brokerUrl, { clientId: 'away-panel', clean: false, properties: { sessionExpiryInterval: 3600 } })
  await away.subscribeAsync('home/#', { qos: 1 })
  await away.endAsync()
  await kitchen.publishAsync('home/kitchen/note', 'hello, retained', { qos: 1, retain: true })
  await kitchen.publishAsync('lab/other', 'not under home/', { qos: 0, retain: true })

  const { page, errors } = await openBrowser(t)
  page.setDefaultTimeout(WAIT_MS)
  const questions: string[] = []
  page.on('dialog', (dialog) => {
    questions.push(dialog.message())
    void dialog.accept()
  })
  const adminTokenSent: string[] = []
  page.on('request', (request) => {
    if (JSON.stringify(request.headers()).includes(ADMIN_TOKEN) || request.url().includes(ADMIN_TOKEN)) adminTokenSent.push(request.url())
  })
  await page.goto(`${stack.url}#/broker`)

  await t.test('the live rates from $SYS show above the lists', async () => {
    await page.getByText(/^Updated /).waitFor()
    assert.equal(await page.locator('dl.facts dt', { hasText: 'Messages in' }).count(), 1)
  })

  await t.test('lists the connected mqtt.js client; the search box filters the list', async () => {
    await page.locator('table[data-table="clients"] tr[data-id="kitchen-panel"]').waitFor()
    const row = page.locator('table[data-table="clients"] tr[data-id="kitchen-panel"]')
    assert.equal(await row.locator('td[data-label="User"]').innerText(), 'kitchen')
    assert.equal(await row.locator('td[data-label="MQTT"]').innerText(), '5.0')
    assert.equal(await row.locator('td[data-label="Subscriptions"]').innerText(), '1')
    assert.ok((await rowIds(page, 'clients')).length > 1, 'the service and the simulator are listed too')
    await page.getByRole('searchbox', { name: 'Search clients', exact: true }).fill('KITCHEN')
    await page.waitForFunction(() => document.querySelectorAll('table[data-table="clients"] tbody tr[data-id]').length === 1)
    assert.deepEqual(await rowIds(page, 'clients'), ['kitchen-panel'])
    assert.equal(await page.getByRole('button', { name: 'More' }).first().isVisible(), false, 'no More button on the last page')
    await page.screenshot({ path: `${ARTIFACTS}/broker.png`, fullPage: true })
  })

  await t.test('Disconnect asks first, then the client is disconnected and leaves the list', async () => {
    const closed = new Promise<void>((resolve) => kitchen.once('close', () => resolve()))
    await page.getByRole('button', { name: 'Disconnect kitchen-panel' }).click()
    await closed
    await page.getByText('Disconnected kitchen-panel.').waitFor()
    assert.deepEqual(await rowIds(page, 'clients'), [])
    assert.match(questions.at(-1) ?? '', /^Disconnect kitchen-panel\?/)
  })

  await t.test('sessions show connected and offline ones with their queues; an offline one is deleted', async () => {
    const awayRow = page.locator('table[data-table="sessions"] tr[data-id="away-panel"]')
    await awayRow.waitFor()
    assert.equal(await awayRow.locator('td[data-label="State"]').innerText(), 'offline')
    assert.equal(await awayRow.locator('td[data-label="Subscriptions"]').innerText(), '1')
    // The retained publish of home/kitchen/note waits in the offline session.
    assert.equal(await awayRow.locator('td[data-label="Queued"]').innerText(), '1')
    assert.match(await awayRow.locator('td[data-label="Ends"]').innerText(), /^in (59 min|1 h)/)
    assert.ok(await page.locator('table[data-table="sessions"] .state-online').count(), 'connected sessions show as connected')
    await page.getByRole('button', { name: 'Delete the session of away-panel' }).click()
    await page.getByText('Deleted the session of away-panel.').waitFor()
    assert.equal(await awayRow.count(), 0)
    assert.equal(
      [...stack.broker.broker.sessionDirectory!.list()].some((session) => session.clientId === 'away-panel'),
      false
    )
  })

  await t.test('retained messages under a topic filter: listed, viewed whole, deleted', async () => {
    await page.getByLabel('Topic filter', { exact: true }).fill('home/#')
    await page.getByRole('button', { name: 'Show' }).click()
    await page.waitForFunction(
      () =>
        document.querySelector('table[data-table="retained messages"] tbody tr[data-id]')?.getAttribute('data-id') === 'home/kitchen/note'
    )
    assert.deepEqual(await rowIds(page, 'retained messages'), ['home/kitchen/note'])
    await page.getByRole('button', { name: 'View home/kitchen/note' }).click()
    assert.equal(await page.locator('.payload-text').innerText(), 'hello, retained')
    await page.getByRole('button', { name: 'Delete home/kitchen/note' }).click()
    await page.getByText('Deleted the retained message on home/kitchen/note.').waitFor()
    assert.deepEqual(await rowIds(page, 'retained messages'), [])
    assert.equal(stack.broker.broker.retained.get('home/kitchen/note', Date.now()), undefined)
    assert.notEqual(stack.broker.broker.retained.get('lab/other', Date.now()), undefined)
  })

  assert.deepEqual(adminTokenSent, [], 'the browser never holds the broker admin token')
  assert.deepEqual(errors, [])
})
