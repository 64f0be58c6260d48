import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

/** Debian's Chromium (test/setup installs it): playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium'

/** Headless, without the sandbox (root here) or a GPU, and without the background traffic of a new profile. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

export interface TestBrowser {
  context: BrowserContext
  /** The context's first tab. */
  page: Page
  /** Console errors and uncaught page errors of every tab so far, as text: a test ends asserting it is empty. */
  errors: string[]
}

export interface BrowserOptions {
  viewport?: { width: number; height: number }
  colorScheme?: 'light' | 'dark'
}

/**
 * Headless Chromium with a fresh profile in a temporary folder, collecting console errors and page errors;
 * closed and its profile removed in `t.after`.
 */
export async function openBrowser(t: TestContext, options: BrowserOptions = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'thermopost-chromium-'))
  const errors: string[] = []
  let context: BrowserContext
  try {
    context = await launchChromium(profile, errors, options)
  } catch (error) {
    await rm(profile, { recursive: true, force: true })
    throw error
  }
  t.after(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? (await context.newPage())
  return { context, page, errors }
}

/**
 * Headless Chromium on the profile folder `profile`, which the caller makes and removes; the console errors and
 * uncaught page errors of every tab go into `errors`, as text.
 */
export async function launchChromium(profile: string, errors: string[], options: BrowserOptions = {}): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true
  })
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`)
    })
    page.on('pageerror', (error) => errors.push(`page error: ${error.stack ?? error.message}`))
  }
  context.pages().forEach(watch)
  context.on('page', watch)
  return context
}
