import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { childrenOf, emptyDataDir, start, stillRunning, stop } from '../../helpers/start-supervisor.js'

/**
 * `thermopost start --nodes N`: a local Redis and N broker nodes sharing it, the service and the simulator given
 * every node. A node that dies is restarted while the devices carry on through the others, and a killed
 * supervisor leaves nothing running, Redis included.
 */

/** The command line of a process, its arguments joined by spaces. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

async function onlineDevices(dashboard: string, token: string): Promise<Array<{ id: string; state: string; lastSeen?: number }>> {
  const answer = await fetch(`${dashboard}/api/devices`, { headers: { Authorization: `Bearer ${token}` } })
  const { devices } = (await answer.json()) as { devices: Array<{ id: string; state: string; lastSeen?: number }> }
  return devices.filter((device) => device.state === 'online')
}

describe('thermopost start --nodes', () => {
  test('--nodes must be a whole number from 1 to 9', () => {
    for (const nodes of ['0', '10', 'two']) {
      const run = spawnSync(process.execPath, [thermopostBin, 'start', '--nodes', nodes], { encoding: 'utf8' })
      assert.notEqual(run.status, 0)
      assert.match(run.stderr, new RegExp(`--nodes must be a whole number from 1 to 9, not '${nodes}'`))
    }
  })

  test('three nodes on a local Redis: devices carry on when a node is killed, and nothing outlives the supervisor', async (t) => {
    const dataDir = emptyDataDir(t)
    const started = await start(t, dataDir, { THERMOPOST_NODES: '3' })
    const nodeUrls = /MQTT broker nodes: (\S+), (\S+), (\S+) \(loopback only\)/.exec(started.output())
    assert.ok(nodeUrls !== null, `the welcome lists three nodes: ${started.output()}`)
    const redisPort = /Cluster state: redis:\/\/127\.0\.0\.1:(\d+) \(append-only, fsync always\)/.exec(started.output())?.[1]
    assert.ok(redisPort !== undefined, "the welcome names the cluster's Redis")
    // redis-server retitles its process, so its settings are asked of it rather than read from its command line.
    const settings = spawnSync('redis-cli', ['-p', redisPort, 'CONFIG', 'GET', 'append*'], { encoding: 'utf8' }).stdout.split('\n')
    assert.equal(settings[settings.indexOf('appendfsync') + 1], 'always', 'Redis fsyncs every write')
    assert.equal(settings[settings.indexOf('appendonly') + 1], 'yes')
    const token = (JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { apiToken: string }).apiToken

    const parts = childrenOf(started.child.pid!)
    const lines = parts.map(commandLine)
    assert.equal(parts.length, 6, `redis, three brokers, the service and the simulator: ${lines.join('\n')}`)
    assert.ok(
      lines.some((line) => line.includes('redis-server')),
      'Redis runs'
    )
    for (const node of [1, 2, 3])
      assert.ok(
        lines.some((line) => line.includes(`--node-id node-${node}`)),
        `node-${node} runs`
      )

    const deadline = Date.now() + 30_000
    while ((await onlineDevices(started.dashboard, token)).length < 2) {
      assert.ok(Date.now() < deadline, 'two simulated devices online')
      await sleep(200)
    }
    const firstNode = parts.find((pid) => commandLine(pid).includes('--node-id node-1'))!
    process.kill(firstNode, 'SIGKILL')
    await sleep(1000)
    const after = Date.now()
    const recovered = Date.now() + 30_000
    for (;;) {
      const online = await onlineDevices(started.dashboard, token)
      if (online.length === 2 && online.every((device) => (device.lastSeen ?? 0) > after)) break
      assert.ok(Date.now() < recovered, `both devices report again after node-1 died: ${JSON.stringify(online)}`)
      await sleep(300)
    }
    assert.match(started.output(), /broker-1 .*restart/i, 'the supervisor restarts the dead node')

    const everyPart = childrenOf(started.child.pid!)
    started.child.kill('SIGKILL')
    const partLines = new Map(everyPart.map((pid) => [pid, commandLine(pid)]))
    const survivors = await stillRunning(everyPart, 20_000)
    assert.deepEqual(
      survivors.map((pid) => partLines.get(pid)),
      [],
      'no part outlives its supervisor, Redis included'
    )
    const next = await start(t, dataDir, { THERMOPOST_NODES: '3' })
    assert.equal(await stop(next), 0)
  })
})
