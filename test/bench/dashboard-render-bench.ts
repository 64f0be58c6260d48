import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../helpers/browser.js'
import { startFilledHistoryStack } from './filled-history-stack.js'
import { median } from './stats.js'

export interface DashboardRenderFigure {
  view: string
  /** What the chart said it drew for 30 days: its caption or status line. */
  drawn: string
  /** The first visit, in a browser profile that holds nothing yet: navigation start → the first chart on screen, ms. */
  firstVisitMs: number
  /** Navigation start → the first chart (the default 24 h range) on screen, ms, on a visit after the first two. */
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
/**
 * Loads before the counted ones: the first fills the HTTP cache, the second makes Chromium write V8's code cache
 * for the bundle (it does so on a script's second load), which later loads read instead of compiling. The first
 * is reported on its own, as a first visit.
 */
const WARMUP = 2
const RUNS = 5
const TIMEOUT_MS = 30_000

/**
 * The dashboard in Debian's Chromium (headless, as the browser tests run it) against a service holding 30 days
 * of history for 50 devices (one every minute, the others every 5 minutes). For the device view's history chart
 * and for the compare view with all 50 devices: from navigation to the first chart on screen (the views open on
 * 24 h), then from a click on 30 d to the 30-day chart on screen. "On screen": the first animation frame after
 * the view wrote its caption or status line, which it does right after Chart.js drew (animation is off, so
 * `chart.update()` draws synchronously).
 *
 * Each view gets a browser profile of its own, new and on disk, as a person's browser is: an incognito context
 * keeps no V8 code cache, so every load there compiles the bundle again, which no returning visitor's browser
 * does. The page itself notes when the chart showed (`installDrawnWatch`): Playwright's waiting functions would
 * first put their own script into the page, work on the main thread while it loads.
 */
export async function runDashboardRenderBench(): Promise<DashboardRenderFigures> {
  const stack = await startFilledHistoryStack({ devices: DEVICES, days: 30, detailInterval: 60, interval: 300 })
  const problems: string[] = []
  try {
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
    for (const view of views) figures.push(await measureView(stack.url, view, problems))
    return { figures, problems }
  } finally {
    await stack.close()
  }
}

async function measureView(url: string, view: ViewUnderTest, problems: string[]): Promise<DashboardRenderFigure> {
  const profile = mkdtempSync(join(tmpdir(), 'thermopost-bench-chromium-'))
  let context: BrowserContext | undefined
  try {
    context = await launchChromium(profile, problems)
    const opens: number[] = []
    const switches: number[] = []
    let drawn = ''
    for (let run = 0; run < WARMUP + RUNS; run++) {
      const page = await context.newPage()
      await page.addInitScript(installDrawnWatch, view.sign)
      await page.goto(`${url}${view.hash}`, { waitUntil: 'commit' })
      // performance.now() counts from the navigation's start.
      opens.push(await drawnAt(page))
      const switchSign = view.view.startsWith('device') ? { ...view.sign, resolution: '1h' } : view.sign
      const clicked = await page.evaluate(
        ({ section, sign }) => {
          const button = document.querySelector<HTMLInputElement>(`${section} input[value="30d"]`)
          if (button === null) throw new Error(`no 30 d button in ${section}`)
          window.thermopostWatch!(sign)
          const at = performance.now()
          button.click()
          return at
        },
        { section: view.section, sign: switchSign }
      )
      switches.push((await drawnAt(page)) - clicked)
      drawn = await page.locator(view.sign.selector).innerText()
      await page.close()
    }
    const counted = (figures: number[]): number[] => figures.slice(WARMUP)
    return {
      view: view.view,
      drawn,
      firstVisitMs: opens[0]!,
      openMedianMs: median(counted(opens))!,
      thirtyDaysMedianMs: median(counted(switches))!,
      thirtyDaysMaxMs: Math.max(...counted(switches)),
      runs: RUNS
    }
  } finally {
    await context?.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

declare global {
  interface Window {
    /** Set by `installDrawnWatch`: watches for `sign` from now on, into `thermopostDrawn`. */
    thermopostWatch?: (sign: DrawnSign) => void
    /** The performance.now() of the first animation frame in which the sign watched for showed. */
    thermopostDrawn?: Promise<number>
  }
}

/**
 * The page's init script (it runs before the app): `window.thermopostWatch`, and a watch for the first chart.
 * Self-contained, as Playwright sends its source text.
 */
function installDrawnWatch(firstSign: DrawnSign): void {
  window.thermopostWatch = (sign) => {
    window.thermopostDrawn = new Promise((resolve) => {
      const shows = (): boolean => {
        const element = document.querySelector<HTMLElement>(sign.selector)
        if (element === null) return false
        if (sign.resolution !== undefined && element.dataset.resolution !== sign.resolution) return false
        return sign.text === undefined || new RegExp(sign.text).test(element.textContent ?? '')
      }
      const observer = new MutationObserver(() => {
        if (!shows()) return
        observer.disconnect()
        requestAnimationFrame(() => resolve(performance.now()))
      })
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true })
    })
  }
  window.thermopostWatch(firstSign)
}

/** When the sign watched for showed, in the page's performance.now(). */
async function drawnAt(page: Page): Promise<number> {
  return await page.evaluate(async (timeoutMs) => {
    const drawn = window.thermopostDrawn
    if (drawn === undefined) throw new Error('nothing is watching for the chart')
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no chart in ${timeoutMs} ms`)), timeoutMs))
    return await Promise.race([drawn, timeout])
  }, TIMEOUT_MS)
}

export function renderDashboardRenderBench({ figures }: DashboardRenderFigures): string {
  return [
    '| dashboard view (headless Chromium) | 30 days drawn as | first visit: open → 24 h chart on screen, ms | later visits: open → 24 h chart on screen, median ms | 30 d clicked → chart on screen, median / max ms | runs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.view} | ${f.drawn} | ${f.firstVisitMs.toFixed(0)} | ${f.openMedianMs.toFixed(0)} | ${f.thirtyDaysMedianMs.toFixed(0)} / ${f.thirtyDaysMaxMs.toFixed(0)} | ${f.runs} after ${WARMUP} loads |`
    )
  ].join('\n')
}
