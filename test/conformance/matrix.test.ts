import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { citedIds, coverage, loadMatrices, missingTests, README_HEADER, readmeRow, shapeProblems } from './conformance-matrix.js'

/**
 * The conformance matrices checked against the code: their shape, that every named test exists, that every
 * statement id the broker cites is listed, and that the README shows the coverage they add up to.
 * A server statement still `pending` (untested, or known to be broken) fails the run: every one has a test or a reason.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url))
const matrices = loadMatrices(root)

test('at least the MQTT 5.0 matrix is present', () => {
  assert.ok(matrices.has('5.0'), 'test/conformance/mqtt-5.0.json is missing')
})

for (const [version, matrix] of matrices) {
  test(`MQTT ${version} matrix: shape, unique ids, one of tests / reason / pending each`, () => {
    assert.equal(matrix.version, version)
    assert.ok(typeof matrix.source === 'string' && matrix.source.length > 0, 'source names the specification')
    assert.deepEqual(matrix.statements.flatMap(shapeProblems), [])
    const seen = new Set<string>()
    const repeated = matrix.statements.map((s) => s.id).filter((id) => seen.has(id) || !seen.add(id))
    assert.deepEqual(repeated, [], 'ids are unique')
  })

  test(`MQTT ${version} matrix: every named test exists in its file`, () => {
    assert.deepEqual(missingTests(root, matrix), [])
  })

  test(`MQTT ${version} matrix: no server statement is left without a test or a reason`, (t) => {
    const pending = matrix.statements.filter((s) => s.pending === true).map((s) => s.id)
    t.diagnostic(`MQTT ${version}: ${pending.length} server statement(s) pending${pending.length ? `: ${pending.join(' ')}` : ''}`)
    assert.deepEqual(pending, [], 'pending statements: write their tests (and fix what they find)')
  })
}

test('every [MQTT-x.y.z-n] id cited under broker/ is in a matrix', (t) => {
  const listed = new Set([...matrices.values()].flatMap((m) => m.statements.map((s) => s.id)))
  // The code cites ids of both versions and a comment does not say which. With one matrix missing, an id not
  // in the other may belong to the missing one, so an unlisted id fails only when both matrices are present.
  const bothPresent = matrices.size === 2
  const unlisted = [...citedIds(join(root, 'broker'))]
    .filter(([id]) => !listed.has(id))
    .map(([id, file]) => `${id} (${relative(root, file)})`)
  if (bothPresent) assert.deepEqual(unlisted, [])
  else if (unlisted.length > 0) t.diagnostic(`not in the present matrix (left to the missing one): ${unlisted.join(', ')}`)
})

test("the README's Conformance section shows the coverage the matrices add up to", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Conformance'))
  assert.ok(readme.includes('## Conformance'), 'README has a ## Conformance section')
  const expected = [...README_HEADER, ...[...matrices].map(([version, matrix]) => readmeRow(version, coverage(matrix)))]
  for (const line of expected)
    assert.ok(section.includes(line), `README table lacks the line:\n${line}\nexpected table:\n${expected.join('\n')}`)
})
