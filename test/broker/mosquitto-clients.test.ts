import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { type TestContext, test } from 'node:test'
import { startBroker } from '../helpers/broker.js'

// Interoperability with Debian's mosquitto_pub / mosquitto_sub (mosquitto-clients), MQTT 3.1.1 and 5.0.

interface Run {
  /** Everything printed so far on stdout. */
  output(): string
  /** Resolves once stdout contains `text`; rejects if the program exits first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>
  /** Exit code and the whole stdout. */
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>
}

function run(t: TestContext, command: string, args: string[]): Run {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => {
    if (child.exitCode === null) child.kill()
  })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    for (const l of listeners) l()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      for (const l of listeners) l()
      resolve({ code, stdout, stderr })
    })
  })
  return {
    output: () => stdout,
    exit,
    waitFor: (text, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`no "${text}" within ${timeoutMs} ms: ${stdout}${stderr}`))
        }, timeoutMs)
        const check = (): void => {
          if (stdout.includes(text)) {
            clearTimeout(timer)
            listeners.delete(check)
            resolve()
          } else if (child.exitCode !== null) {
            clearTimeout(timer)
            listeners.delete(check)
            reject(new Error(`exited (${child.exitCode}) before "${text}": ${stdout}${stderr}`))
          }
        }
        listeners.add(check)
        check()
      })
  }
}

const versions = [
  { name: '3.1.1 (default)', flags: [] as string[] },
  { name: '5.0 (-V mqttv5)', flags: ['-V', 'mqttv5'] },
  { name: '5.0 (-V 5)', flags: ['-V', '5'] }
]

for (const { name, flags } of versions) {
  test(`mosquitto clients ${name}: retained round trip`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const target = ['-h', '127.0.0.1', '-p', String(running.port), ...flags]

    const pub = await run(t, 'mosquitto_pub', [...target, '-r', '-q', '1', '-t', 't', '-m', 'hello']).exit
    assert.equal(pub.code, 0, pub.stderr)

    // -W: give up after 5 s rather than hang; -C 1: exit after one message.
    const sub = await run(t, 'mosquitto_sub', [...target, '-t', 't', '-C', '1', '-W', '5', '-F', '%r %t %p']).exit
    assert.equal(sub.code, 0, sub.stderr)
    assert.equal(sub.stdout, '1 t hello\n')
  })

  test(`mosquitto clients ${name}: QoS 2 round trip with the full PUBLISH/PUBREC/PUBREL/PUBCOMP flow`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const target = ['-h', '127.0.0.1', '-p', String(running.port), ...flags]

    // stdbuf: mosquitto_sub's debug lines are block-buffered on a pipe; line buffering shows SUBACK at once.
    const sub = run(t, 'stdbuf', ['-oL', 'mosquitto_sub', ...target, '-d', '-q', '2', '-t', 'q', '-C', '1', '-v', '-W', '5'])
    await sub.waitFor('Subscribed (mid: 1): 2')
    const pub = await run(t, 'mosquitto_pub', [...target, '-d', '-q', '2', '-t', 'q', '-m', 'x']).exit
    assert.equal(pub.code, 0, pub.stderr)
    assert.match(pub.stdout, /sending PUBLISH \(d0, q2, r0, m(\d+), 'q', \.\.\. \(1 bytes\)\)/)
    assert.match(pub.stdout, /received PUBREC \(Mid: \d+/)
    assert.match(pub.stdout, /sending PUBREL/)
    assert.match(pub.stdout, /received PUBCOMP \(Mid: \d+/)

    const done = await sub.exit
    assert.equal(done.code, 0, done.stderr + done.stdout)
    assert.match(done.stdout, /received PUBLISH \(d0, q2, r0, m\d+, 'q', \.\.\. \(1 bytes\)\)/)
    assert.match(done.stdout, /sending PUBREC/)
    assert.match(done.stdout, /received PUBREL/)
    assert.match(done.stdout, /sending PUBCOMP/)
    const messages = done.stdout.split('\n').filter((line) => !line.startsWith('Client ') && !line.startsWith('Subscribed ') && line !== '')
    assert.deepEqual(messages, ['q x'])
  })
}
