import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'

/**
 * A part whose log reader went away with lines still waiting to be written (its supervisor killed while the
 * part logged faster than it was read) must still exit when asked. The logger flushes what waits on exit, and
 * a flush that took the broken pipe for a busy one retried for ever: a broker outlived its supervisor that way.
 */
test('a process exits at once when its log reader is gone with lines still waiting', async (t) => {
  const logModule = new URL('../../common/log.js', import.meta.url).href
  const program = `
    import { createLogger } from '${logModule}'
    const logger = createLogger('test')
    // About 2 MB: more than a pipe holds, so lines wait in the logger for the reader.
    for (let i = 0; i < 2000; i++) logger.info('x'.repeat(1000))
    process.stderr.write('filled\\n')
    process.on('message', () => process.exit(0))
    setInterval(() => {}, 1000)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  t.after(() => child.kill('SIGKILL'))
  child.stdout!.pause()
  const [chunk] = (await once(child.stderr!, 'data')) as [Buffer]
  assert.match(chunk.toString(), /filled/)
  child.stdout!.destroy()
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  child.send('exit')
  const outcome = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5000))])
  assert.deepEqual(outcome, [0, null], 'exits with 0 within 5 s')
})
