import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatLogLine } from '../../../bin/start/log-line.js'

test("pino lines become short human lines with the part's name; others pass as they are", () => {
  const pino = JSON.stringify({
    level: 30,
    time: 1,
    pid: 2,
    hostname: 'h',
    name: 'broker',
    msg: 'listening on mqtt://127.0.0.1:1883',
    port: 1883
  })
  assert.equal(formatLogLine('broker', pino, 9), 'broker    INFO  listening on mqtt://127.0.0.1:1883 {"port":1883}')
  assert.equal(formatLogLine('simulator', 'connected 4/4', 9), 'simulator connected 4/4')
  assert.equal(formatLogLine('service', '{not json', 9), 'service   {not json')
  assert.equal(formatLogLine('service', '{"level":50,"msg":"boom"}', 7), 'service ERROR boom')
})
