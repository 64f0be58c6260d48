import { readFile } from 'node:fs/promises'
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import type { z } from 'zod'
import { type ConfigProblem, pathText, problemsOf } from './config-problem.js'

/**
 * A configuration file that cannot be used: unreadable, not YAML, or not what the schema allows. The
 * message has one line per problem, each `FILE:LINE: key: what is wrong`, so start-up can stop with it.
 */
export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: Array<{ line: number | undefined; text: string }>
  ) {
    // In the order of the file, as an editor shows it; problems without a line (the file as a whole) last.
    const inFileOrder = [...problems].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER))
    super(inFileOrder.map(({ line, text }) => `${file}${line === undefined ? '' : `:${line}`}: ${text}`).join('\n'))
    this.name = 'ConfigFileError'
  }
}

export interface ConfigFile<T> {
  file: string
  value: T
  /** The line (1-based) of the key or list entry at `path` (within the section), or of the nearest enclosing one the file has. */
  lineOf(path: ReadonlyArray<string | number>): number | undefined
  /** Problems found later, across keys (paths within the section), as the error that stops start-up. */
  problemsError(problems: ConfigProblem[]): ConfigFileError
}

/**
 * Reads a YAML file and checks it against `schema`; an empty file is an empty mapping. Every problem
 * found is reported at once, with its line. With `section`, only that top-level key is this part's
 * (the all-in-one `thermopost.yaml` has one per part); a missing section is an empty mapping, and
 * problems are reported with the section in their key path.
 */
export async function readConfigFile<S extends z.ZodType>(file: string, schema: S, section?: string): Promise<ConfigFile<z.infer<S>>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigFileError(file, [{ line: undefined, text: `cannot read the config file: ${(error as Error).message}` }])
  }
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    throw new ConfigFileError(
      file,
      document.errors.map((error) => ({
        line: lineCounter.linePos(error.pos[0]).line,
        text: `not valid YAML: ${error.message.split('\n')[0]!}`
      }))
    )
  }
  const prefix = section === undefined ? [] : [section]
  const lineOf = (path: ReadonlyArray<string | number>): number | undefined => {
    const offset = offsetOf(document.contents, [...prefix, ...path])
    return offset === undefined ? undefined : lineCounter.linePos(offset).line
  }
  const problemsError = (problems: ConfigProblem[]): ConfigFileError =>
    new ConfigFileError(
      file,
      problems.map(({ path, message }) => ({
        line: lineOf(path),
        text: [...prefix, ...path].length === 0 ? message : `${pathText([...prefix, ...path])}: ${message}`
      }))
    )
  const whole: unknown = document.toJS() ?? {}
  const input: unknown = section === undefined ? whole : ((whole as Record<string, unknown> | null)?.[section] ?? {})
  const result = schema.safeParse(input)
  if (!result.success) throw problemsError(problemsOf(result.error, input, schema))
  return { file, value: result.data, lineOf, problemsError }
}

/** Where the key (or list entry) at `path` starts in the text; the deepest existing ancestor if it is missing. */
function offsetOf(node: unknown, path: ReadonlyArray<string | number>): number | undefined {
  let current = node as Node | null | undefined
  let offset = current?.range?.[0]
  for (const part of path) {
    if (isMap(current)) {
      const pair = current.items.find((item) => (item.key as { value?: unknown } | null)?.value === part)
      if (pair === undefined) return offset
      offset = (pair.key as Node).range?.[0] ?? offset
      current = pair.value as Node | null
    } else if (isSeq(current) && typeof part === 'number') {
      const item = current.items[part] as Node | undefined
      if (item === undefined) return offset
      offset = item.range?.[0] ?? offset
      current = item
    } else {
      return offset
    }
  }
  return offset
}
