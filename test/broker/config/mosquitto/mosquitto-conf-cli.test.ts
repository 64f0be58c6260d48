import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { startCliBroker } from '../../../helpers/cli-broker.js'
import { thermopostBin } from '../../../helpers/crash-broker.js'
import { freePort } from '../../../helpers/free-port.js'
import { type ProgramResult, runProgram } from '../../../helpers/run-program.js'

/**
 * Moving from Mosquitto: a Debian-style /etc/mosquitto (main file, conf.d/local.conf, a password file made by
 * mosquitto_passwd, an acl_file) run by `thermopost broker --mosquitto-conf` and, converted by
 * `thermopost convert-mosquitto-conf`, by `--config`; mosquitto_pub and mosquitto_sub as the clients.
 */

function thermopost(t: TestContext, args: string[]): Promise<ProgramResult> {
  return runProgram(t, process.execPath, [thermopostBin, ...args])
}

/** /etc/mosquitto as Debian lays it out, the listener on a free loopback port, the user `sensor` with a mosquitto_passwd hash. */
async function etcMosquitto(t: TestContext): Promise<{ dir: string; port: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'etc-mosquitto-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'conf.d'))
  await mkdir(join(dir, 'data'))
  const port = await freePort()
  const made = await runProgram(t, 'mosquitto_passwd', ['-c', '-b', join(dir, 'passwd'), 'sensor', 'a long pass phrase'])
  assert.equal(made.code, 0, made.stderr)
  await writeFile(join(dir, 'aclfile'), 'user sensor\ntopic readwrite house/#\n')
  await writeFile(
    join(dir, 'mosquitto.conf'),
    [
      '# Place your local configuration in /etc/mosquitto/conf.d/',
      `pid_file ${join(dir, 'mosquitto.pid')}`,
      'persistence true',
      `persistence_location ${join(dir, 'data')}/`,
      'log_dest stdout',
      `include_dir ${join(dir, 'conf.d')}`,
      ''
    ].join('\n')
  )
  await writeFile(
    join(dir, 'conf.d', 'local.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      `acl_file ${join(dir, 'aclfile')}`,
      'max_queued_messages 500',
      ''
    ].join('\n')
  )
  return { dir, port }
}

/** A retained message published by mosquitto_pub as `sensor`, read back by mosquitto_sub; anonymous and wrong passwords refused. */
async function assertMosquittoClientsWork(t: TestContext, port: number): Promise<void> {
  const target = ['-h', '127.0.0.1', '-p', String(port), '-t', 'house/kitchen/temperature']
  const login = ['-u', 'sensor', '-P', 'a long pass phrase']
  const published = await runProgram(t, 'mosquitto_pub', [...target, ...login, '-r', '-q', '1', '-m', '21.5'])
  assert.equal(published.code, 0, published.stderr)
  const read = await runProgram(t, 'mosquitto_sub', [...target, ...login, '-C', '1', '-W', '10'])
  assert.equal(read.code, 0, read.stderr)
  assert.equal(read.stdout.trim(), '21.5')
  const anonymous = await runProgram(t, 'mosquitto_pub', [...target, '-m', 'x'])
  assert.notEqual(anonymous.code, 0, 'anonymous clients are refused, as allow_anonymous false says')
  const wrong = await runProgram(t, 'mosquitto_pub', [...target, '-u', 'sensor', '-P', 'wrong', '-m', 'x'])
  assert.match(wrong.stderr, /bad user name or password/i)
}

describe('moving from Mosquitto', () => {
  test('thermopost broker --mosquitto-conf runs a Debian layout; mosquitto_pub and mosquitto_sub log in with a mosquitto_passwd password', async (t) => {
    const { dir, port } = await etcMosquitto(t)
    const broker = await startCliBroker(t, ['--mosquitto-conf', join(dir, 'mosquitto.conf')], 1)
    assert.equal(broker.urls[0], `mqtt://127.0.0.1:${port}`)
    assert.match(broker.output(), /mosquitto\.conf:2".*ignored: thermopost writes no pid file/)
    await assertMosquittoClientsWork(t, port)
  })

  test('convert-mosquitto-conf prints YAML that thermopost broker --config runs the same way', async (t) => {
    const { dir, port } = await etcMosquitto(t)
    const converted = await thermopost(t, ['convert-mosquitto-conf', join(dir, 'mosquitto.conf')])
    assert.equal(converted.code, 0, converted.stderr)
    assert.match(converted.stdout, /^max_queued_messages: 500$/m)
    await writeFile(join(dir, 'thermopost.yaml'), converted.stdout)
    const broker = await startCliBroker(t, ['--config', join(dir, 'thermopost.yaml')], 1)
    assert.equal(broker.urls[0], `mqtt://127.0.0.1:${port}`)
    await assertMosquittoClientsWork(t, port)
  })

  test('a bridge line thermopost cannot honour stops start-up with exit 1, naming the file and line', async (t) => {
    const { dir } = await etcMosquitto(t)
    await writeFile(
      join(dir, 'conf.d', 'bridge.conf'),
      '# to the cloud\nconnection cloud\naddress mqtt.example.com:8883\nstart_type once\ntopic house/# out 1\n'
    )
    for (const args of [['broker', '--mosquitto-conf'], ['convert-mosquitto-conf']]) {
      const { code, stderr, stdout } = await thermopost(t, [...args, join(dir, 'mosquitto.conf')])
      assert.equal(code, 1, stdout)
      assert.equal(
        stderr.trim(),
        `thermopost: ${join(dir, 'conf.d', 'bridge.conf')}:4: start_type once: thermopost starts every bridge with the broker and keeps it up (automatic)`
      )
    }
  })

  test("a bridge's problem found at start-up (a password without a user name) names the Mosquitto line", async (t) => {
    const { dir } = await etcMosquitto(t)
    await writeFile(join(dir, 'conf.d', 'bridge.conf'), 'connection cloud\naddress 127.0.0.1:1\nremote_password x\ntopic house/# out 1\n')
    const { code, stderr } = await thermopost(t, ['broker', '--mosquitto-conf', join(dir, 'mosquitto.conf')])
    assert.equal(code, 1)
    assert.match(stderr, /bridge\.conf:3: bridges\[0\]\.password: needs a username with protocol_version 3\.1\.1/)
  })

  test('a problem found after conversion (the same listener twice) names the Mosquitto line', async (t) => {
    const { dir, port } = await etcMosquitto(t)
    await writeFile(join(dir, 'conf.d', 'more.conf'), `listener ${port} 127.0.0.1\n`)
    const { code, stderr } = await thermopost(t, ['broker', '--mosquitto-conf', join(dir, 'mosquitto.conf')])
    assert.equal(code, 1)
    assert.match(stderr, new RegExp(`more\\.conf:1: listeners\\[1\\]: 127\\.0\\.0\\.1:${port} is already a listener`))
  })

  test('--mosquitto-conf with --config is a usage error (exit 2)', async (t) => {
    const { dir } = await etcMosquitto(t)
    await writeFile(join(dir, 'x.yaml'), 'port: 0\n')
    const { code, stderr } = await thermopost(t, [
      'broker',
      '--mosquitto-conf',
      join(dir, 'mosquitto.conf'),
      '--config',
      join(dir, 'x.yaml')
    ])
    assert.equal(code, 2)
    assert.match(stderr, /--mosquitto-conf and --config cannot be used together/)
  })
})
