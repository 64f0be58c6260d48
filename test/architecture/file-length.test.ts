import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { REPOSITORY_ROOT, SOURCE_FOLDERS } from './source-tree.js'

/** A file longer than this usually holds more than one job. */
const MAX_LINES = 400
const CHECKED = /\.(ts|mjs|css|c)$/

test(`no source file is longer than ${MAX_LINES} lines`, () => {
  // Tracked files and new ones not yet added, without what .gitignore leaves out (builds, node_modules).
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...SOURCE_FOLDERS], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8'
  })
    .split('\n')
    .filter((file) => CHECKED.test(file))
  assert.ok(files.length > 100, `found only ${files.length} source files under ${REPOSITORY_ROOT}`)
  const tooLong = files
    .map((file) => ({ file, lines: lineCount(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')) }))
    .filter(({ lines }) => lines > MAX_LINES)
  const listed = tooLong.map(({ file, lines }) => `  ${file}: ${lines} lines`)
  assert.equal(tooLong.length, 0, `${tooLong.length} files are over ${MAX_LINES} lines:\n${listed.join('\n')}`)
})

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}
