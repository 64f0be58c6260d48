import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRedisUrl, RedisUrlError } from '../../../broker/store/redis-url.js'

test('redis:// and rediss:// name one server, with credentials and a database', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380/2'), {
    topology: 'single',
    tls: false,
    endpoints: [{ host: '127.0.0.1', port: 6380 }],
    username: undefined,
    password: undefined,
    db: 2,
    masterName: undefined,
    display: 'redis://127.0.0.1:6380/2'
  })
  const secure = parseRedisUrl('rediss://app:s%40cret@redis.example:6390')
  assert.equal(secure.tls, true)
  assert.equal(secure.username, 'app')
  assert.equal(secure.password, 's@cret')
  assert.equal(secure.db, 0)
  assert.equal(secure.display, 'rediss://app:***@redis.example:6390', 'the password never reaches a message')
  assert.deepEqual(parseRedisUrl('redis://[::1]').endpoints, [{ host: '::1', port: 6379 }])
  assert.equal(parseRedisUrl('redis://only-a-password@h:1/').password, 'only-a-password')
  assert.equal(parseRedisUrl('redis://only-a-password@h:1/').display, 'redis://***@h:1/')
})

test('redis+sentinel:// names the Sentinels and the primary; redis-cluster:// the seed nodes', () => {
  const sentinel = parseRedisUrl('redis+sentinel://pw@10.0.0.1:26380,10.0.0.2/mymaster/3')
  assert.equal(sentinel.topology, 'sentinel')
  assert.deepEqual(sentinel.endpoints, [
    { host: '10.0.0.1', port: 26380 },
    { host: '10.0.0.2', port: 26379 }
  ])
  assert.equal(sentinel.masterName, 'mymaster')
  assert.equal(sentinel.db, 3)
  assert.equal(sentinel.password, 'pw')
  const cluster = parseRedisUrl('redis-cluster://a:7000,b:7001,c')
  assert.equal(cluster.topology, 'cluster')
  assert.deepEqual(
    cluster.endpoints.map(({ host, port }) => `${host}:${port}`),
    ['a:7000', 'b:7001', 'c:6379']
  )
})

test('a bad URL is refused with a message naming the part that is wrong, and without its password', () => {
  const refusals: Array<[string, RegExp]> = [
    ['localhost:6379', /^bad Redis URL localhost:6379: not a URL/],
    ['http://h:1', /unknown scheme 'http:\/\/'/],
    ['redis://h:99999', /port of host 'h' '99999' is not a number from 1 to 65535/],
    ['redis://h:port', /port of host 'h' 'port' is not a number/],
    ['redis://h:1/zero', /database 'zero' is not a number/],
    ['redis://h:1/0/extra', /'\/0\/extra' has more parts than a database number/],
    ['redis://a:1,b:2', /redis:\/\/ takes one host, not 'a:1,b:2'/],
    ['redis://h:1?db=2', /'\?db=2' is not understood: the URL takes no query/],
    ['redis+sentinel://h:26379', /the primary's name is missing/],
    ['redis-cluster://a:1,b:2/1', /'\/1': a Redis Cluster has only database 0/],
    ['redis-cluster://a:1,,b:2', /a host is missing/],
    ['redis://::1:6379', /write an IPv6 address in brackets/],
    ['redis://user:secret@h:0', /^bad Redis URL redis:\/\/user:\*\*\*@h:0: port of host 'h' '0'/]
  ]
  for (const [url, expected] of refusals) {
    assert.throws(
      () => parseRedisUrl(url),
      (error: unknown) => {
        assert.ok(error instanceof RedisUrlError, `${url}: ${String(error)}`)
        assert.match(error.message, expected, url)
        assert.doesNotMatch(error.message, /secret/, url)
        return true
      }
    )
  }
})
