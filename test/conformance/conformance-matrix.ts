import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The conformance matrices: one JSON file per MQTT version listing every normative statement of its
 * specification, each with the tests that check it, or the reason no test of ours can apply, or (for a
 * server statement not yet tested) `pending`. The format is described in the README's Conformance section.
 */

export type Binds = 'server' | 'client' | 'both'

export interface TestRef {
  file: string
  name: string
}

export interface Statement {
  id: string
  binds: Binds
  requires: string
  tests?: TestRef[]
  reason?: string
  pending?: true
}

export interface Matrix {
  version: string
  source: string
  statements: Statement[]
}

/** The versions we keep a matrix for, with the file each lives in (relative to the repository root). */
export const MATRIX_FILES = {
  '5.0': 'test/conformance/mqtt-5.0.json',
  '3.1.1': 'test/conformance/mqtt-3.1.1.json'
} as const

export type Version = keyof typeof MATRIX_FILES

/** The matrices present in the tree at `root`; a version whose file is missing is left out. */
export function loadMatrices(root: string): Map<Version, Matrix> {
  const matrices = new Map<Version, Matrix>()
  for (const [version, file] of Object.entries(MATRIX_FILES) as Array<[Version, string]>) {
    const path = join(root, file)
    if (existsSync(path)) matrices.set(version, JSON.parse(readFileSync(path, 'utf8')) as Matrix)
  }
  return matrices
}

/** A statement id as the specifications print it, without brackets: MQTT-3.1.2-4, MQTT-4.2-1. */
export const STATEMENT_ID = /^MQTT-\d+(?:\.\d+)*-\d+$/

/** What is wrong with one statement's shape, or an empty list. */
export function shapeProblems(statement: Statement): string[] {
  const problems: string[] = []
  const where = statement.id ?? '(no id)'
  if (typeof statement.id !== 'string' || !STATEMENT_ID.test(statement.id)) problems.push(`${where}: id is not of the form MQTT-x.y.z-n`)
  if (!['server', 'client', 'both'].includes(statement.binds)) problems.push(`${where}: binds must be server, client or both`)
  if (typeof statement.requires !== 'string' || statement.requires.trim() === '' || statement.requires.includes('\n')) {
    problems.push(`${where}: requires must be one non-empty line`)
  }
  const kinds = [statement.tests !== undefined, statement.reason !== undefined, statement.pending !== undefined].filter(Boolean)
  if (kinds.length !== 1) problems.push(`${where}: needs exactly one of tests, reason or pending`)
  if (statement.tests !== undefined && (!Array.isArray(statement.tests) || statement.tests.length === 0)) {
    problems.push(`${where}: tests must be a non-empty list`)
  }
  if (statement.reason !== undefined && (typeof statement.reason !== 'string' || statement.reason.trim() === '')) {
    problems.push(`${where}: reason must be a non-empty string`)
  }
  if (statement.pending !== undefined && (statement.pending !== true || statement.binds === 'client')) {
    problems.push(`${where}: pending is true, and only for a server or both statement`)
  }
  return problems
}

/** Test references whose file is missing or does not contain the name verbatim. */
export function missingTests(root: string, matrix: Matrix): string[] {
  const sources = new Map<string, string | undefined>()
  const source = (file: string): string | undefined => {
    if (!sources.has(file)) {
      const path = join(root, file)
      sources.set(file, file.startsWith('test/') && file.endsWith('.test.ts') && existsSync(path) ? readFileSync(path, 'utf8') : undefined)
    }
    return sources.get(file)
  }
  const missing: string[] = []
  for (const statement of matrix.statements) {
    for (const ref of statement.tests ?? []) {
      const text = source(ref.file)
      if (text === undefined) missing.push(`${statement.id}: no test file ${ref.file}`)
      else if (typeof ref.name !== 'string' || ref.name === '' || !text.includes(ref.name)) {
        missing.push(`${statement.id}: ${ref.file} has no test named ${JSON.stringify(ref.name)}`)
      }
    }
  }
  return missing
}

/** Every statement id cited in the TypeScript sources under `dir`, with the first file citing it. */
export function citedIds(dir: string): Map<string, string> {
  const cited = new Map<string, string>()
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name))
    } else if (path.endsWith('.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/MQTT-\d+(?:\.\d+)*-\d+/g)) {
        if (!cited.has(match[0])) cited.set(match[0], path)
      }
    }
  }
  walk(dir)
  return cited
}

export interface Coverage {
  total: number
  serverOrBoth: number
  tested: number
  withReason: number
  pending: number
}

export function coverage(matrix: Matrix): Coverage {
  const server = matrix.statements.filter((s) => s.binds !== 'client')
  return {
    total: matrix.statements.length,
    serverOrBoth: server.length,
    tested: server.filter((s) => s.tests !== undefined).length,
    withReason: server.filter((s) => s.reason !== undefined).length,
    pending: server.filter((s) => s.pending === true).length
  }
}

/** The README's coverage table row for one version; the matrix test asserts the README holds it verbatim. */
export function readmeRow(version: Version, c: Coverage): string {
  return `| MQTT ${version} | ${c.tested} / ${c.serverOrBoth} | ${c.withReason} | ${c.pending} | ${c.total} (${c.total - c.serverOrBoth} client-only) |`
}

export const README_HEADER = [
  '| Version | Server statements covered by tests / server and both | With a stated reason | Pending | All statements |',
  '| --- | --- | --- | --- | --- |'
]
