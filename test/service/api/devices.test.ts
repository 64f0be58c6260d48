import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CommandRecord, DeviceSummary } from '../../../service/api/api-types.js'
import { ServiceError } from '../../../service/service-error.js'
import { errorOf, startApi } from './api-server.js'

const LIVING = '/api/devices/home%2Fliving-room'

test('GET /api/devices lists every device, and filters by site, state and a search text', async (t) => {
  const api = await startApi(t)
  const ids = async (query: string): Promise<string[]> => {
    const response = await api.get(`/api/devices${query}`)
    assert.equal(response.status, 200)
    return ((await response.json()) as { devices: DeviceSummary[] }).devices.map((device) => device.id)
  }
  assert.deepEqual(await ids(''), ['home/living-room', 'lab/freezer'])
  assert.deepEqual(await ids('?site=lab'), ['lab/freezer'])
  assert.deepEqual(await ids('?state=online'), ['home/living-room'])
  assert.deepEqual(await ids('?q=FREEZ'), ['lab/freezer'])
  assert.deepEqual(await ids('?q=tp-100'), ['home/living-room'], 'the model is searched too')
  assert.deepEqual(await ids('?site=home&state=offline'), [])
})

test('GET /api/devices refuses an unknown state, an unknown parameter and a repeated one, naming the field', async (t) => {
  const api = await startApi(t)
  assert.deepEqual(await errorOf(await api.get('/api/devices?state=asleep')), {
    status: 400,
    code: 'invalid-field',
    field: 'state',
    message: "state must be one of online, offline, stale, unknown, not 'asleep'"
  })
  assert.equal((await errorOf(await api.get('/api/devices?sight=home'))).field, 'sight')
  const repeated = await errorOf(await api.get('/api/devices?site=a&site=b'))
  assert.deepEqual([repeated.field, repeated.message], ['site', 'site is given more than once'])
})

test('GET /api/devices/:id takes the id URL-encoded as one segment; an unknown one is 404', async (t) => {
  const api = await startApi(t)
  const response = await api.get(LIVING)
  assert.equal(response.status, 200)
  const body = (await response.json()) as DeviceSummary
  assert.equal(body.id, 'home/living-room')
  assert.equal(body.meta?.model, 'TP-100')
  const unknown = await errorOf(await api.get('/api/devices/home%2Fattic'))
  assert.equal(unknown.status, 404)
  assert.equal(unknown.code, 'unknown-device')
  assert.match(unknown.message, /'home\/attic'/)
  assert.equal((await api.get('/api/devices/home/living-room')).status, 404, 'an unencoded slash is another path')
  const broken = await errorOf(await api.get('/api/devices/home%E0%A4'))
  assert.deepEqual([broken.status, broken.code], [404, 'not-found'])
  assert.equal(api.logs.filter((line) => line.level >= 50).length, 0, 'a client mistake is not logged as a failure')
})

test('POST /api/devices/:id/setpoint hands the value to the command desk and answers 202 with the command', async (t) => {
  const api = await startApi(t)
  const response = await api.post(`${LIVING}/setpoint`, { value: 21.5 })
  assert.equal(response.status, 202)
  assert.equal(response.headers.get('location'), `${LIVING}/commands`)
  const command = (await response.json()) as CommandRecord
  assert.deepEqual([command.deviceId, command.name, command.value, command.state], ['home/living-room', 'setpoint', 21.5, 'sent'])
  assert.equal(api.commands.records.length, 1)
  const offline = (await (await api.post('/api/devices/lab%2Ffreezer/setpoint', { value: 6 })).json()) as CommandRecord
  assert.equal(offline.state, 'queued')
})

test('a setpoint without a value, with a non-number, out of range or with extra fields is 400 naming the field', async (t) => {
  const api = await startApi(t)
  const cases: Array<[unknown, string, RegExp]> = [
    [{}, 'value', /value is required/],
    [{ value: '21.5' }, 'value', /value must be a number/],
    [{ value: null }, 'value', /value must be a number/],
    [{ value: 4.9 }, 'value', /from 5 to 35 °C/],
    [{ value: 35.5 }, 'value', /from 5 to 35 °C/],
    [{ value: 20, unit: 'F' }, 'unit', /unknown field 'unit'/],
    [[20], 'body', /JSON object/]
  ]
  for (const [body, field, message] of cases) {
    const error = await errorOf(await api.post(`${LIVING}/setpoint`, body))
    assert.equal(error.status, 400, JSON.stringify(body))
    assert.equal(error.code, 'invalid-field')
    assert.equal(error.field, field, JSON.stringify(body))
    assert.match(error.message, message)
  }
  assert.equal(api.commands.records.length, 0, 'nothing was sent')
})

test('a setpoint body that is not JSON is 400 invalid-json; one not sent as JSON is 415; one over 16 kB is 413', async (t) => {
  const api = await startApi(t)
  const broken = await errorOf(await api.post(`${LIVING}/setpoint`, '{"value": 21.5'))
  assert.deepEqual([broken.status, broken.code], [400, 'invalid-json'])
  const plain = await errorOf(await api.post(`${LIVING}/setpoint`, '{"value": 21.5}', { headers: { 'content-type': 'text/plain' } }))
  assert.deepEqual([plain.status, plain.code], [415, 'unsupported-media-type'])
  const tooBig = await errorOf(await api.post(`${LIVING}/setpoint`, JSON.stringify({ value: 21, pad: 'x'.repeat(20_000) })))
  assert.deepEqual([tooBig.status, tooBig.code], [413, 'payload-too-large'])
  assert.equal(api.commands.records.length, 0, 'nothing was sent')
})

test('a form-encoded setpoint is 415 naming the type it got, not a missing value', async (t) => {
  const api = await startApi(t)
  const form = await errorOf(
    await api.post(`${LIVING}/setpoint`, 'value=21.5', { headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  )
  assert.equal(form.status, 415)
  assert.equal(form.code, 'unsupported-media-type')
  assert.match(form.message, /must be JSON \(Content-Type: application\/json\), not application\/x-www-form-urlencoded/)
  assert.equal(api.commands.records.length, 0)
})

test('a 2 MB body is 413 with the limit in the message', async (t) => {
  const api = await startApi(t)
  const error = await errorOf(await api.post(`${LIVING}/setpoint`, JSON.stringify({ value: 21, pad: 'x'.repeat(2 * 1024 * 1024) })))
  assert.deepEqual([error.status, error.code], [413, 'payload-too-large'])
  assert.match(error.message, /16 kB at most/)
})

test('a setpoint off the half-degree grid is 400, and GET /api/limits serves the rule the API checks', async (t) => {
  const api = await startApi(t)
  const error = await errorOf(await api.post(`${LIVING}/setpoint`, { value: 21.3 }))
  assert.deepEqual([error.status, error.field], [400, 'value'])
  assert.match(error.message, /in steps of 0\.5 °C/)
  assert.equal((await api.post(`${LIVING}/setpoint`, { value: 21.5 })).status, 202)
  const limits = await api.get('/api/limits')
  assert.deepEqual([limits.status, await limits.json()], [200, { setpoint: { min: 5, max: 35, step: 0.5 } }])
})

test('a setpoint for an unknown device is 404 before its body is looked at', async (t) => {
  const api = await startApi(t)
  const error = await errorOf(await api.post('/api/devices/home%2Fattic/setpoint', {}))
  assert.deepEqual([error.status, error.code], [404, 'unknown-device'])
})

test('GET /api/devices/:id/commands lists the newest first, up to limit', async (t) => {
  const api = await startApi(t)
  for (const value of [19, 20, 21]) await api.post(`${LIVING}/setpoint`, { value })
  const all = (await (await api.get(`${LIVING}/commands`)).json()) as { commands: CommandRecord[] }
  assert.deepEqual(
    all.commands.map((command) => command.value),
    [21, 20, 19]
  )
  const one = (await (await api.get(`${LIVING}/commands?limit=1`)).json()) as { commands: CommandRecord[] }
  assert.deepEqual(
    one.commands.map((command) => command.value),
    [21]
  )
  const bad = await errorOf(await api.get(`${LIVING}/commands?limit=0`))
  assert.deepEqual([bad.status, bad.field], [400, 'limit'])
  assert.equal((await api.get('/api/devices/x%2Fy/commands')).status, 404)
})

test('an error the command desk throws on purpose keeps its code; an unexpected one is a logged 500 without details', async (t) => {
  const api = await startApi(t)
  api.commands.fail = new Error('socket closed at 10.0.0.7')
  const error = await errorOf(await api.post(`${LIVING}/setpoint`, { value: 20 }))
  assert.deepEqual([error.status, error.code], [500, 'internal'])
  assert.doesNotMatch(error.message, /10\.0\.0\.7/)
  assert.ok(
    api.logs.some((line) => line.level === 50 && line.err?.message === 'socket closed at 10.0.0.7'),
    'logged with its cause'
  )
  api.commands.fail = new ServiceError('broker-unavailable')
  const known = await errorOf(await api.post(`${LIVING}/setpoint`, { value: 20 }))
  assert.deepEqual([known.status, known.code], [503, 'broker-unavailable'])
})
