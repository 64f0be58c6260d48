import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * The README's Sparkplug B table against the tests: each listed assertion is named by a test in the file the
 * row gives, and every assertion a Sparkplug test names is listed.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url))
const TCK_ID = /tck-id-[a-z0-9]+(?:-[a-zA-Z0-9]+)*/g

function sparkplugSection(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const start = readme.indexOf('## Sparkplug B\n')
  assert.ok(start >= 0, 'README has a ## Sparkplug B section')
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

/** The table's rows: assertion id and test file. */
function tableRows(): Array<{ id: string; file: string }> {
  return [...sparkplugSection().matchAll(/^\| `(tck-id-[^`]+)` \| [^|]+ \| `([^`]+)` \|$/gm)].map(([, id, file]) => ({
    id: id!,
    file: file!
  }))
}

/** The assertion ids named in test titles (the first argument of `test(`) of one test file. */
function titledIds(file: string): Set<string> {
  const source = readFileSync(join(root, file), 'utf8')
  const titles = [...source.matchAll(/\btest\(\s*(['"`])((?:(?!\1).)*)\1/g)].map(([, , title]) => title!)
  return new Set(titles.flatMap((title) => title.match(TCK_ID) ?? []))
}

/** Every `*.test.ts` in a `sparkplug` folder under test/. */
function sparkplugTestFiles(dir = 'test'): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return sparkplugTestFiles(path)
    return path.includes('/sparkplug/') && entry.name.endsWith('.test.ts') ? [path] : []
  })
}

test('each assertion in the Sparkplug B table is named by a test in the file its row gives', () => {
  const rows = tableRows()
  assert.ok(rows.length >= 50, `the table has ${rows.length} rows`)
  const problems = rows.flatMap(({ id, file }) => {
    if (!existsSync(join(root, file))) return [`${id}: ${file} does not exist`]
    return titledIds(file).has(id) ? [] : [`${id}: no test in ${file} names it`]
  })
  assert.deepEqual(problems, [])
})

test('every assertion a Sparkplug test names is in the table, once', () => {
  const listed = tableRows().map(({ id }) => id)
  assert.deepEqual(
    listed.filter((id, index) => listed.indexOf(id) !== index),
    []
  )
  const named = new Set(sparkplugTestFiles().flatMap((file) => [...titledIds(file)]))
  assert.deepEqual([...named].filter((id) => !listed.includes(id)).sort(), [])
})
