import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { build } from 'esbuild'

/** The built dashboard: the page and the two files it loads, as paths from the bundle's folder. */
export interface DashboardBundle {
  /** Always `index.html`: it names the others, so browsers revalidate it on every load. */
  page: string
  /** `assets/app-<hash>.js`: the app with Chart.js, one classic script that the page loads with `defer`. */
  script: string
  /** `assets/styles-<hash>.css`: every stylesheet, in the order dashboard.css imports them. */
  stylesheet: string
}

export interface BundleOptions {
  /** The dashboard's source folder (holding `app/` and `public/`). */
  sourceDir: string
  /** Emptied, then filled with `index.html` and `assets/`. */
  outDir: string
}

/** Must be the file's first line: https://v8.dev/blog/explicit-compile-hints */
const COMPILE_ALL_FUNCTIONS = '//# allFunctionsCalledOnLoad'

/** What the source page names, replaced by the built files' names (a hash of their content in each). */
const SOURCE_SCRIPT = 'src="app/main.ts"'
const SOURCE_STYLESHEET = 'href="styles/dashboard.css"'

/**
 * The dashboard as the browser loads it: the app's modules and Chart.js in one minified file, the stylesheets
 * in another, each named after a hash of its content so that it can be cached for good, and the page naming
 * them. One file instead of about thirty modules and two scripts found import by import: that chain of
 * requests, not the code, was most of the time to the first chart.
 */
export async function buildDashboardBundle({ sourceDir, outDir }: BundleOptions): Promise<DashboardBundle> {
  const assets = join(outDir, 'assets')
  await rm(outDir, { recursive: true, force: true })
  await mkdir(assets, { recursive: true })
  const app = join(sourceDir, 'app', 'main.ts')
  const styles = join(sourceDir, 'public', 'styles', 'dashboard.css')
  const { metafile } = await build({
    entryPoints: { app, styles },
    entryNames: '[name]-[hash]',
    outdir: assets,
    absWorkingDir: resolve(sourceDir),
    bundle: true,
    // A classic script, not a module: Chromium reads a classic script's V8 code cache on later visits instead of
    // compiling it again, and a module's not (measured: the app started about 50 ms sooner on a returning visit).
    format: 'iife',
    target: 'es2022',
    minify: true,
    // V8's explicit compile hint: compile every function while the file streams in, on a background thread,
    // rather than each one on the main thread the first time it runs. Nearly all of the bundle runs for the first
    // chart (Chart.js's layout and drawing), so lazy compiling only moved that work onto the critical path.
    banner: { js: COMPILE_ALL_FUNCTIONS },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning'
  })
  const outputOf = (entry: string): string => {
    const output = Object.entries(metafile.outputs).find(
      ([, meta]) => meta.entryPoint !== undefined && resolve(sourceDir, meta.entryPoint) === entry
    )
    if (output === undefined) throw new Error(`esbuild wrote nothing for ${entry}`)
    return relative(outDir, resolve(sourceDir, output[0])).split('\\').join('/')
  }
  const bundle: DashboardBundle = { page: 'index.html', script: outputOf(app), stylesheet: outputOf(styles) }
  const source = await readFile(join(sourceDir, 'public', 'index.html'), 'utf8')
  await writeFile(join(outDir, bundle.page), pageNaming(source, bundle))
  return bundle
}

function pageNaming(source: string, bundle: DashboardBundle): string {
  for (const name of [SOURCE_SCRIPT, SOURCE_STYLESHEET])
    if (source.split(name).length !== 2) throw new Error(`the dashboard's index.html must name ${name} exactly once`)
  return source.replace(SOURCE_SCRIPT, `src="${bundle.script}"`).replace(SOURCE_STYLESHEET, `href="${bundle.stylesheet}"`)
}
