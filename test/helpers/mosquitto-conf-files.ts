import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { readMosquittoBrokerConfig } from '../../broker/config/mosquitto/mosquitto-broker-config.js'
import { MosquittoConfError } from '../../broker/config/mosquitto/mosquitto-conf-lines.js'

/** Writes `files` (path relative to a fresh directory → text) and gives the directory, removed after the test. */
export async function layout(t: TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mosquitto-conf-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

/** The message of the MosquittoConfError that refuses `file`. */
export async function problemsOf(file: string): Promise<string> {
  const error = await readMosquittoBrokerConfig(file).then(
    () => assert.fail('expected the configuration to be refused'),
    (error: unknown) => error
  )
  assert.ok(error instanceof MosquittoConfError, String(error))
  return error.message
}
