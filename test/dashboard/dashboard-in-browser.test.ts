import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { test } from 'node:test'
import type { Locator, Page } from 'playwright-core'
import type { Series } from '../../service/history/history-store.js'
import type { Reading } from '../../service/reading.js'
import { openBrowser } from '../helpers/browser.js'
import { startDashboardStack } from './dashboard-stack.js'

const ARTIFACTS = 'test-artifacts/dashboard'
/** Fast enough that a room warms visibly within seconds of a new setpoint. */
const TIME_SCALE = 600
const WAIT_MS = 15_000

/** Three days of readings every 30 s, ending five minutes ago: enough that each range needs another resolution. */
function pastReadings(deviceId: string, now: number): Reading[] {
  const [site, device] = deviceId.split('/')
  const readings: Reading[] = []
  for (let time = now - 3 * 86_400_000; time < now - 300_000; time += 30_000) {
    readings.push({ deviceId, site, device, source: 'thermopost', time, temperature: 20 + Math.sin(time / 3_600_000), setpoint: 21 })
  }
  return readings
}

/**
 * Presses the mouse on `target`, waits until a reading has changed the overview's table, and releases: the browser
 * sends the click only if the element pressed is still there.
 */
async function pressAcrossRedraw(page: Page, target: Locator): Promise<void> {
  const box = (await target.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const rows = document.querySelector('tr[data-id]')!.parentElement!
        new MutationObserver((_, observer) => {
          observer.disconnect()
          resolve()
        }).observe(rows, { childList: true, subtree: true, characterData: true })
      })
  )
  await page.mouse.up()
}

async function numberIn(page: Page, selector: string): Promise<number> {
  return Number.parseFloat(await page.locator(selector).innerText())
}

test('the dashboard in Chromium, against a broker, the service and simulated thermostats', async (t) => {
  await mkdir(ARTIFACTS, { recursive: true })
  const stack = await startDashboardStack(t, { devices: 3, timeScale: TIME_SCALE, brokerAdmin: true })
  const [first] = stack.deviceIds
  await stack.service.history.write(pastReadings(first, Date.now()))
  const { page, errors } = await openBrowser(t)
  page.setDefaultTimeout(WAIT_MS)
  const posts: string[] = []
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url())
  })

  await t.test('the overview lists every simulated device with its reading, and updates live', async () => {
    await page.goto(stack.url)
    await page
      .locator('tbody tr[data-id]')
      .nth(stack.deviceIds.length - 1)
      .waitFor()
    const byName = [...stack.deviceIds].sort((a, b) => a.split('/')[1].localeCompare(b.split('/')[1]))
    assert.deepEqual(await page.locator('tbody tr[data-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id'))), byName)
    // Every device has reported, so each shows a temperature and is online.
    await page.waitForFunction(
      (count) =>
        [...document.querySelectorAll('tbody td[data-label="Temperature"]')].filter((cell) => cell.textContent?.endsWith('°C')).length ===
        count,
      stack.deviceIds.length
    )
    assert.equal(await page.locator('tbody .state-online').count(), stack.deviceIds.length)
    await page.screenshot({ path: `${ARTIFACTS}/overview.png`, fullPage: true })
    // A sort button pressed while a reading redraws the table still sorts on release.
    await pressAcrossRedraw(page, page.locator('th button', { hasText: 'Temperature' }))
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Temperature' }).waitFor()
    await page.getByLabel('Search').fill(first.split('/')[1])
    assert.deepEqual(await page.locator('tbody tr[data-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id'))), [first])
  })

  await t.test('a device pressed while the overview redraws opens on release, and its live chart gains points within seconds', async () => {
    await pressAcrossRedraw(page, page.locator(`a[data-device-id="${first}"]`))
    await page.waitForFunction(() => location.hash.startsWith('#/device/'))
    const canvas = page.locator('canvas[data-points]')
    await page.waitForFunction(() => Number(document.querySelector('canvas[data-points]')?.getAttribute('data-points')) > 0)
    const before = Number(await canvas.getAttribute('data-points'))
    await page.waitForFunction(
      (count) => Number(document.querySelector('canvas[data-points]')?.getAttribute('data-points')) >= count + 3,
      before
    )
  })

  await t.test('switching history ranges redraws from the resolution the server picked for each', async () => {
    const expected = { '1 h': 'raw', '24 h': '1m', '7 d': '1h', '30 d': '1h' }
    for (const [label, resolution] of Object.entries(expected)) {
      // 24 h is chosen already when the page opens: go through 1 h first, so each click asks again.
      const answer = page.waitForResponse((response) => response.url().includes('/readings?') && !response.url().includes('resolution=raw'))
      await page.locator('.range-picker label', { hasText: new RegExp(`^${label}$`) }).click()
      const response = await answer
      const url = new URL(response.url())
      assert.equal(url.searchParams.get('resolution'), 'auto')
      const span = Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))
      assert.equal(span, { '1 h': 3_600_000, '24 h': 86_400_000, '7 d': 7 * 86_400_000, '30 d': 30 * 86_400_000 }[label])
      const series = (await response.json()) as Series
      assert.equal(series.resolution, resolution, label)
      assert.ok(series.points.length > 0 && series.points.length <= 2000, `${label}: ${series.points.length} points`)
      await page.locator(`[data-resolution="${resolution}"]`).waitFor()
      assert.match(
        await page.locator('[data-resolution]').innerText(),
        new RegExp(`${series.points.length.toLocaleString('en-US')} points`)
      )
    }
    // A custom range: refused when it ends before it starts, else asked for as given (the last 30 hours: too many readings, few enough minutes).
    await page.locator('.range-picker label', { hasText: /^Custom$/ }).click()
    const toLocal = (time: number): string => new Date(time - new Date(time).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
    const now = Date.now()
    await page.getByLabel('From', { exact: true }).fill(toLocal(now))
    await page.getByLabel('To', { exact: true }).fill(toLocal(now - 3_600_000))
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.getByText('The range must end after it starts.').waitFor()
    const from = new Date(toLocal(now - 30 * 3_600_000)).getTime()
    await page.getByLabel('From', { exact: true }).fill(toLocal(from))
    await page.getByLabel('To', { exact: true }).fill(toLocal(now))
    const custom = page.waitForResponse((response) => response.url().includes('/readings?') && !response.url().includes('resolution=raw'))
    await page.getByRole('button', { name: 'Apply' }).click()
    assert.equal(Number(new URL((await custom).url()).searchParams.get('from')), from)
    await page.locator('[data-resolution="1m"]').waitFor()
    assert.match((await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')) ?? '', /\/readings\.csv\?from=\d+&to=\d+$/)
  })

  await t.test('a bad setpoint shows an error and sends nothing', async () => {
    for (const [value, message] of [
      ['40', /between 5 and 35/],
      ['21.3', /steps of 0\.5/],
      ['', /Enter a setpoint/]
    ] as const) {
      await page.getByLabel('Setpoint (°C)').fill(value)
      await page.getByRole('button', { name: 'Set' }).click()
      assert.match(await page.locator('#setpoint-message').innerText(), message)
      assert.equal(await page.getByLabel('Setpoint (°C)').getAttribute('aria-invalid'), 'true')
    }
    assert.deepEqual(posts, [])
  })

  await t.test('a setpoint set from the page is acked, and the room warms toward it', async () => {
    await page.getByLabel('Setpoint (°C)').fill('30')
    await page.getByRole('button', { name: 'Set' }).click()
    await page.locator('#command-status[data-state="acked"]').waitFor()
    assert.equal(await page.locator('#setpoint-message').innerText(), '')
    assert.equal(posts.length, 1)
    assert.match(await page.locator('#command-status').innerText(), /Setpoint 30\.0 °C acknowledged by the device \(now 30\.0 °C\)/)
    await page.locator('table.commands td .command-acked').first().waitFor()
    const start = await numberIn(page, '[data-fact="temperature"]')
    await page.waitForFunction(
      (from) => Number.parseFloat(document.querySelector('[data-fact="temperature"]')?.textContent ?? '') >= from + 0.3,
      start
    )
    assert.equal(await page.locator('[data-fact="heater"]').innerText(), 'on')
    assert.equal(await numberIn(page, '[data-fact="setpoint"]'), 30)
    await page.screenshot({ path: `${ARTIFACTS}/device.png`, fullPage: true })
  })

  await t.test('the compare view draws the chosen devices on one chart', async () => {
    await page.getByRole('link', { name: 'Compare' }).click()
    await page.getByText(`${stack.deviceIds.length} devices,`).waitFor()
    await page.getByLabel(stack.deviceIds[1]).uncheck()
    await page.getByText('2 devices,').waitFor()
    assert.match(page.url(), new RegExp(`#/compare\\?ids=${encodeURIComponent([first, stack.deviceIds[2]].join(','))}`))
  })

  await t.test("the broker panel shows the broker's own figures", async () => {
    await page.getByRole('link', { name: 'Broker' }).click()
    // The simulated devices and the service are connected.
    await page.waitForFunction((count) => {
      const term = [...document.querySelectorAll('dt')].find((dt) => dt.textContent === 'Connected clients')
      return Number(term?.nextElementSibling?.textContent) >= count
    }, stack.deviceIds.length + 1)
    assert.match(await page.locator('dd').nth(4).innerText(), /\d+ s|min|h/)
  })

  await t.test('at phone width nothing is wider than the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const hash of ['#/', `#/device/${encodeURIComponent(first)}`]) {
      await page.goto(`${stack.url}${hash}`)
      await page
        .locator(hash === '#/' ? 'tbody tr[data-id]' : '[data-resolution]')
        .first()
        .waitFor()
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${hash} fits 390 px`)
    }
    await page.screenshot({ path: `${ARTIFACTS}/device-phone.png`, fullPage: true })
  })

  assert.deepEqual(errors, [])
})
