import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildDashboardBundle } from '../../dashboard/dashboard-bundle.js'
import { fixtureTree } from '../architecture/fixture-tree.js'

const PAGE = [
  '<!doctype html>',
  '<link rel="stylesheet" href="styles/dashboard.css">',
  '<script defer src="app/main.ts"></script>',
  '<main id="main"></main>',
  ''
].join('\n')

/** A dashboard of two modules and two stylesheets, shaped as the real one is. */
const SOURCES = {
  'app/main.ts': "import { greeting } from './greeting.js'\ndocument.title = greeting('thermopost')\n",
  'app/greeting.ts': "export const greeting = (name: string): string => ['hello', name].join(' ')\n",
  'public/styles/dashboard.css': '@import "theme.css";\n@import "page.css";\n',
  'public/styles/theme.css': ':root { --bg: #fff; }\n',
  'public/styles/page.css': 'body { background: var(--bg); }\n',
  'public/index.html': PAGE
}

test('the bundle is one script and one stylesheet, named by their content, and a page that names them', async (t) => {
  const sourceDir = fixtureTree(t, SOURCES)
  const outDir = join(sourceDir, 'built')
  const bundle = await buildDashboardBundle({ sourceDir, outDir })
  assert.equal(bundle.page, 'index.html')
  assert.match(bundle.script, /^assets\/app-[A-Z0-9]{8}\.js$/)
  assert.match(bundle.stylesheet, /^assets\/styles-[A-Z0-9]{8}\.css$/)
  assert.deepEqual(
    (await readdir(join(outDir, 'assets'))).sort(),
    [bundle.script, `${bundle.script}.map`, bundle.stylesheet, `${bundle.stylesheet}.map`]
      .map((file) => file.slice('assets/'.length))
      .sort()
  )
  assert.equal(
    await readFile(join(outDir, 'index.html'), 'utf8'),
    PAGE.replace('styles/dashboard.css', bundle.stylesheet).replace('app/main.ts', bundle.script)
  )
  const script = await readFile(join(outDir, bundle.script), 'utf8')
  assert.match(script, /hello/, 'the imported module is inside')
  assert.ok(script.startsWith('//# allFunctionsCalledOnLoad\n'), 'V8 reads the compile hint only on the first line')
  assert.doesNotMatch(script, /greeting\.js|import/)
  const styles = await readFile(join(outDir, bundle.stylesheet), 'utf8')
  assert.ok(styles.indexOf('--bg') < styles.indexOf('body'), `theme first: ${styles}`)

  // The same sources give the same names; a changed module gives the script a new name, and the old one goes.
  assert.deepEqual(await buildDashboardBundle({ sourceDir, outDir }), bundle)
  await writeFile(join(sourceDir, 'app/greeting.ts'), "export const greeting = (name: string): string => ['hi', name].join(' ')\n")
  const rebuilt = await buildDashboardBundle({ sourceDir, outDir })
  assert.notEqual(rebuilt.script, bundle.script)
  assert.equal(rebuilt.stylesheet, bundle.stylesheet)
  assert.ok(!(await readdir(join(outDir, 'assets'))).includes(bundle.script.slice('assets/'.length)))
})

test('a page that does not name the app and the stylesheet exactly once stops the build', async (t) => {
  const sourceDir = fixtureTree(t, {
    ...SOURCES,
    'public/index.html': '<!doctype html>\n<script defer src="app/main.js"></script>\n'
  })
  await assert.rejects(
    buildDashboardBundle({ sourceDir, outDir: join(sourceDir, 'built') }),
    /index\.html must name src="app\/main\.ts" exactly once/
  )
})
