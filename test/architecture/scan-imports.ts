import { type Token, tokenize } from './js-tokens.js'

/** One module a source file names in an import or re-export. */
export interface ImportStatement {
  /** The module specifier as written, e.g. `../common/log.js`. */
  specifier: string
  /** `import type`, `export type`, braces whose every name is marked `type`, or `import('...')` in a type. */
  typeOnly: boolean
  /** `import('...')`. */
  dynamic: boolean
  line: number
}

/** The members of a Promise: `import('x').then` is a value, `import('x').Name` a type. */
const PROMISE_MEMBERS = new Set(['then', 'catch', 'finally'])

/**
 * Every `import ... from`, `import '...'`, `export ... from` and `import('...')` of a TypeScript source, type-only
 * ones included: a type-only import ties two modules together for the reader as much as any other.
 */
export function scanImports(source: string): ImportStatement[] {
  const tokens = tokenize(source)
  const found: ImportStatement[] = []
  tokens.forEach((token, at) => {
    if (token.kind !== 'word' || isPunct(tokens[at - 1], '.')) return
    const statement = token.text === 'import' ? importAt(tokens, at) : token.text === 'export' ? reexportAt(tokens, at) : undefined
    if (statement !== undefined) found.push(statement)
  })
  return found
}

function importAt(tokens: Token[], at: number): ImportStatement | undefined {
  const next = tokens[at + 1]
  const line = tokens[at].line
  if (isPunct(next, '(')) return dynamicImportAt(tokens, at)
  if (next?.kind === 'string') return { specifier: next.text, typeOnly: false, dynamic: false, line }
  const from = fromClauseEnd(tokens, at + 1)
  if (from === undefined) return undefined
  const clause = tokens.slice(at + 1, from)
  const typeKeyword = isWord(clause[0], 'type') && !isWord(clause[1], 'from') && !isPunct(clause[1], ',') && clause.length > 1
  return { specifier: tokens[from + 1].text, typeOnly: typeKeyword || everyNameIsType(clause), dynamic: false, line }
}

function reexportAt(tokens: Token[], at: number): ImportStatement | undefined {
  let start = at + 1
  const typeKeyword = isWord(tokens[start], 'type')
  if (typeKeyword) start++
  if (!isPunct(tokens[start], '*') && !isPunct(tokens[start], '{')) return undefined
  const from = fromClauseEnd(tokens, start)
  if (from === undefined) return undefined
  const clause = tokens.slice(start, from)
  return { specifier: tokens[from + 1].text, typeOnly: typeKeyword || everyNameIsType(clause), dynamic: false, line: tokens[at].line }
}

function dynamicImportAt(tokens: Token[], at: number): ImportStatement | undefined {
  const specifier = tokens[at + 2]
  if (specifier?.kind !== 'string' || !(isPunct(tokens[at + 3], ')') || isPunct(tokens[at + 3], ','))) return undefined
  const close = tokens.findIndex((token, i) => i > at + 2 && isPunct(token, ')'))
  const member = isPunct(tokens[close + 1], '.') ? tokens[close + 2] : undefined
  const inType = isWord(tokens[at - 1], 'typeof') || (member?.kind === 'word' && !PROMISE_MEMBERS.has(member.text))
  return { specifier: specifier.text, typeOnly: inType, dynamic: true, line: tokens[at].line }
}

/**
 * The index of the `from` that ends an import or export clause starting at `start`, when a string follows it;
 * undefined when the tokens are not an import clause (`import x = require(...)`, say).
 */
function fromClauseEnd(tokens: Token[], start: number): number | undefined {
  for (let at = start; at < tokens.length; at++) {
    const token = tokens[at]
    if (isWord(token, 'from') && tokens[at + 1]?.kind === 'string' && at > start) return at
    // A closing brace ends the names: `from` comes next, or this is a local `export { ... }`.
    if (isPunct(tokens[at - 1], '}') && at > start) return undefined
    const partOfClause = token.kind === 'word' || ['{', '}', ',', '*'].includes(token.text)
    if (token.kind === 'string' || !partOfClause) return undefined
  }
  return undefined
}

/** True for `{ type A, type B }`: braces only, each name marked `type`. */
function everyNameIsType(clause: Token[]): boolean {
  if (!isPunct(clause[0], '{') || !isPunct(clause.at(-1), '}')) return false
  const names: Token[][] = [[]]
  for (const token of clause.slice(1, -1)) {
    if (isPunct(token, ',')) names.push([])
    else names[names.length - 1].push(token)
  }
  const written = names.filter((name) => name.length > 0)
  return written.length > 0 && written.every((name) => isWord(name[0], 'type') && name.length > 1 && !isWord(name[1], 'as'))
}

function isWord(token: Token | undefined, text: string): boolean {
  return token?.kind === 'word' && token.text === text
}

function isPunct(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text
}
