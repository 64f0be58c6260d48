import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM } from '../helpers/browser.js'
import { startFilledHistoryStack } from './filled-history-stack.js'
import { median } from './stats.js'

export interface DashboardRenderFigure {
  view: string
  /** What the chart said it drew for 30 days: its caption or status line. */
  drawn: string
  /** Navigation start → the first chart (the default 24 h range) on screen, ms. */
  openMedianMs: number
  /** The 30 d button clicked → the 30-day chart on screen, ms. */
  thirtyDaysMedianMs: number
  thirtyDaysMaxMs: number
  runs: number
}

export interface DashboardRenderFigures {
  figures: DashboardRenderFigure[]
  /** Console errors and page errors: a healthy run has none. */
  problems: string[]
}

/** What shows that a chart was drawn: the element the view updates right after `chart.update()`. */
interface DrawnSign {
  selector: string
  /** The caption's `data-resolution`, when it must be this one. */
  resolution?: string
  /** A regular expression the element's text must match. */
  text?: string
}

interface ViewUnderTest {
  view: string
  hash: string
  /** The range buttons' section. */
  section: string
  sign: DrawnSign
}

const DEVICES = 50
/** The first page load fills the HTTP cache and the JIT; it is not counted. */
const WARMUP = 1
const RUNS = 5
const TIMEOUT_MS = 30_000

/**
 * The dashboard in Debian's Chromium (headless, as the browser tests run it) against a service holding 30 days
 * of history for 50 devices (one every minute, the others every 5 minutes). For the device view's history chart
 * and for the compare view with all 50 devices: from navigation to the first chart on screen (the views open on
 * 24 h), then from a click on 30 d to the 30-day chart on screen. "On screen": the first animation frame after
 * the view wrote its caption or status line, which it does right after Chart.js drew (animation is off, so
 * `chart.update()` draws synchronously).
 */
export async function runDashboardRenderBench(): Promise<DashboardRenderFigures> {
  const stack = await startFilledHistoryStack({ devices: DEVICES, days: 30, detailInterval: 60, interval: 300 })
  let browser: Browser | undefined
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    context.on('page', (page) => {
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    })
    const views: ViewUnderTest[] = [
      {
        view: `device, history chart (${stack.deviceIds[0]}, one reading a minute)`,
        hash: `#/device/${encodeURIComponent(stack.deviceIds[0])}`,
        section: 'section[aria-labelledby="history-title"]',
        sign: { selector: 'section[aria-labelledby="history-title"] .chart-foot p', text: 'points?$' }
      },
      {
        view: `compare, ${DEVICES} devices`,
        hash: `#/compare?${new URLSearchParams({ ids: stack.deviceIds.join(',') })}`,
        section: 'section[aria-labelledby="compare-title"]',
        sign: { selector: 'section[aria-labelledby="compare-title"] > p', text: '^\\d+ devices, \\d+ points\\.$' }
      }
    ]
    const figures: DashboardRenderFigure[] = []
    for (const view of views) {
      const opens: number[] = []
      const switches: number[] = []
      let drawn = ''
      for (let run = 0; run < WARMUP + RUNS; run++) {
        const page = await context.newPage()
        await page.goto(`${stack.url}${view.hash}`, { waitUntil: 'commit' })
        // performance.now() counts from the navigation's start.
        const opened = await drawnAt(page, view.sign)
        const clicked = await page.evaluate((selector) => {
          const button = document.querySelector<HTMLInputElement>(`${selector} input[value="30d"]`)
          if (button === null) throw new Error(`no 30 d button in ${selector}`)
          const at = performance.now()
          button.click()
          return at
        }, view.section)
        const switched = await drawnAt(page, view.view.startsWith('device') ? { ...view.sign, resolution: '1h' } : view.sign)
        drawn = await page.locator(view.sign.selector).innerText()
        await page.close()
        if (run < WARMUP) continue
        opens.push(opened)
        switches.push(switched - clicked)
      }
      figures.push({
        view: view.view,
        drawn,
        openMedianMs: median(opens)!,
        thirtyDaysMedianMs: median(switches)!,
        thirtyDaysMaxMs: Math.max(...switches),
        runs: RUNS
      })
    }
    return { figures, problems }
  } finally {
    await browser?.close()
    await stack.close()
  }
}

/** The page's performance.now() at the first animation frame in which `sign` shows. */
async function drawnAt(page: Page, sign: DrawnSign): Promise<number> {
  const handle = await page.waitForFunction(
    ({ selector, resolution, text }) => {
      const element = document.querySelector<HTMLElement>(selector)
      if (element === null) return false
      if (resolution !== undefined && element.dataset.resolution !== resolution) return false
      if (text !== undefined && !new RegExp(text).test(element.textContent ?? '')) return false
      return performance.now()
    },
    sign,
    { polling: 'raf', timeout: TIMEOUT_MS }
  )
  return (await handle.jsonValue()) as number
}

export function renderDashboardRenderBench({ figures }: DashboardRenderFigures): string {
  return [
    '| dashboard view (headless Chromium) | 30 days drawn as | open → 24 h chart on screen, median ms | 30 d clicked → chart on screen, median / max ms | runs |',
    '| --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.view} | ${f.drawn} | ${f.openMedianMs.toFixed(0)} | ${f.thirtyDaysMedianMs.toFixed(0)} / ${f.thirtyDaysMaxMs.toFixed(0)} | ${f.runs} after ${WARMUP} warm-up |`
    )
  ].join('\n')
}
