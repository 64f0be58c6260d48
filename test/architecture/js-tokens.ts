/** A token of TypeScript source, as much as finding its imports needs: words, string literals and single punctuation characters. */
export interface Token {
  kind: 'word' | 'string' | 'regex' | 'punct'
  /** The word, the string's value (quotes removed, escapes left as written; empty for a template), the punctuation character. */
  text: string
  /** 1-based line the token starts on. */
  line: number
}

/** Keywords after which a `/` starts a regular expression rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'instanceof',
  'yield',
  'await'
])

/** Punctuation after which a `/` ends a value (a division); after any other punctuation it opens a regular expression. */
const PUNCT_AFTER_VALUE = new Set([')', ']'])

const isWordChar = (char: string): boolean => /[\p{L}\p{N}_$]/u.test(char)

/**
 * Splits TypeScript source into the tokens that can spell an import, skipping comments and the insides of
 * template text and regular expressions, so that an import written inside a comment or a string (a test's
 * fixture, say) is not taken for one. Code inside a template's `${...}` is scanned like any other code.
 * Whether a `/` opens a regular expression is decided by the token before it, the usual heuristic for
 * JavaScript without a full parser.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  let line = 1

  const advanceTo = (end: number): void => {
    for (let i = at; i < end; i++) if (source[i] === '\n') line++
    at = end
  }

  const regexAllowed = (): boolean => {
    const previous = tokens.at(-1)
    if (previous === undefined) return true
    if (previous.kind === 'string' || previous.kind === 'regex') return false
    if (previous.kind === 'word') return KEYWORDS_BEFORE_EXPRESSION.has(previous.text)
    return !PUNCT_AFTER_VALUE.has(previous.text)
  }

  const take = (kind: Token['kind'], end: number, text = source.slice(at, end)): void => {
    tokens.push({ kind, text, line })
    advanceTo(end)
  }

  /** Scans code until the `}` closing a template's `${`, or the end when `inTemplate` is false. */
  const scanCode = (inTemplate: boolean): void => {
    let depth = 0
    while (at < source.length) {
      const char = source[at]
      const next = source[at + 1]
      if (char === '/' && next === '/') advanceTo(lineEnd(source, at))
      else if (char === '/' && next === '*') advanceTo(commentEnd(source, at))
      else if (char === "'" || char === '"') {
        const end = stringEnd(source, at)
        take('string', end, source.slice(at + 1, end - 1))
      } else if (char === '`') scanTemplate()
      else if (char === '/' && regexAllowed()) take('regex', regexEnd(source, at), '')
      else if (isWordChar(char)) take('word', wordEnd(source, at))
      else if (/\s/.test(char)) advanceTo(at + 1)
      else if (char === '}' && inTemplate && depth === 0) return
      else {
        depth += char === '{' ? 1 : char === '}' ? -1 : 0
        take('punct', at + 1)
      }
    }
  }

  /** Skips a template literal from its opening backtick, scanning the code of each `${...}`. */
  const scanTemplate = (): void => {
    advanceTo(at + 1)
    while (at < source.length && source[at] !== '`') {
      if (source[at] === '\\') advanceTo(at + 2)
      else if (source[at] === '$' && source[at + 1] === '{') {
        advanceTo(at + 2)
        scanCode(true)
        advanceTo(at + 1)
      } else advanceTo(at + 1)
    }
    advanceTo(at + 1)
    tokens.push({ kind: 'string', text: '', line })
  }

  if (source.startsWith('#!')) advanceTo(lineEnd(source, 0))
  scanCode(false)
  return tokens
}

function wordEnd(source: string, from: number): number {
  let end = from + 1
  while (end < source.length && isWordChar(source[end])) end++
  return end
}

function lineEnd(source: string, from: number): number {
  const end = source.indexOf('\n', from)
  return end === -1 ? source.length : end
}

function commentEnd(source: string, from: number): number {
  const end = source.indexOf('*/', from + 2)
  return end === -1 ? source.length : end + 2
}

/** The index just past the closing quote of the string literal opening at `from`. */
function stringEnd(source: string, from: number): number {
  const quote = source[from]
  let at = from + 1
  while (at < source.length && source[at] !== quote && source[at] !== '\n') at += source[at] === '\\' ? 2 : 1
  return at + 1
}

/**
 * The index just past the flags of the regular expression opening at `from`; a `/` inside `[...]` does not close
 * it. One that does not close on its line was a division taken for a regular expression: it ends at the line's end.
 */
function regexEnd(source: string, from: number): number {
  let at = from + 1
  let inClass = false
  while (at < source.length && source[at] !== '\n') {
    const char = source[at]
    if (char === '\\') at++
    else if (char === '[') inClass = true
    else if (char === ']') inClass = false
    else if (char === '/' && !inClass) break
    at++
  }
  if (source[at] !== '/') return at
  at++
  while (at < source.length && isWordChar(source[at])) at++
  return at
}
