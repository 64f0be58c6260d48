import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fixtureTree } from './fixture-tree.js'
import { API_TYPES_MODULE, boundaryViolations, PART_FOLDERS } from './import-boundaries.js'
import { sourceImports } from './source-imports.js'
import { REPOSITORY_ROOT } from './source-tree.js'

test('each part imports only what it talks to', () => {
  const violations = boundaryViolations(sourceImports(REPOSITORY_ROOT, PART_FOLDERS))
  const listed = violations.map(({ file, line, specifier, rule }) => `  ${file}:${line} imports '${specifier}': ${rule}`)
  assert.equal(violations.length, 0, `${violations.length} imports cross a part's boundary:\n${listed.join('\n')}`)
})

describe('the boundary check on a fixture tree', () => {
  const violationsIn = (root: string) =>
    boundaryViolations(sourceImports(root, PART_FOLDERS)).map(({ file, specifier }) => `${file} -> ${specifier}`)

  test('imports within a part and of common/ pass; bin/ and test/ may import anything', (t) => {
    const root = fixtureTree(t, {
      'common/log.ts': 'export const log = 1\n',
      'broker/broker.ts': "import { log } from '../common/log.js'\nimport { queue } from './session/queue.js'\n",
      'broker/session/queue.ts': "export { log as queue } from '../../common/log.js'\n",
      'service/service.ts': "import { log } from '../common/log.js'\n",
      'bin/cli.ts': "import '../broker/broker.js'\nimport '../service/service.js'\n",
      'test/broker.test.ts': "import '../service/service.js'\n"
    })
    assert.deepEqual(violationsIn(root), [])
  })

  test('an import of another part fails, naming the file, the import and the rule', (t) => {
    const root = fixtureTree(t, {
      'service/service.ts': "import { Broker } from '../broker/broker.js'\n\nexport {}\n",
      'broker/broker.ts': 'export class Broker {}\n',
      'common/log.ts': "#!/usr/bin/env node\nimport { Broker } from '../broker/broker.js'\n"
    })
    assert.deepEqual(boundaryViolations(sourceImports(root, PART_FOLDERS)), [
      { file: 'common/log.ts', line: 2, specifier: '../broker/broker.js', rule: 'common/ is the shared floor: it imports no part' },
      { file: 'service/service.ts', line: 1, specifier: '../broker/broker.js', rule: 'service/ imports only service/ and common/' }
    ])
  })

  test('type-only, re-exported and dynamic imports count', (t) => {
    const root = fixtureTree(t, {
      'broker/broker.ts': 'export type Broker = {}\n',
      'service/a.ts': "import type { Broker } from '../broker/broker.js'\n",
      'service/b.ts': "import { type Broker } from '../broker/broker.js'\n",
      'service/c.ts': "export type { Broker } from '../broker/broker.js'\n",
      'devices/d.ts': "const broker = await import('../broker/broker.js')\n",
      'devices/e.ts': "let broker: import('../broker/broker.js').Broker\n"
    })
    assert.deepEqual(violationsIn(root), [
      'devices/d.ts -> ../broker/broker.js',
      'devices/e.ts -> ../broker/broker.js',
      'service/a.ts -> ../broker/broker.js',
      'service/b.ts -> ../broker/broker.js',
      'service/c.ts -> ../broker/broker.js'
    ])
  })

  test('imports in comments and strings are not imports', (t) => {
    const root = fixtureTree(t, {
      'common/log.ts': [
        "// import { Broker } from '../broker/broker.js'",
        "/* import('../broker/broker.js') */",
        'const example = "import { Broker } from \'../broker/broker.js\'"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture's own source holds a template literal
        "const template = `import '../broker/broker.js' ${example.replace(/'/g, '\"')}`",
        ''
      ].join('\n')
    })
    assert.deepEqual(violationsIn(root), [])
  })

  test(`the dashboard imports only types, and only from common/ and ${API_TYPES_MODULE}`, (t) => {
    const root = fixtureTree(t, {
      [API_TYPES_MODULE]: 'export interface DeviceSummary {}\n',
      'service/model.ts': 'export interface DeviceSummary {}\n',
      'common/durations.ts': 'export const SECOND = 1000\n',
      'dashboard/app/ok.ts': [
        "import type { DeviceSummary } from '../../service/api/api-types.js'",
        "import type { SECOND } from '../../common/durations.js'",
        "import { h } from './dom.js'",
        ''
      ].join('\n'),
      'dashboard/app/dom.ts': 'export const h = 1\n',
      'dashboard/app/model.ts': "import type { DeviceSummary } from '../../service/model.js'\n",
      'dashboard/app/value.ts': "import { SECOND } from '../../common/durations.js'\n"
    })
    assert.deepEqual(violationsIn(root), [
      'dashboard/app/model.ts -> ../../service/model.js',
      'dashboard/app/value.ts -> ../../common/durations.js'
    ])
  })

  test('a .js specifier names the .ts source it is compiled from', (t) => {
    const root = fixtureTree(t, {
      'broker/broker.ts': "import { log } from '../common/log.js'\nimport data from './data.json'\n",
      'broker/data.json': '{}',
      'common/log.ts': 'export const log = 1\n'
    })
    assert.deepEqual(
      sourceImports(root, PART_FOLDERS).map(({ target }) => target),
      ['common/log.ts', 'broker/data.json']
    )
  })
})
