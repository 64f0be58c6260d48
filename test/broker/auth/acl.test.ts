import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { type Acl, AclParseError, loadAcl, parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import type { ClientIdentity } from '../../../broker/auth/hooks.js'

/** The ACL file (Mosquitto's acl_file format): parsing, and what each kind of rule grants or denies. */

function client(clientId: string, username?: string): ClientIdentity {
  return { clientId, username, remoteAddress: '127.0.0.1' }
}

/** What `who` may do on `topic`: 'r', 'w', 'rw' or '-'. */
function access(acl: Acl, who: ClientIdentity, topic: string): string {
  const rules = acl.forClient(who)
  const r = rules.canRead(topic) ? 'r' : ''
  const w = rules.canWrite(topic) ? 'w' : ''
  return r + w === '' ? '-' : r + w
}

describe('parsing', () => {
  test('every keyword and access word, comments, blank lines, CRLF; no access word means readwrite', () => {
    const acl = parseAcl(
      [
        '# a comment',
        '',
        'topic read public/#',
        'user alice',
        '  topic write a/w  ',
        'topic readwrite a/rw\r',
        'topic deny a/d',
        'topic a/default',
        '\tpattern read p/%u/%c',
        'user bob smith',
        'topic read b/r'
      ].join('\n'),
      'test.acl'
    )
    assert.deepEqual(acl.rules, [
      { kind: 'topic', user: undefined, access: 'read', topic: 'public/#', line: 3 },
      { kind: 'topic', user: 'alice', access: 'write', topic: 'a/w', line: 5 },
      { kind: 'topic', user: 'alice', access: 'readwrite', topic: 'a/rw', line: 6 },
      { kind: 'topic', user: 'alice', access: 'deny', topic: 'a/d', line: 7 },
      { kind: 'topic', user: 'alice', access: 'readwrite', topic: 'a/default', line: 8 },
      { kind: 'pattern', user: undefined, access: 'read', topic: 'p/%u/%c', line: 9 },
      { kind: 'topic', user: 'bob smith', access: 'read', topic: 'b/r', line: 11 }
    ])
  })

  test('a topic with spaces after an access word', () => {
    const acl = parseAcl('topic read $SYS/broker/retained messages/count')
    assert.equal(acl.rules[0].topic, '$SYS/broker/retained messages/count')
    assert.equal(access(acl, client('c'), '$SYS/broker/retained messages/count'), 'r')
  })

  const errors: Array<{ text: string; line: number; problem: RegExp }> = [
    { text: 'topic read a\nuser', line: 2, problem: /'user' without a user name/ },
    { text: '\n\nacl read a', line: 3, problem: /unknown keyword 'acl'/ },
    { text: 'topic', line: 1, problem: /'topic' without a topic/ },
    { text: 'pattern   ', line: 1, problem: /'pattern' without a topic/ },
    { text: 'topic write', line: 1, problem: /(unknown access|without a topic)/ },
    { text: 'topic read ', line: 1, problem: /(unknown access|without a topic)/ },
    { text: '# ok\ntopic raed a/b', line: 2, problem: /unknown access 'raed'/ },
    { text: 'topic read a/#/b', line: 1, problem: /invalid topic 'a\/#\/b'.*'#' must be the last level/ },
    { text: 'topic read a/b+', line: 1, problem: /invalid topic .*'\+' must occupy a whole level/ },
    { text: 'pattern read a//x#', line: 1, problem: /invalid topic/ },
    { text: 'topic read $share/g/a', line: 1, problem: /\$share/ },
    { text: 'user alice\ntopic read home/%u', line: 2, problem: /%u and %c are substituted only in 'pattern' lines/ }
  ]
  for (const { text, line, problem } of errors) {
    test(`error at line ${line}: ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseAcl(text, 'broker.acl'),
        (error: unknown) => {
          assert.ok(error instanceof AclParseError)
          assert.equal(error.file, 'broker.acl')
          assert.equal(error.line, line)
          assert.match(error.message, new RegExp(`^broker\\.acl:${line}: `))
          assert.match(error.problem, problem)
          return true
        }
      )
    })
  }

  test('loadAcl reads a file and names its path in errors', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'thermopost-acl-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const good = join(dir, 'good.acl')
    await writeFile(good, 'user alice\ntopic alice/#\n')
    assert.equal(access(await loadAcl(good), client('c', 'alice'), 'alice/x'), 'rw')
    const bad = join(dir, 'bad.acl')
    await writeFile(bad, 'user alice\ntopic alice/#\ntopic read a/#/b\n')
    await assert.rejects(loadAcl(bad), (error: unknown) => error instanceof AclParseError && error.message.startsWith(`${bad}:3: `))
  })
})

describe('topic rules', () => {
  const acl = parseAcl(`
topic read public/#
topic write public/anon
user alice
topic read r/alice
topic write w/alice
topic readwrite rw/alice
topic rw/default
topic readwrite shared/#
topic deny shared/secret
topic deny shared/+/hidden
user bob
topic readwrite shared/#
`)
  const alice = client('a1', 'alice')

  test('read, write, readwrite, and readwrite by default', () => {
    assert.equal(access(acl, alice, 'r/alice'), 'r')
    assert.equal(access(acl, alice, 'w/alice'), 'w')
    assert.equal(access(acl, alice, 'rw/alice'), 'rw')
    assert.equal(access(acl, alice, 'rw/default'), 'rw')
  })

  test('everything not granted is denied', () => {
    assert.equal(access(acl, alice, 'r/alice/deeper'), '-')
    assert.equal(access(acl, alice, 'r'), '-')
    assert.equal(access(acl, alice, 'elsewhere'), '-')
    assert.equal(access(parseAcl(''), client('c'), 'anything'), '-')
    assert.equal(access(parseAcl('# only comments'), client('c', 'alice'), 'anything'), '-')
  })

  test('deny wins over a grant, whatever the order', () => {
    assert.equal(access(acl, alice, 'shared/open'), 'rw')
    assert.equal(access(acl, alice, 'shared/secret'), '-')
    assert.equal(access(acl, alice, 'shared/x/hidden'), '-')
    assert.equal(access(acl, alice, 'shared/x/shown'), 'rw')
    const reversed = parseAcl('topic deny a/b\ntopic readwrite a/#')
    assert.equal(access(reversed, client('c'), 'a/b'), '-')
    assert.equal(access(reversed, client('c'), 'a/c'), 'rw')
  })

  test("a user's section applies to that user only; the section before any user line to anonymous clients only", () => {
    const bob = client('b1', 'bob')
    assert.equal(access(acl, bob, 'shared/secret'), 'rw', "alice's deny is not bob's")
    assert.equal(access(acl, bob, 'rw/alice'), '-')
    const anonymous = client('anon')
    assert.equal(access(acl, anonymous, 'public/news'), 'r')
    assert.equal(access(acl, anonymous, 'public/anon'), 'rw', 'read by public/#, written by public/anon')
    assert.equal(access(acl, anonymous, 'rw/alice'), '-')
    assert.equal(access(acl, alice, 'public/news'), '-', 'the anonymous section is not a default for users')
    assert.equal(access(acl, client('x', 'carol'), 'public/news'), '-', 'a user without a section gets nothing')
    assert.equal(access(acl, client('x', ''), 'public/news'), '-', 'an empty user name is a user name')
  })

  test('sections with the same user name merge', () => {
    const merged = parseAcl('user alice\ntopic read a\nuser bob\ntopic read b\nuser alice\ntopic write c')
    assert.equal(access(merged, alice, 'a'), 'r')
    assert.equal(access(merged, alice, 'c'), 'w')
    assert.equal(access(merged, alice, 'b'), '-')
  })

  test('rule wildcards match topics as subscriptions do', () => {
    const wild = parseAcl('topic read a/+/c\ntopic read x/#\ntopic read +\ntopic read /+')
    const c = client('c')
    assert.equal(access(wild, c, 'a/b/c'), 'r')
    assert.equal(access(wild, c, 'a//c'), 'r', '+ matches an empty level')
    assert.equal(access(wild, c, 'a/b/c/d'), '-')
    assert.equal(access(wild, c, 'x'), 'r', 'x/# matches x [MQTT-4.7.1-2]')
    assert.equal(access(wild, c, 'x/y/z'), 'r')
    assert.equal(access(wild, c, 'xy'), 'r', '+ matches one level')
    assert.equal(access(wild, c, '/q'), 'r')
    assert.equal(access(wild, c, 'p/q'), '-')
  })
})

describe('pattern rules', () => {
  const acl = parseAcl(`
pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern write log/%u/%c
pattern write tag/th-%c
pattern deny devices/%c/config
pattern read announcements
user alice
topic read devices/+/state
`)

  test('%c is the client id, for every client', () => {
    assert.equal(access(acl, client('th-1'), 'devices/th-1/temp'), 'rw')
    assert.equal(access(acl, client('th-1', 'alice'), 'devices/th-1/temp'), 'rw')
    assert.equal(access(acl, client('th-1'), 'devices/th-2/temp'), '-')
    assert.equal(access(acl, client('th-1'), 'tag/th-th-1'), 'w', 'substituted inside a level too, as in Mosquitto')
  })

  test('%u is the user name; a pattern with %u does not apply to clients without one', () => {
    assert.equal(access(acl, client('c', 'alice'), 'users/alice/inbox'), 'r')
    assert.equal(access(acl, client('c', 'alice'), 'users/bob/inbox'), '-')
    assert.equal(access(acl, client('c1', 'alice'), 'log/alice/c1'), 'w')
    assert.equal(access(acl, client('c1'), 'log/%u/c1'), '-')
    assert.equal(access(acl, client('c1'), 'log//c1'), '-')
  })

  test('patterns without a substitution apply to everyone, alongside the section', () => {
    assert.equal(access(acl, client('c'), 'announcements'), 'r')
    assert.equal(access(acl, client('c', 'alice'), 'announcements'), 'r')
    assert.equal(access(acl, client('c', 'alice'), 'devices/x/state'), 'r')
  })

  test("a pattern deny wins over the client's own grants and over a user section's", () => {
    assert.equal(access(acl, client('th-1'), 'devices/th-1/config'), '-')
    const both = parseAcl('user alice\ntopic readwrite devices/#\npattern deny devices/%c/config')
    assert.equal(access(both, client('th-1', 'alice'), 'devices/th-1/config'), '-')
    assert.equal(access(both, client('th-1', 'alice'), 'devices/th-2/config'), 'rw')
  })

  test("a client id or user name with '/', '+' or '#' gets no access once a pattern would substitute it", () => {
    for (const id of ['a/b', 'a+', 'a#']) {
      assert.equal(access(acl, client(id), 'announcements'), '-', `client id ${id}`)
      assert.equal(access(acl, client(id), `devices/${id}/temp`), '-', `client id ${id}`)
    }
    assert.equal(access(acl, client('c', 'eve/x'), 'announcements'), '-')
    const noClientPatterns = parseAcl('user a/b\ntopic read t')
    assert.equal(access(noClientPatterns, client('x/y', 'a/b'), 't'), 'r', 'no pattern, nothing to widen')
  })
})

describe('$SYS and other $ topics', () => {
  test("wildcard rules never reach $ topics: '#' and '+/...' do not grant $SYS", () => {
    const acl = parseAcl('topic readwrite #\ntopic read +/broker/#')
    assert.equal(access(acl, client('c'), '$SYS/broker/version'), '-')
    assert.equal(access(acl, client('c'), '$app/x'), '-')
    assert.equal(access(acl, client('c'), 'app/x'), 'rw')
    const rules = acl.forClient(client('c'))
    assert.equal(rules.canSubscribe('$SYS/#'), false)
    assert.equal(rules.canSubscribe('$SYS/broker/version'), false)
    assert.equal(rules.canSubscribe('#'), true, '# does not match $SYS, so granting it grants no $SYS')
  })

  test('a rule naming $SYS grants it', () => {
    const acl = parseAcl('user admin\ntopic read $SYS/#\nuser ops\ntopic read $SYS/broker/+')
    assert.equal(access(acl, client('c', 'admin'), '$SYS/broker/clients/connected'), 'r')
    assert.equal(access(acl, client('c', 'ops'), '$SYS/broker/version'), 'r')
    assert.equal(access(acl, client('c', 'ops'), '$SYS/broker/clients/connected'), '-')
    assert.equal(acl.forClient(client('c', 'admin')).canSubscribe('$SYS/#'), true)
    assert.equal(acl.forClient(client('c', 'ops')).canSubscribe('$SYS/#'), true, 'it reaches $SYS/broker/+, which ops reads')
    assert.equal(acl.forClient(client('c', 'ops')).canSubscribe('$SYS/broker/+'), true)
    assert.equal(acl.forClient(client('c', 'ops')).canSubscribe('$SYS/broker/clients/+'), false, 'nothing in it is readable')
    assert.equal(acl.forClient(client('c')).canSubscribe('$SYS/#'), false, 'no rule for anonymous clients')
  })

  test("a deny '#' does not deny $SYS (MQTT wildcard rules), but nothing reads $SYS without a grant", () => {
    const acl = parseAcl('topic read $SYS/#\ntopic deny #')
    assert.equal(access(acl, client('c'), '$SYS/broker/version'), 'r')
    assert.equal(access(acl, client('c'), 'a'), '-')
  })
})

describe('subscriptions', () => {
  // Each rule is a read rule; the filter is granted when it can match a topic the rule reads, and refused when it can match none.
  const cases: Array<{ rule: string; granted: string[]; refused: string[] }> = [
    { rule: 'a/b', granted: ['a/b', 'a/+', 'a/#', '#', '+/b', '+/+'], refused: ['a', 'a/b/c', 'a/c', 'b/#', '+', '$SYS/#'] },
    { rule: 'a/+', granted: ['a/b', 'a/+', 'a/', 'a/#', '#', '+/b', '+/+'], refused: ['a', 'a/b/c', 'b/+', '+'] },
    { rule: 'a/#', granted: ['a', 'a/b', 'a/+', 'a/#', 'a/b/#', 'a/+/c', '#', '+/b', '+'], refused: ['b', 'b/#', '$SYS/#'] },
    { rule: '+/b', granted: ['a/b', '+/b', '#', '+/+'], refused: ['$SYS/b', '+/b/c', 'a/c', 'a'] },
    { rule: '#', granted: ['#', 'a', '+/+', 'a/#', '+'], refused: ['$SYS/#', '$SYS', '$app/+'] },
    { rule: 'a/+/#', granted: ['a/b', 'a/+', 'a/b/#', 'a/+/#', 'a/#'], refused: ['a', 'b/+'] },
    { rule: '$SYS/#', granted: ['$SYS/#', '$SYS/broker/+', '$SYS'], refused: ['#', '+/broker/version', '$SYSTEM/x'] }
  ]
  for (const { rule, granted, refused } of cases) {
    test(`read rule ${rule}: grants ${granted.join(' ')}, which match a topic it reads; refuses ${refused.join(' ')}`, () => {
      const rules = parseAcl(`topic read ${rule}`).forClient(client('c'))
      for (const filter of granted) assert.equal(rules.canSubscribe(filter), true, `${filter} under ${rule}`)
      for (const filter of refused) assert.equal(rules.canSubscribe(filter), false, `${filter} under ${rule}`)
    })
  }

  test('a write rule grants no subscription', () => {
    assert.equal(parseAcl('topic write a/#').forClient(client('c')).canSubscribe('a/b'), false)
  })

  test('a filter is refused only when every topic it can match is denied; one that overlaps a deny is granted', () => {
    const rules = parseAcl('topic read s/#\ntopic deny s/secret\ntopic deny s/p/#').forClient(client('c'))
    for (const filter of ['s/secret', 's/p', 's/p/+', 's/p/#', '+/secret']) assert.equal(rules.canSubscribe(filter), false, filter)
    for (const filter of ['s/open', 's/#', 's/+', 's/+/x', '#', 's/secret/x', 's/secret/#']) {
      assert.equal(rules.canSubscribe(filter), true, `${filter}: delivery checks keep s/secret and s/p/# away`)
    }
    assert.equal(rules.canRead('s/secret'), false)
    assert.equal(rules.canRead('s/secret/x'), true)
    assert.equal(rules.canRead('s/open'), true)
  })

  test("the issue's two-line ACL: '#' is granted, test/nosubscribe refused", () => {
    const rules = parseAcl('topic readwrite #\ntopic deny test/nosubscribe').forClient(client('c'))
    assert.equal(rules.canSubscribe('#'), true)
    assert.equal(rules.canSubscribe('test/+'), true)
    assert.equal(rules.canSubscribe('test/nosubscribe'), false)
    assert.equal(rules.canRead('test/nosubscribe'), false)
    assert.equal(rules.canRead('test/other'), true)
  })

  test("denies that together cover a filter's '#' refuse it; a level below them left open grants it", () => {
    const covered = parseAcl('topic read #\ntopic deny a\ntopic deny a/+/#').forClient(client('c'))
    assert.equal(covered.canSubscribe('a/#'), false, 'a and a/+/# are all of a/#')
    assert.equal(covered.canSubscribe('b/#'), true)
    const open = parseAcl('topic read #\ntopic deny a\ntopic deny a/+').forClient(client('c'))
    assert.equal(open.canSubscribe('a/#'), true, 'a/x/y is readable')
    assert.equal(open.canSubscribe('a/+'), false)
    const everything = parseAcl('topic read #\ntopic deny +/#').forClient(client('c'))
    assert.equal(everything.canSubscribe('#'), false, '+/# denies every topic # matches')
    assert.equal(everything.canSubscribe('+/x/#'), false)
  })

  test('a deny in one section or pattern refuses what a grant in another reaches, when it covers it all', () => {
    const acl = parseAcl(
      'user alice\ntopic read devices/#\npattern deny devices/%c/#\npattern read inbox/%u/#\ntopic deny inbox/alice/private'
    )
    const alice = acl.forClient(client('th-1', 'alice'))
    assert.equal(alice.canSubscribe('devices/th-1/+'), false)
    assert.equal(alice.canSubscribe('devices/+/temp'), true, 'devices/th-2/temp is readable')
    assert.equal(alice.canSubscribe('inbox/alice/#'), true)
    assert.equal(alice.canSubscribe('inbox/alice/private'), false)
    assert.equal(alice.canSubscribe('inbox/bob/#'), false)
  })

  test('the $ rule holds for deny rules too: # is granted beside a deny on $SYS', () => {
    const rules = parseAcl('topic read #\ntopic read $SYS/#\ntopic deny $SYS/broker/clients/#').forClient(client('c'))
    assert.equal(rules.canSubscribe('#'), true)
    assert.equal(rules.canSubscribe('$SYS/#'), true, '$SYS/broker/version is readable')
    assert.equal(rules.canSubscribe('$SYS/broker/version'), true)
    assert.equal(rules.canSubscribe('$SYS/broker/clients/+'), false)
    assert.equal(rules.canSubscribe('+/broker/clients/x'), true, 'a wildcard first level does not reach $SYS')
  })
})

describe('AclAuthorizer', () => {
  const acl = parseAcl('user alice\ntopic readwrite alice/#\ntopic deny alice/secret\ntopic read news/+\npattern write devices/%c')

  test('authorizeSubscribe: the QoS asked for, or 0x87; a shared subscription is judged by its filter', () => {
    const auth = new AclAuthorizer(acl)
    const alice = client('a1', 'alice')
    assert.equal(auth.authorizeSubscribe(alice, 'news/today', 2), 2)
    assert.equal(auth.authorizeSubscribe(alice, 'news/#', 1), 1, 'news/x is readable')
    assert.equal(auth.authorizeSubscribe(alice, 'bob/#', 1), 0x87)
    assert.equal(auth.authorizeSubscribe(alice, '$share/g/news/today', 1), 1)
    assert.equal(auth.authorizeSubscribe(alice, '$share/g/other', 1), 0x87)
    assert.equal(auth.authorizeSubscribe(alice, 'alice/#', 1), 1, 'overlaps the deny: granted, deliveries are checked')
    assert.equal(auth.authorizeSubscribe(alice, 'alice/secret', 1), 0x87)
  })

  test('authorizePublish and authorizeRead', () => {
    const auth = new AclAuthorizer(acl)
    const alice = client('a1', 'alice')
    assert.equal(auth.authorizePublish(alice, 'alice/x', 1, false), true)
    assert.equal(auth.authorizePublish(alice, 'alice/secret', 0, true), false)
    assert.equal(auth.authorizePublish(alice, 'news/today', 0, false), false)
    assert.equal(auth.authorizePublish(alice, 'devices/a1', 2, false), true)
    assert.equal(auth.authorizeRead(alice, 'news/today'), true)
    assert.equal(auth.authorizeRead(alice, 'alice/secret'), false)
    assert.equal(auth.authorizeRead(alice, 'devices/a1'), false)
  })

  test('authentication is delegated to the function given', async () => {
    assert.equal(await new AclAuthorizer(acl).authenticate({ ...client('c'), password: undefined, anonymousAllowed: false }), 0)
    const refuse = new AclAuthorizer(acl, (credentials) => (credentials.username === 'alice' ? 0 : 0x86))
    assert.equal(await refuse.authenticate({ ...client('c', 'alice'), password: undefined, anonymousAllowed: false }), 0)
    assert.equal(await refuse.authenticate({ ...client('c', 'bob'), password: undefined, anonymousAllowed: false }), 0x86)
  })

  test('the cached rules follow a changed identity and a replaced ACL', () => {
    const auth = new AclAuthorizer(acl)
    const who = client('a1', 'alice')
    assert.equal(auth.authorizePublish(who, 'alice/x', 0, false), true)
    who.username = 'bob'
    assert.equal(auth.authorizePublish(who, 'alice/x', 0, false), false)
    who.username = 'alice'
    assert.equal(auth.authorizePublish(who, 'alice/x', 0, false), true)
    auth.replace(parseAcl('user alice\ntopic read alice/#'))
    assert.equal(auth.authorizePublish(who, 'alice/x', 0, false), false)
    assert.equal(auth.authorizeRead(who, 'alice/x'), true)
  })

  test('reads are checked on delivery, and rulesVersion tells cached answers apart across a reload', () => {
    const auth = new AclAuthorizer(acl)
    assert.equal(auth.reads, auth)
    const before = auth.reads.rulesVersion
    const subscriber = { clientId: 'a1', username: 'alice' }
    assert.equal(auth.authorizeRead(subscriber, 'alice/x'), true)
    auth.replace(parseAcl('user alice\ntopic deny alice/#'))
    assert.notEqual(auth.reads.rulesVersion, before)
    assert.equal(auth.authorizeRead(subscriber, 'alice/x'), false)
  })

  test('the per-topic cache stays bounded and keeps answering right', () => {
    const rules = acl.forClient(client('a1', 'alice'))
    for (let i = 0; i < 2000; i++) assert.equal(rules.canWrite(`alice/${i}`), true)
    assert.equal(rules.canWrite('alice/secret'), false)
    assert.equal(rules.canWrite('alice/7'), true)
  })
})
