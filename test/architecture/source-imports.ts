import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { type ImportStatement, scanImports } from './scan-imports.js'

/** A relative import of one source file, with both ends as paths from the repository root. */
export interface SourceImport extends ImportStatement {
  /** The importing file, e.g. `broker/broker.ts` (forward slashes on every platform). */
  file: string
  /** The imported file: for a `.js` specifier, the `.ts` source it is compiled from when there is one. */
  target: string
}

/** Every `.ts` file under the given folders of `root`, as sorted paths from the root. */
export function typescriptFiles(root: string, folders: readonly string[]): string[] {
  return folders
    .filter((folder) => existsSync(join(root, folder)))
    .flatMap((folder) =>
      readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' }).map((path) => posix.join(folder, path.replaceAll('\\', '/')))
    )
    .filter((path) => path.endsWith('.ts') && !path.split('/').includes('node_modules'))
    .sort()
}

/** The relative imports (`./`, `../`) of every `.ts` file under the given folders; package imports are left out. */
export function sourceImports(root: string, folders: readonly string[]): SourceImport[] {
  return typescriptFiles(root, folders).flatMap((file) =>
    scanImports(readFileSync(join(root, file), 'utf8'))
      .filter((statement) => statement.specifier.startsWith('./') || statement.specifier.startsWith('../'))
      .map((statement) => ({ ...statement, file, target: resolveTarget(root, file, statement.specifier) }))
  )
}

function resolveTarget(root: string, file: string, specifier: string): string {
  const target = posix.normalize(posix.join(posix.dirname(file), specifier))
  const source = target.replace(/\.js$/, '.ts')
  return source !== target && existsSync(join(root, source)) ? source : target
}
