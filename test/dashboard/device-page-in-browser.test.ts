import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { test } from 'node:test'
import type { Page } from 'playwright-core'
import type { Reading } from '../../service/reading.js'
import { openBrowser } from '../helpers/browser.js'
import { startDashboardStack } from './dashboard-stack.js'

const ARTIFACTS = 'test-artifacts/dashboard'
const MINUTE = 60_000

/** Readings every half second (the simulator's interval) from `from` to `to`, at a steady 19 °C. */
function readings(deviceId: string, from: number, to: number): Reading[] {
  const [site, device] = deviceId.split('/')
  const list: Reading[] = []
  for (let time = from; time < to; time += 500)
    list.push({ deviceId, site, device, source: 'thermopost', time, temperature: 19, setpoint: 20 })
  return list
}

/** The chart on `canvas` (a selector), as Chart.js holds it: its datasets' points and its x axis. */
function chartOf(page: Page, canvas: string) {
  return page.evaluate((selector) => {
    const chart = Chart.getChart(document.querySelector<HTMLCanvasElement>(selector)!)!
    return {
      datasets: chart.data.datasets.map((dataset) => ({
        label: dataset.label,
        data: dataset.data as Array<{ x: number; y: number | null }>
      })),
      min: chart.scales.x.min,
      ticks: chart.scales.x.ticks.map((tick) => ({ value: tick.value, label: String(tick.label) }))
    }
  }, canvas)
}

const LIVE = 'canvas[data-points]'
const HISTORY = '.panel:has(#history-title) canvas'

test('the device page in Chromium: ranges, gaps, time labels, setpoints, unknown devices and phone width', async (t) => {
  await mkdir(ARTIFACTS, { recursive: true })
  const stack = await startDashboardStack(t, { devices: 2, timeScale: 600 })
  const [outaged, fresh] = stack.deviceIds
  const now = Date.now()
  // Four minutes of readings that stop six minutes ago: an outage until the simulated device started.
  await stack.service.history.write(readings(outaged, now - 10 * MINUTE, now - 6 * MINUTE))
  const { page, errors } = await openBrowser(t)
  page.setDefaultTimeout(15_000)
  const open = async (id: string): Promise<void> => {
    await page.goto(`${stack.url}#/device/${encodeURIComponent(id)}`)
    await page.locator('[data-resolution]').waitFor()
    await page.waitForFunction((selector) => Number(document.querySelector(selector)?.getAttribute('data-points')) > 2, LIVE)
  }

  await t.test("a new device's history opens on the range its readings cover, and the user can pick another", async () => {
    await open(fresh)
    const history = await chartOf(page, HISTORY)
    const first = Math.min(...history.datasets[2].data.map((point) => point.x))
    assert.equal(history.min, first, 'the axis starts at the first reading, not 24 h ago')
    assert.ok(Date.now() - history.min < 5 * MINUTE)
    assert.equal(await page.locator('.range-picker input[value="fit"]').isChecked(), true)
    await page.locator('.range-picker label', { hasText: /^24 h$/ }).click()
    await page.waitForFunction(
      (selector) => Chart.getChart(document.querySelector<HTMLCanvasElement>(selector)!)!.scales.x.min < Date.now() - 23 * 3_600_000,
      HISTORY
    )
  })

  await t.test('an outage breaks the live and the history lines instead of drawing a straight line across it', async () => {
    await open(outaged)
    for (const canvas of [LIVE, HISTORY]) {
      const { datasets } = await chartOf(page, canvas)
      const temperature = datasets.find((dataset) => dataset.label === 'Temperature' || dataset.label === 'Mean')!
      const breaks = temperature.data.filter((point) => point.y === null)
      assert.equal(breaks.length, 1, `${canvas}: one break`)
      assert.ok(
        breaks[0].x > now - 6 * MINUTE - MINUTE && breaks[0].x < now - 5 * MINUTE,
        `${canvas}: the break is where the outage starts`
      )
    }
  })

  await t.test('every time axis labels its ticks in one locale-aware format', async () => {
    const candidates: Intl.DateTimeFormatOptions[] = [
      { hour: 'numeric', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 1 },
      { hour: 'numeric', minute: '2-digit', second: '2-digit' },
      { hour: 'numeric', minute: '2-digit' },
      { month: 'short', day: 'numeric' },
      { month: 'short', year: 'numeric' }
    ]
    for (const label of ['Fit', '1 h', '24 h', '7 d']) {
      await page.locator('.range-picker label', { hasText: new RegExp(`^${label}$`) }).click()
      await page.waitForTimeout(300)
      for (const canvas of [LIVE, HISTORY]) {
        const { ticks } = await chartOf(page, canvas)
        assert.ok(ticks.length >= 2, `${label} ${canvas}: ${ticks.length} ticks`)
        const matching = await page.evaluate(
          ({ ticks, candidates }) =>
            candidates.filter((options) =>
              ticks.every((tick) => new Intl.DateTimeFormat(undefined, options).format(tick.value) === tick.label)
            ),
          { ticks, candidates }
        )
        assert.equal(matching.length, 1, `${label} ${canvas}: ${ticks.map((tick) => tick.label).join(' | ')}`)
      }
    }
  })

  await t.test("an acknowledged setpoint moves the live chart's setpoint line at once, before the next reading", async () => {
    await page.locator('#setpoint-input:enabled').waitFor()
    // Read the chart the moment the status line turns to acked: the same task that handled the ack.
    const atAck = page.evaluate(
      (selector) =>
        new Promise<number | null>((resolve) => {
          const status = document.querySelector('#command-status')!
          new MutationObserver(() => {
            if (status.getAttribute('data-state') !== 'acked') return
            const chart = Chart.getChart(document.querySelector<HTMLCanvasElement>(selector)!)!
            resolve((chart.data.datasets[1].data.at(-1) as { y: number | null }).y)
          }).observe(status, { attributes: true })
        }),
      LIVE
    )
    await page.getByLabel('Setpoint (°C)').fill('27.5')
    await page.getByRole('button', { name: 'Set' }).click()
    assert.equal(await atAck, 27.5)
  })

  await t.test('at phone width the command table fits the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await open(outaged)
    await page.locator('table.commands tbody tr[data-id]').first().waitFor()
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll('table.commands tbody td')]
        .filter((cell) => cell.getBoundingClientRect().right > cell.closest('.table-scroll')!.getBoundingClientRect().right + 0.5)
        .map((cell) => cell.getAttribute('data-label'))
    )
    assert.deepEqual(overflowing, [])
    assert.match(await page.locator('table.commands td[data-label="State"]').first().innerText(), /acked|sent/)
    await page.screenshot({ path: `${ARTIFACTS}/device-commands-phone.png`, fullPage: true })
  })

  await t.test('an unknown device shows one not-found state: no charts, no setpoint form, one request', async () => {
    const requests: string[] = []
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/devices/')) requests.push(new URL(request.url()).pathname)
    })
    await page.goto(`${stack.url}#/device/nowhere%2Fnothing`)
    await page.getByRole('heading', { name: 'Device not found' }).waitFor()
    await page.waitForTimeout(500)
    assert.equal(await page.getByText(/No device is called nowhere\/nothing/).count(), 1)
    assert.equal(await page.locator('main canvas').count(), 0)
    assert.equal(await page.locator('#setpoint-input').count(), 0)
    assert.deepEqual(requests, ['/api/devices/nowhere%2Fnothing'])
    await page.screenshot({ path: `${ARTIFACTS}/device-not-found-phone.png`, fullPage: true })
  })

  // The unknown device's 404 is the only error the page may log.
  assert.deepEqual(
    errors.filter((error) => !/status of 404 \(Not Found\).*\/api\/devices\/nowhere%2Fnothing/.test(error)),
    []
  )
})
