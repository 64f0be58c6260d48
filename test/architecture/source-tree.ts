import { fileURLToPath } from 'node:url'

/** The repository root, found from this module's place in the build: `<build folder>/test/architecture/`. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** The folders that hold the project's own sources (tsconfig.json compiles the same ones). */
export const SOURCE_FOLDERS = ['bin', 'common', 'broker', 'devices', 'service', 'dashboard', 'test'] as const
