import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** Where a directive was written: the file, its 1-based line, and the line as written (for messages and comments). */
export interface Origin {
  file: string
  line: number
  text: string
}

/**
 * One line of a mosquitto.conf: the directive's name, its words, and `rest` (everything after the name, as
 * Mosquitto reads string values: a path may hold spaces).
 */
export interface MosquittoDirective extends Origin {
  name: string
  words: string[]
  rest: string
}

/** Something in a Mosquitto configuration that thermopost cannot honour: every such line, each with why. */
export class MosquittoConfError extends Error {
  constructor(readonly problems: ReadonlyArray<{ origin: Origin | undefined; text: string }>) {
    super(problems.map(({ origin, text }) => (origin === undefined ? text : `${where(origin)}: ${text}`)).join('\n'))
    this.name = 'MosquittoConfError'
  }
}

/** `mosquitto.conf:12` */
export function where(origin: Origin): string {
  return `${origin.file}:${origin.line}`
}

/**
 * The directives of a Mosquitto 2.x configuration file in the order Mosquitto applies them, `include_dir`
 * expanded in place (mosquitto.conf(5)): only the main file may include, the directory's files ending in
 * `.conf` are read in case-sensitive alphabetical order with each letter's upper case first, and the
 * directory must not hold the main file. Comment lines start with `#`; blank lines are skipped.
 */
export async function readMosquittoConf(file: string): Promise<MosquittoDirective[]> {
  const directives: MosquittoDirective[] = []
  for (const directive of await directivesOf(file)) {
    if (directive.name !== 'include_dir') {
      directives.push(directive)
      continue
    }
    const dir = directive.rest
    if (dir === '') throw new MosquittoConfError([{ origin: directive, text: 'include_dir needs a directory' }])
    let names: string[]
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith('.conf')).sort(mosquittoFileOrder)
    } catch (error) {
      throw new MosquittoConfError([{ origin: directive, text: `cannot read include_dir ${dir}: ${(error as Error).message}` }])
    }
    for (const name of names) {
      const included = join(dir, name)
      if (resolve(included) === resolve(file))
        throw new MosquittoConfError([{ origin: directive, text: `include_dir ${dir} holds the main file ${file}` }])
      // An include_dir in an included file stays unexpanded: the conversion refuses it with the other problems.
      directives.push(...(await directivesOf(included)))
    }
  }
  return directives
}

async function directivesOf(file: string): Promise<MosquittoDirective[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new MosquittoConfError([{ origin: undefined, text: `cannot read ${file}: ${(error as Error).message}` }])
  }
  return text.split('\n').flatMap((row, index): MosquittoDirective[] => {
    const trimmed = row.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return []
    const [name = '', ...words] = trimmed.split(/[ \t]+/)
    return [{ file, line: index + 1, text: trimmed, name, words, rest: trimmed.slice(name.length).trim() }]
  })
}

/** Mosquitto's include order: letter by letter case-blind, and where only the case differs, upper case first. */
function mosquittoFileOrder(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!]
    if (x === y) continue
    const [lowerX, lowerY] = [x.toLowerCase(), y.toLowerCase()]
    if (lowerX !== lowerY) return lowerX < lowerY ? -1 : 1
    return x === x.toUpperCase() ? -1 : 1
  }
  return a.length - b.length
}
