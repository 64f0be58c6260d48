import { type Dirent, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Bytes allocated on disk (st_blocks, as `du` counts) by every file under `dir`; 0 if it is gone. */
export function diskUsageBytes(dir: string): number {
  let bytes = 0
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) bytes += diskUsageBytes(path)
    else if (entry.isFile()) bytes += statSync(path).blocks * 512
  }
  return bytes
}
