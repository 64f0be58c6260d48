import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A throw-away PKI for the TLS tests, made with the system's `openssl` (Debian's, at /usr/bin/openssl):
 * a CA with a server certificate for 127.0.0.1 and localhost, a second server certificate (for reloads),
 * client certificates (good, revoked, expired) and a CRL, and a second CA with a client certificate of its
 * own. EC P-256 keys, so making it all takes a fraction of a second. Make one per test file; `remove()` after.
 */

export interface KeyPair {
  /** PEM certificate file. */
  cert: string
  /** PEM private key file (unencrypted). */
  key: string
}

export interface TestPki {
  dir: string
  /** The CA the broker trusts for client certificates, and clients trust for the server. */
  ca: string
  /** The CA's CRL, listing `revoked`. */
  crl: string
  server: KeyPair
  /** Another server certificate from the same CA, with another serial: what a reload swaps in. */
  server2: KeyPair
  /** Client certificates from the CA: CN `alice` (good), `mallory` (revoked), `old-device` (expired). */
  client: KeyPair
  revoked: KeyPair
  expired: KeyPair
  /** CN `alice` too, but from another CA the broker does not trust. */
  otherCaClient: KeyPair
  otherCa: string
  remove(): void
}

const CONFIG = (dir: string): string => `
[ ca ]
default_ca = ca_default

[ ca_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn

[ req_dn ]

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost

[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
`

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (error) {
    throw new Error(`openssl ${args.join(' ')} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`)
  }
}

class TestCa {
  readonly config: string
  readonly cert: string
  readonly key: string

  constructor(
    readonly dir: string,
    name: string
  ) {
    mkdirSync(join(dir, 'newcerts'), { recursive: true })
    writeFileSync(join(dir, 'index.txt'), '')
    writeFileSync(join(dir, 'serial'), '1000\n')
    writeFileSync(join(dir, 'crlnumber'), '1000\n')
    this.config = join(dir, 'ca.cnf')
    writeFileSync(this.config, CONFIG(dir))
    this.cert = join(dir, 'ca.crt')
    this.key = join(dir, 'ca.key')
    openssl([
      'req',
      '-x509',
      '-new',
      ...EC_KEY,
      '-keyout',
      this.key,
      '-out',
      this.cert,
      '-subj',
      `/CN=${name}`,
      '-days',
      '30',
      '-config',
      this.config,
      '-extensions',
      'ca_ext'
    ])
  }

  /** A key and a certificate signed by this CA; `dates` makes it valid only then (YYYYMMDDHHMMSSZ). */
  issue(name: string, cn: string, extensions: 'server_ext' | 'client_ext', dates?: { start: string; end: string }): KeyPair {
    const pair = { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) }
    const csr = join(this.dir, `${name}.csr`)
    openssl(['req', '-new', ...EC_KEY, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${cn}`, '-config', this.config])
    const validity = dates === undefined ? ['-days', '30'] : ['-startdate', dates.start, '-enddate', dates.end]
    openssl(['ca', '-batch', '-notext', '-config', this.config, '-extensions', extensions, '-in', csr, '-out', pair.cert, ...validity])
    return pair
  }

  revoke(pair: KeyPair): void {
    openssl(['ca', '-config', this.config, '-revoke', pair.cert])
  }

  crl(file: string): string {
    openssl(['ca', '-config', this.config, '-gencrl', '-out', file])
    return file
  }
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-tls-'))
  try {
    const ca = new TestCa(join(dir, 'ca'), 'thermopost test CA')
    const other = new TestCa(join(dir, 'other-ca'), 'some other CA')
    const server = ca.issue('server', 'localhost', 'server_ext')
    const server2 = ca.issue('server2', 'localhost', 'server_ext')
    const client = ca.issue('alice', 'alice', 'client_ext')
    const revoked = ca.issue('mallory', 'mallory', 'client_ext')
    const expired = ca.issue('old-device', 'old-device', 'client_ext', { start: '20200101000000Z', end: '20200102000000Z' })
    ca.revoke(revoked)
    const crl = ca.crl(join(dir, 'ca', 'crl.pem'))
    const otherCaClient = other.issue('alice', 'alice', 'client_ext')
    return {
      dir,
      ca: ca.cert,
      crl,
      server,
      server2,
      client,
      revoked,
      expired,
      otherCaClient,
      otherCa: other.cert,
      remove: () => rmSync(dir, { recursive: true, force: true })
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** The file's contents, for `ca` / `cert` / `key` options of mqtt.js and tls.connect. */
export function pem(file: string): Buffer {
  return readFileSync(file)
}
