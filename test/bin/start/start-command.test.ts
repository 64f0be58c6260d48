import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { type ProgramResult, runProgram } from '../../helpers/run-program.js'
import { childrenOf, emptyDataDir, start, stillRunning, stop } from '../../helpers/start-supervisor.js'

/**
 * `npm start` (`npm run build && thermopost start`) on an empty data directory: everything comes up, the
 * dashboard URL and the generated login are printed once, the dashboard and the API answer, simulated
 * devices appear, and Ctrl-C stops every part.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url))

/** `thermopost start ARGS` with these variables, run to its end: for a start that fails. */
function startToEnd(t: TestContext, args: string[], env: Record<string, string>): Promise<ProgramResult> {
  return runProgram(t, process.execPath, [thermopostBin, 'start', ...args], { env })
}

describe('thermopost start', () => {
  test('npm start runs the build, then this command', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
    // exec: npm's SIGTERM (systemd, Docker) must reach the supervisor, not a shell that dies without passing it on
    assert.equal(scripts.start, 'npm run build && exec node dist/bin/thermopost.js start')
  })

  test('on an empty data directory everything comes up; the login is printed once; Ctrl-C stops every part', async (t) => {
    const dataDir = emptyDataDir(t)
    const first = await start(t, dataDir)
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { apiToken: string }
    assert.ok(first.output().includes(`dashboard / API token: ${credentials.apiToken}`), 'the first start shows the token')

    const page = await fetch(first.dashboard)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>[^<]*thermopost/i)
    assert.equal((await fetch(`${first.dashboard}/api/devices`)).status, 401, 'the API wants the token')
    const auth = { headers: { Authorization: `Bearer ${credentials.apiToken}` } }
    let devices: Array<{ id: string; state: string }> = []
    const deadline = Date.now() + 20_000
    while (devices.filter((device) => device.state === 'online').length < 2) {
      assert.ok(Date.now() < deadline, `two simulated devices online; API says ${JSON.stringify(devices)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      devices = ((await (await fetch(`${first.dashboard}/api/devices`, auth)).json()) as { devices: typeof devices }).devices
    }
    assert.match(first.output(), /simulator .*Home Assistant discovery on homeassistant\//, 'npm start announces the thermostats')
    // The Broker page's data: the broker's admin API, which the service reaches with the token the broker generated.
    const brokerClients = await fetch(`${first.dashboard}/api/broker/clients`, auth)
    assert.equal(brokerClients.status, 200, await brokerClients.clone().text())
    const { clients } = (await brokerClients.json()) as { clients: Array<{ clientId: string; username: string | null }> }
    assert.ok(
      clients.some((client) => client.username === 'service'),
      `the service's own connection is listed: ${JSON.stringify(clients)}`
    )
    assert.equal(await stop(first), 0)
    assert.match(first.output(), /simulator .*stopped/)
    assert.match(first.output(), /broker +INFO +closed/)

    const second = await start(t, dataDir)
    assert.ok(!second.output().includes(credentials.apiToken), 'later starts do not print the token')
    assert.match(second.output(), new RegExp(`Logins \\(API token, MQTT admin\\): ${join(dataDir, 'credentials.json')}`))
    assert.equal(await stop(second), 0)
  })

  test('a part that cannot start (the MQTT port is taken) stops everything with its own message, exit 1', async (t) => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    t.after(() => taken.close())
    const port = (taken.address() as AddressInfo).port
    const { code, stderr } = await startToEnd(t, ['--mqtt-port', String(port), '--http-port', '0'], {
      THERMOPOST_DATA_DIR: emptyDataDir(t)
    })
    assert.equal(code, 1)
    assert.doesNotMatch(stderr, /API token:/)
    assert.match(
      stderr,
      new RegExp(`broker exited with code 1 before it was ready; its last output:[\\s\\S]*cannot listen on 127\\.0\\.0\\.1:${port}`)
    )
  })

  test('a misspelt section of thermopost.yaml stops start-up with the file, the line and the section it probably meant', async (t) => {
    const dir = emptyDataDir(t)
    const config = join(dir, '..', 'thermopost.yaml')
    writeFileSync(config, 'service:\n  http_port: 0\nsimulatr:\n  devices: 1\nbrokr:\n  max_inflight: 10\n')
    const { code, stderr } = await startToEnd(t, ['--config', config, '--mqtt-port', '0', '--http-port', '0'], { THERMOPOST_DATA_DIR: dir })
    assert.equal(code, 1)
    const simulator = stderr.indexOf(`${config}:3: simulatr: unknown key (did you mean 'simulator'?)`)
    const broker = stderr.indexOf(`${config}:5: brokr: unknown key (did you mean 'broker'?)`)
    assert.ok(simulator >= 0 && broker > simulator, `both sections named with their lines, in file order: ${stderr}`)
  })

  test('when the first start fails, the next start that comes up shows the generated logins', async (t) => {
    const dataDir = emptyDataDir(t)
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const failed = await startToEnd(t, ['--mqtt-port', String((taken.address() as AddressInfo).port)], {
      THERMOPOST_DATA_DIR: dataDir,
      THERMOPOST_HTTP_PORT: '0'
    })
    taken.close()
    assert.equal(failed.code, 1)
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { apiToken: string }
    assert.ok(!failed.stdout.includes(credentials.apiToken), 'the failed start printed no token')

    const started = await start(t, dataDir)
    assert.ok(started.output().includes(`dashboard / API token: ${credentials.apiToken}`), 'the first start that came up shows it')
    assert.equal(await stop(started), 0)
  })

  test('SIGTERM stops every part in order (simulator, service, broker) and exits 0', async (t) => {
    const started = await start(t, emptyDataDir(t))
    const parts = childrenOf(started.child.pid!)
    assert.equal(await stop(started, 'SIGTERM'), 0)
    const output = started.output()
    const order = ['simulator stopped', 'service   INFO  closed', 'broker    INFO  closed'].map((line) => output.indexOf(line))
    assert.ok(order[0]! >= 0 && order[0]! < order[1]! && order[1]! < order[2]!, `stopped in order: ${output}`)
    assert.deepEqual(await stillRunning(parts, 5_000), [], 'no part left running')
  })

  test('when the supervisor is killed with SIGKILL its parts exit by themselves, and the next start comes up', async (t) => {
    const dataDir = emptyDataDir(t)
    const started = await start(t, dataDir)
    const parts = childrenOf(started.child.pid!)
    assert.equal(parts.length, 3, 'broker, service and simulator were running')
    started.child.kill('SIGKILL')
    assert.deepEqual(
      await stillRunning(parts, 20_000),
      [],
      'no part outlives its supervisor (each closes cleanly, which takes a while on a loaded machine)'
    )
    const next = await start(t, dataDir)
    assert.equal(await stop(next), 0)
  })
})
