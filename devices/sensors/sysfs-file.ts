import { readdir, readFile, readlink } from 'node:fs/promises'
import { basename } from 'node:path'
import { SensorReadError } from './sensor.js'

/**
 * Reading sysfs attribute files: one value per file, ending in a newline. A driver that cannot
 * answer makes read() itself fail (EIO, ENODATA, EAGAIN), so every error names the file.
 */

/** The file's content without the trailing newline; rejects with a SensorReadError. */
export async function readSysfsFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new SensorReadError(`cannot read ${path}: ${code}`)
  }
}

/** Like readSysfsFile, but undefined when the file is missing or unreadable (an optional attribute). */
export async function readOptionalSysfsFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    return undefined
  }
}

/**
 * The names in a directory, sorted naturally (zone2 before zone10); undefined when it does not exist.
 * Entries are names only: sysfs class directories hold symlinks, and a Dirent of a symlink to a
 * directory is not isDirectory(), so filtering on Dirent types would drop them.
 */
export async function listSysfsDir(path: string): Promise<string[] | undefined> {
  try {
    return (await readdir(path)).sort(naturalOrder)
  } catch {
    return undefined
  }
}

/** The last name in a symlink's target (`device` → ../../../coretemp.0 gives coretemp.0); undefined if no link. */
export async function linkedName(path: string): Promise<string | undefined> {
  try {
    return basename(await readlink(path))
  } catch {
    return undefined
  }
}

/** Parses a millidegree value ('45000', '-1250') into °C; rejects anything else, naming the file. */
export function millidegrees(text: string, path: string): number {
  if (!/^-?\d+$/.test(text)) throw new SensorReadError(`${path}: expected millidegrees, got '${text}'`)
  return Number(text) / 1000
}

/** Reads a millidegree attribute (thermal_zone*\/temp, temp*_input) as °C. */
export async function readMillidegrees(path: string): Promise<number> {
  return millidegrees(await readSysfsFile(path), path)
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true })
}
