import type { DirectiveHandler } from './mosquitto-conversion.js'

/**
 * Mosquitto directives with no counterpart here: those that change nothing a client sees are skipped with a
 * note; those that would are refused with why, so that a converted broker never quietly behaves otherwise.
 */

function ignored(why: string): DirectiveHandler {
  return (directive, conversion) => conversion.note(directive, `ignored: ${why}`)
}

function refused(why: string): DirectiveHandler {
  return (directive, conversion) => conversion.refuse(directive, `${directive.name}: ${why}`)
}

const logging = ignored(
  'thermopost logs one JSON line per event on stdout (THERMOPOST_LOG_LEVEL sets the level); send it where you need with systemd or a pipe'
)
const plugins = refused('thermopost loads no Mosquitto plugins; it reads password_file and acl_file itself')

export const otherDirectives: Record<string, DirectiveHandler> = {
  log_dest: logging,
  log_type: logging,
  log_facility: logging,
  log_timestamp: logging,
  log_timestamp_format: logging,
  connection_messages: ignored('connections and disconnections are always logged'),
  websockets_log_level: logging,
  websockets_headers_size: ignored('the WebSocket server sizes its headers itself'),
  pid_file: ignored('thermopost writes no pid file; systemd tracks the process'),
  user: ignored('thermopost does not change user: start it as the user it should run as (systemd User=)'),
  autosave_interval: ignored('every acknowledged message is committed to the store, not saved now and then'),
  autosave_on_changes: ignored('every acknowledged message is committed to the store, not saved now and then'),
  persistence_file: ignored('the store file is broker.db in data_dir'),
  set_tcp_nodelay: ignored('thermopost batches its own writes'),
  allow_duplicate_messages: ignored('deprecated in Mosquitto 2; every matching subscription gets its copy once'),
  capath: refused('thermopost reads CA certificates from one cafile; concatenate the directory into one PEM file'),
  ciphers: refused("thermopost uses Node's default TLS 1.2 ciphers"),
  'ciphers_tls1.3': refused("thermopost uses Node's default TLS 1.3 cipher suites"),
  dhparamfile: refused('thermopost uses elliptic-curve key exchange only'),
  tls_engine: refused('thermopost reads its private key from keyfile only'),
  tls_keyform: refused('thermopost reads its private key from keyfile only'),
  tls_engine_kpass_sha1: refused('thermopost reads its private key from keyfile only'),
  psk_file: refused('thermopost has no TLS pre-shared keys'),
  psk_hint: refused('thermopost has no TLS pre-shared keys'),
  use_subject_as_username: refused('thermopost takes the certificate CN as the user name (use_identity_as_username), not the subject'),
  use_username_as_clientid: refused('thermopost keeps the client id the client sends'),
  mount_point: refused('thermopost has no mount points'),
  http_dir: refused('thermopost serves no files over the WebSocket listener'),
  bind_interface: refused('thermopost binds to an address (listener PORT ADDRESS), not an interface'),
  auto_id_prefix: refused("thermopost's assigned client ids have a prefix of their own"),
  clientid_prefixes: refused('thermopost does not restrict client ids by prefix; use the ACL for access'),
  include_dir: refused('is read only from the main configuration file'),
  auth_plugin: plugins,
  plugin: plugins,
  global_plugin: plugins
}

/** `auth_opt_*` and `plugin_opt_*` configure a plugin, which is refused above. */
export function isPluginOption(name: string): boolean {
  return name.startsWith('auth_opt_') || name.startsWith('plugin_opt_')
}
