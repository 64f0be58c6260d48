import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { type PartEvents, PartFailedError, type RestartPolicy, SupervisedPart } from '../../../bin/start/supervised-part.js'

/** A part of `npm start` kept running: ready detection, restarts with a growing delay, giving up, stopping. */

const quick: RestartPolicy = { maxRestarts: 3, firstDelayMs: 20, maxDelayMs: 200, stableMs: 60_000 }

interface Recorded extends PartEvents {
  lines: string[]
  notices: string[]
  failures: PartFailedError[]
}

function recorder(): Recorded {
  const recorded: Recorded = {
    lines: [],
    notices: [],
    failures: [],
    line: (_part, line) => {
      recorded.lines.push(line)
    },
    notice: (_part, message) => {
      recorded.notices.push(message)
    },
    failed: (error) => {
      recorded.failures.push(error)
    }
  }
  return recorded
}

/** A node program as a part; `script` runs with the counter file's path as process.argv[1]. */
function part(t: TestContext, script: string, events: PartEvents, policy = quick): SupervisedPart {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-part-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const supervised = new SupervisedPart(
    { name: 'demo', command: process.execPath, args: ['-e', script, join(dir, 'runs')], ready: /ready on (\d+)/ },
    events,
    policy
  )
  t.after(() => supervised.stop())
  return supervised
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Counts its runs in a file, says it is ready, then crashes after `crashAfterMs` (or lives on). */
const counting = (crashAfterMs: number | undefined): string => `
  const fs = require('node:fs'); const file = process.argv[1]
  const run = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1
  fs.writeFileSync(file, String(run))
  console.log('ready on ' + (4000 + run))
  console.error('run ' + run + ' going down')
  ${crashAfterMs === undefined ? 'setInterval(() => {}, 1000)' : `setTimeout(() => process.exit(3), ${crashAfterMs})`}`

describe('supervised part', { concurrency: true }, () => {
  test("start resolves with the ready line's match; every output line is passed on", async (t) => {
    const events = recorder()
    const match = await part(t, counting(undefined), events).start()
    assert.equal(match[1], '4001')
    await until(() => events.lines.length >= 2, 'both lines')
    assert.deepEqual(events.lines, ['ready on 4001', 'run 1 going down'])
  })

  test('a part that dies after it was ready is restarted with a doubling delay, then given up with its last output', async (t) => {
    const events = recorder()
    await part(t, counting(30), events).start()
    await until(() => events.failures.length === 1, 'giving up')
    assert.deepEqual(events.notices, [
      'exited with code 3; restart 1 of at most 3 in 0.02 s',
      'back up',
      'exited with code 3; restart 2 of at most 3 in 0.04 s',
      'back up',
      'exited with code 3; restart 3 of at most 3 in 0.08 s',
      'back up'
    ])
    const [failure] = events.failures
    assert.match(failure!.message, /^demo exited with code 3, and was given up after 3 restarts in a row; its last output:/)
    assert.match(failure!.message, /run 4 going down/)
  })

  test('a first run that exits before it is ready rejects at once with what it said, and is not restarted', async (t) => {
    const events = recorder()
    const supervised = part(t, "console.error('cannot listen on 127.0.0.1:1883: address in use'); process.exit(1)", events)
    await assert.rejects(
      supervised.start(),
      (error: Error) =>
        error instanceof PartFailedError &&
        error.message === 'demo exited with code 1 before it was ready; its last output:\n  cannot listen on 127.0.0.1:1883: address in use'
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepEqual(events.notices, [], 'no restart')
  })

  test('stop ends the part with SIGTERM and no restart follows', async (t) => {
    const events = recorder()
    const supervised = part(t, counting(undefined), events)
    await supervised.start()
    await supervised.stop()
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepEqual(events.notices, [])
    assert.deepEqual(events.failures, [])
  })
})
