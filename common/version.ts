import { readFileSync } from 'node:fs'

/** The product version, from package.json (two levels up from both broker/ and dist/broker/). */
export const version: string = (() => {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'thermopost' && pkg.version !== undefined) return pkg.version
    } catch {
      /* try the next candidate */
    }
  }
  return 'unknown'
})()
