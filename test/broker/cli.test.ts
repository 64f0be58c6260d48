import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { startCliBroker } from '../helpers/cli-broker.js'
import { thermopostBin } from '../helpers/crash-broker.js'
import { type ProgramResult, runProgram } from '../helpers/run-program.js'
import { asConnack, expectClosedSilently, expectDisconnect, rawConnect, rawSession } from '../helpers/session-clients.js'

/** The `thermopost` command: help, the `broker` command's start-up line and clean shutdown, and bad input. */

/** `thermopost ARGS` run to its end. */
function runCli(t: TestContext, args: string[]): Promise<ProgramResult> {
  return runProgram(t, process.execPath, [thermopostBin, ...args])
}

/** `thermopost broker` on a free port, with a data directory of its own (two brokers may not share one: the store is locked). */
async function startBrokerCommand(t: TestContext): Promise<{ child: ChildProcess; port: number; lines: () => string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-cli-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const { child, output, urls } = await startCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], 1)
  const lines = (): string[] =>
    output()
      .split('\n')
      .filter((line) => line.includes('mqtt://127.0.0.1:'))
  return { child, port: Number(new URL(urls[0]!).port), lines }
}

describe('thermopost command line', { concurrency: true }, () => {
  test('--help lists the commands, broker among them, and exits 0', async (t) => {
    const { code, stdout } = await runCli(t, ['--help'])
    assert.equal(code, 0)
    assert.match(stdout, /\bbroker\b/)
  })

  for (const flag of ['--version', '-v']) {
    test(`${flag} prints the version from package.json and exits 0`, async (t) => {
      const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
      const { code, stdout } = await runCli(t, [flag])
      assert.equal(code, 0)
      assert.equal(stdout.trim(), `thermopost ${version}`)
    })
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`broker: logs its URL with the chosen port, serves clients, and on ${signal} sends DISCONNECT 0x8B and exits 0`, async (t) => {
      const { child, port, lines } = await startBrokerCommand(t)
      assert.ok(port > 0, `a real port, not ${port}`)
      assert.equal(lines().length, 1, `one line with the URL: ${lines().join(' | ')}`)
      assert.match(lines()[0]!, new RegExp(`mqtt://127\\.0\\.0\\.1:${port}(?!\\d)`))

      const v5 = await rawSession(t, port, 5)
      const v311 = await rawSession(t, port, 4)
      v5.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cli/t', qos: 1 }] }, 5)
      assert.equal((await v5.client.next()).cmd, 'suback')
      v311.client.send({ cmd: 'publish', topic: 'cli/t', payload: Buffer.from('hello'), qos: 0, dup: false, retain: false })
      const message = await v5.client.next()
      assert.deepEqual([message.cmd, message.cmd === 'publish' && message.payload.toString()], ['publish', 'hello'])

      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
      child.kill(signal)
      await expectDisconnect(v5.client, 0x8b, 5000)
      await expectClosedSilently(v311.client, 5000)
      const [code, killedBy] = await Promise.race([
        exited,
        new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`still running 5 s after ${signal}`)), 5000))
      ])
      assert.equal(killedBy, null, 'exits by itself, not by the signal')
      assert.equal(code, 0)
    })
  }

  test('broker: a second CLI broker keeps working independently (port 0 picks a fresh port)', async (t) => {
    const first = await startBrokerCommand(t)
    const second = await startBrokerCommand(t)
    assert.notEqual(first.port, second.port)
    const { reply } = await rawConnect(t, second.port, 4)
    assert.equal(asConnack(reply).returnCode, 0)
  })

  test('an unknown command exits non-zero with a message on stderr', async (t) => {
    const { code, stderr } = await runCli(t, ['frobnicate'])
    assert.notEqual(code, 0)
    assert.match(stderr, /frobnicate/)
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace')
  })

  test('broker --port abc exits non-zero with a message about the port on stderr', async (t) => {
    const { code, stderr } = await runCli(t, ['broker', '--host', '127.0.0.1', '--port', 'abc'])
    assert.notEqual(code, 0)
    assert.match(stderr, /port/i)
    assert.match(stderr, /abc/)
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace')
  })

  test('broker on a port already in use exits 1 with a message naming the address, not a stack trace', async (t) => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    t.after(() => taken.close())
    const port = (taken.address() as AddressInfo).port
    const { code, stderr } = await runCli(t, ['broker', '--host', '127.0.0.1', '--port', String(port), '--store', 'memory'])
    assert.equal(code, 1)
    assert.match(stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`))
    assert.match(stderr, /EADDRINUSE/)
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace')
  })

  test('broker with an unknown flag exits non-zero with a message naming it on stderr', async (t) => {
    const { code, stderr } = await runCli(t, ['broker', '--host', '127.0.0.1', '--port', '0', '--bogus-flag'])
    assert.notEqual(code, 0)
    assert.match(stderr, /bogus-flag/)
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace')
  })
})
