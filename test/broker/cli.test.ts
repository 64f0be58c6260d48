import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test, type TestContext } from 'node:test'
import { asConnack, expectClosedSilently, expectDisconnect, rawConnect, rawSession } from '../helpers/session-clients.js'

/** The `thermopost` command: help, the `broker` command's start-up line and clean shutdown, and bad input. */

// The compiled test lives in dist/test/broker/; the repository root is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = 'dist/bin/thermopost.js'

interface Finished { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

function spawnCli (t: TestContext, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return child
}

/** Runs the command to its end; fails if it is still running after `timeoutMs`. */
async function runCli (t: TestContext, args: string[], timeoutMs = 15_000): Promise<Finished> {
  const child = spawnCli(t, args)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  assert.notEqual(signal, 'SIGKILL', `thermopost ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`)
  return { code, signal, stdout, stderr }
}

/** Starts `thermopost broker` on a free port; resolves with the port from its start-up line. */
async function startCliBroker (t: TestContext): Promise<{ child: ChildProcess, port: number, lines: () => string[] }> {
  // Each broker gets a data directory of its own: two brokers may not share one (the store is locked).
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-cli-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const child = spawnCli(t, ['broker', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir])
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    // Generous: start-up is well under a second, but a machine loaded by parallel tests can stall it.
    const timer = setTimeout(() => reject(new Error(`no mqtt://127.0.0.1:<port> line within 15 s; output: ${output}`)), 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match) { clearTimeout(timer); resolve(Number(match[1])) }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code} before listening; output: ${output}`)) })
  })
  const lines = (): string[] => output.split('\n').filter((line) => line.includes('mqtt://127.0.0.1:'))
  return { child, port, lines }
}

describe('thermopost command line', { concurrency: true }, () => {
  test('--help lists the commands, broker among them, and exits 0', async (t) => {
    const { code, stdout } = await runCli(t, ['--help'])
    assert.equal(code, 0)
    assert.match(stdout, /\bbroker\b/)
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`broker: logs its URL with the chosen port, serves clients, and on ${signal} sends DISCONNECT 0x8B and exits 0`, async (t) => {
      const { child, port, lines } = await startCliBroker(t)
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
    const first = await startCliBroker(t)
    const second = await startCliBroker(t)
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
