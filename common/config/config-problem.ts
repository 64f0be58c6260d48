import type { z } from 'zod'

/** One thing wrong with a configuration: where (a path of keys and list indexes) and what, in words. */
export interface ConfigProblem {
  path: Array<string | number>
  message: string
}

/** `listeners[0].port` */
export function pathText(path: ReadonlyArray<string | number>): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('')
}

/**
 * The schema's complaints in the words of someone editing the file: the key, what it must be, and the value
 * it has; an unknown key also names the known key it is most likely a typo of.
 */
export function problemsOf(error: z.ZodError, input: unknown, schema: z.ZodType): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol')
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, path)
      return issue.keys.map((key) => {
        const guess = closest(key, known)
        return { path: [...path, key], message: `unknown key${guess === undefined ? '' : ` (did you mean '${guess}'?)`}` }
      })
    }
    return [{ path, message: describe(issue, valueAt(input, path)) }]
  })
}

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  const got = value === undefined ? '' : `, not ${shown(value)}`
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required'
      return `must be ${expectedWords[issue.expected] ?? issue.expected}${got}`
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} entries`
      if (issue.origin === 'string') return 'must not be empty'
      return `must be at least ${String(issue.minimum)}${got}`
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}${got}`
    case 'invalid_union': {
      // What each alternative wanted, when each is a plain kind or a list of values: "must be one of 5, 3.1.1".
      const wanted = issue.errors.flatMap((alternative) =>
        alternative.length !== 1 || alternative[0]!.path.length > 0
          ? [undefined]
          : alternative[0]!.code === 'invalid_value'
            ? alternative[0]!.values.map(String)
            : alternative[0]!.code === 'invalid_type'
              ? [expectedWords[alternative[0]!.expected] ?? alternative[0]!.expected]
              : [undefined]
      )
      if (wanted.includes(undefined)) return `${issue.message}${got}`
      const distinct = [...new Set(wanted)]
      return `must be ${distinct.length > 2 ? 'one of ' : ''}${distinct.join(distinct.length > 2 ? ', ' : ' or ')}${got}`
    }
    case 'invalid_format':
      return issue.format === 'starts_with'
        ? `must start with '${String((issue as { prefix?: string }).prefix)}'${got}`
        : `${issue.message}${got}`
    default:
      return `${issue.message}${got}`
  }
}

const expectedWords: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  string: 'text',
  array: 'a list',
  object: 'a mapping of keys'
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value))
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function valueAt(input: unknown, path: ReadonlyArray<string | number>): unknown {
  let value = input
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string | number, unknown>)[part]
  }
  return value
}

/** The keys an object schema at `path` knows (through lists and optionals), for a typo's suggestion. */
function keysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  let def = unwrap(schema)
  for (const part of path) {
    if (def.type === 'array') def = unwrap((def as unknown as { element: z.ZodType }).element)
    else if (def.type === 'object' && typeof part === 'string')
      def = unwrap((def as unknown as { shape: Record<string, z.ZodType> }).shape[part]!)
    else return []
  }
  return def.type === 'object' ? Object.keys((def as unknown as { shape: Record<string, z.ZodType> }).shape) : []
}

/** The definition under any `.optional()` wrappers: what kind of value the schema takes. */
export function unwrap(schema: z.ZodType): z.core.$ZodTypeDef {
  let def = schema._zod.def
  while (def.type === 'optional') def = (def as unknown as { innerType: z.ZodType }).innerType._zod.def
  return def
}

/** The known key fewest edits away from `key` (Levenshtein), if it is close enough to be a typo of it. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(key.replace(/-/g, '_'), candidate)
    if (distance <= Math.max(2, Math.floor(key.length / 3)) && (best === undefined || distance < best.distance))
      best = { key: candidate, distance }
  }
  return best?.key
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
