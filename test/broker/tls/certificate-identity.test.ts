import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerCertificate } from 'node:tls'
import { identityOf } from '../../../broker/listeners/certificate-identity.js'

/** Which name of a client certificate becomes the user name: the CN, else the first SAN's value. */

const certificate = (subject: Record<string, string | string[]>, subjectaltname?: string): PeerCertificate =>
  ({ subject, subjectaltname }) as unknown as PeerCertificate

test('the CN wins; with several CNs the first; without one the first SAN, without its kind', () => {
  assert.equal(identityOf(certificate({ CN: 'alice', O: 'x' }, 'DNS:other')), 'alice')
  assert.equal(identityOf(certificate({ CN: ['alice', 'bob'] })), 'alice')
  assert.equal(identityOf(certificate({ O: 'x' }, 'email:sensor@example.org, DNS:sensor.local')), 'sensor@example.org')
  assert.equal(identityOf(certificate({ O: 'x' }, 'DNS:sensor-7.local')), 'sensor-7.local')
  assert.equal(identityOf(certificate({ O: 'x' })), undefined)
  assert.equal(identityOf({} as PeerCertificate), undefined)
})
