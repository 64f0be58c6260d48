import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fixtureTree } from './fixture-tree.js'
import { importCycles } from './import-cycles.js'
import { sourceImports } from './source-imports.js'
import { REPOSITORY_ROOT, SOURCE_FOLDERS } from './source-tree.js'

test('no module imports itself through others (type-only imports and tests included)', () => {
  const cycles = importCycles(sourceImports(REPOSITORY_ROOT, SOURCE_FOLDERS))
  const listed = cycles.map(
    ({ files, imports }) =>
      `  ${files.join(', ')}\n${imports.map(({ file, line, specifier }) => `    ${file}:${line} imports '${specifier}'`).join('\n')}`
  )
  assert.equal(cycles.length, 0, `${cycles.length} import cycles:\n${listed.join('\n')}`)
})

describe('the cycle check on a fixture tree', () => {
  const cyclesIn = (root: string) => importCycles(sourceImports(root, ['broker'])).map(({ files }) => files)

  test('a chain of imports without a way back passes', (t) => {
    const root = fixtureTree(t, {
      'broker/a.ts': "import { b } from './b.js'\nimport { c } from './c.js'\n",
      'broker/b.ts': "import { c } from './c.js'\nexport const b = 1\n",
      'broker/c.ts': 'export const c = 1\n'
    })
    assert.deepEqual(cyclesIn(root), [])
  })

  test('two files importing each other are a cycle, listed with the imports that make it', (t) => {
    const root = fixtureTree(t, {
      'broker/a.ts': "import { b } from './b.js'\nexport const a = 1\n",
      'broker/b.ts': "import { a } from './a.js'\nexport const b = 1\n",
      'broker/c.ts': "import { a } from './a.js'\n"
    })
    const [cycle, ...others] = importCycles(sourceImports(root, ['broker']))
    assert.deepEqual(others, [])
    assert.deepEqual(cycle.files, ['broker/a.ts', 'broker/b.ts'])
    assert.deepEqual(
      cycle.imports.map(({ file, target }) => `${file} -> ${target}`),
      ['broker/a.ts -> broker/b.ts', 'broker/b.ts -> broker/a.ts']
    )
  })

  test('a cycle through type-only imports, a longer one and a self-import are each found', (t) => {
    const root = fixtureTree(t, {
      'broker/a.ts': "import type { B } from './b.js'\nexport type A = {}\n",
      'broker/b.ts': "import type { A } from './a.js'\nexport type B = {}\n",
      'broker/x/c.ts': "import { d } from './d.js'\n",
      'broker/x/d.ts': "import { e } from '../e.js'\n",
      'broker/e.ts': "export { c } from './x/c.js'\n",
      'broker/self.ts': "import { self } from './self.js'\n"
    })
    assert.deepEqual(cyclesIn(root), [
      ['broker/a.ts', 'broker/b.ts'],
      ['broker/e.ts', 'broker/x/c.ts', 'broker/x/d.ts'],
      ['broker/self.ts']
    ])
  })
})
