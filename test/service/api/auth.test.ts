import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiAuth } from '../../../service/api/api-auth.js'
import { T0 } from './api-fakes.js'
import { errorOf, startApi, TOKEN } from './api-server.js'
import { SseClient } from './sse-client.js'

async function login(url: string, token: string): Promise<Response> {
  return await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token })
  })
}

/** The `name=value` part of a Set-Cookie header. */
function cookieOf(response: Response): string {
  return response.headers.get('set-cookie')!.split(';')[0]!
}

test('every route but health and login wants the token: none or a wrong one is 401 unauthorized', async (t) => {
  const api = await startApi(t)
  const health = await fetch(`${api.url}/api/health`)
  assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }])
  const routes = [
    '/api/devices',
    '/api/devices/home%2Fliving-room',
    '/api/devices/home%2Fliving-room/readings',
    '/api/alerts',
    '/api/broker',
    '/api/events',
    '/api/no-such-route'
  ]
  for (const path of routes) {
    assert.deepEqual(
      await errorOf(await fetch(api.url + path)),
      { status: 401, code: 'unauthorized', message: 'a valid API token is needed (Authorization: Bearer ..., or log in)' },
      path
    )
    const wrong = await fetch(api.url + path, { headers: { authorization: `Bearer ${TOKEN}x` } })
    assert.equal(wrong.status, 401, path)
    await wrong.body?.cancel()
  }
  const setpoint = await fetch(`${api.url}/api/devices/home%2Fliving-room/setpoint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"value":20}'
  })
  assert.equal(setpoint.status, 401)
  assert.equal(api.commands.records.length, 0)
  const garbage = await fetch(`${api.url}/api/devices/home%2Fliving-room/setpoint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"val'
  })
  assert.equal(garbage.status, 401, 'a body is not even parsed without the token')
  assert.equal(
    (await fetch(`${api.url}/api/devices`, { headers: { authorization: `bearer  ${TOKEN}` } })).status,
    200,
    'the scheme in any case'
  )
  assert.equal((await fetch(`${api.url}/api/devices`, { headers: { authorization: TOKEN } })).status, 401, 'a token without its scheme')
})

test('login with the token sets an HttpOnly, SameSite=Strict session cookie that is not the token', async (t) => {
  const api = await startApi(t)
  const wrong = await errorOf(await login(api.url, 'guess'))
  assert.deepEqual([wrong.status, wrong.code], [401, 'unauthorized'])
  const missing = await errorOf(
    await fetch(`${api.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  )
  assert.deepEqual([missing.status, missing.field], [400, 'token'])
  const response = await login(api.url, TOKEN)
  assert.equal(response.status, 204)
  const header = response.headers.get('set-cookie')!
  assert.match(
    header,
    /^thermopost_session=[\w-]+\.\d+\.[\w-]+; Path=\/api; Max-Age=604800; HttpOnly; SameSite=Strict$/,
    'no Secure over plain http'
  )
  assert.ok(!header.includes(TOKEN))
  const devices = await fetch(`${api.url}/api/devices`, { headers: { cookie: cookieOf(response) } })
  assert.equal(devices.status, 200)
})

test('the login cookie opens the event stream, as a browser EventSource sends it; logout ends it', async (t) => {
  const api = await startApi(t)
  const cookie = cookieOf(await login(api.url, TOKEN))
  const events = await SseClient.open(`${api.url}/api/events`, { cookie })
  t.after(() => events.close())
  api.live.emit({ type: 'broker', broker: { clientsConnected: 4 } })
  assert.deepEqual(await events.next(), { event: 'broker', data: '{"clientsConnected":4}' })
  const logout = await fetch(`${api.url}/api/logout`, { method: 'POST', headers: { cookie } })
  assert.equal(logout.status, 204)
  assert.match(logout.headers.get('set-cookie')!, /^thermopost_session=; Path=\/api; Max-Age=0; HttpOnly; SameSite=Strict$/)
  assert.equal(
    (await fetch(`${api.url}/api/events`, { headers: { cookie } })).status,
    401,
    'the session is revoked, not only forgotten by the browser'
  )
  assert.equal((await fetch(`${api.url}/api/logout`, { method: 'POST' })).status, 204, 'logging out twice is fine')
})

test('GET /api/session answers 200 whether or not the caller is in, so a page can ask without a 401', async (t) => {
  const api = await startApi(t)
  const state = async (headers: Record<string, string>): Promise<[number, unknown]> => {
    const response = await fetch(`${api.url}/api/session`, { headers })
    return [response.status, await response.json()]
  }
  assert.deepEqual(await state({}), [200, { authenticated: false }])
  assert.deepEqual(await state({ authorization: `Bearer ${TOKEN}x` }), [200, { authenticated: false }])
  assert.deepEqual(await state({ authorization: `Bearer ${TOKEN}` }), [200, { authenticated: true }])
  assert.deepEqual(await state({ cookie: cookieOf(await login(api.url, TOKEN)) }), [200, { authenticated: true }])
})

test('a forged, altered or expired session is refused', async (t) => {
  let now = T0
  const api = await startApi(t, { auth: { token: TOKEN, sessionTtlMs: 60_000, now: () => now } })
  const cookie = cookieOf(await login(api.url, TOKEN))
  const [id, expiresAt, mac] = cookie.split('=')[1]!.split('.')
  const tries = [`${id}.${Number(expiresAt) + 1}.${mac}`, `${id}x.${expiresAt}.${mac}`, `${id}.${expiresAt}`, 'x', '']
  for (const value of tries) {
    assert.equal((await fetch(`${api.url}/api/devices`, { headers: { cookie: `thermopost_session=${value}` } })).status, 401, value)
  }
  assert.equal((await fetch(`${api.url}/api/devices`, { headers: { cookie } })).status, 200)
  now += 60_000
  assert.equal((await fetch(`${api.url}/api/devices`, { headers: { cookie } })).status, 401, 'expired')
})

test('a session outlives a restart with the same token and ends when the token changes', () => {
  const session = new ApiAuth({ token: TOKEN }).newSession()
  const header = (value: string) => [undefined, value] as const
  assert.equal(new ApiAuth({ token: TOKEN }).allows(...header(session)), true)
  assert.equal(new ApiAuth({ token: `${TOKEN}2` }).allows(...header(session)), false)
  assert.throws(() => new ApiAuth({}), /needs a token unless it is open/)
})

test('an open API lets every request in without a token', async (t) => {
  const api = await startApi(t, { auth: { open: true } })
  assert.equal((await fetch(`${api.url}/api/devices`)).status, 200)
  assert.equal((await login(api.url, 'anything')).status, 204)
})
