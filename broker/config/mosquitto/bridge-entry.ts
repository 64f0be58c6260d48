import { pathText } from '../../../common/config/config-problem.js'
import type { Origin } from './mosquitto-conf-lines.js'
import type { BridgeDraft, MosquittoConversion } from './mosquitto-conversion.js'

/** The order of a `bridges:` entry's keys, as config/bridges.ts lists them. */
const keyOrder = [
  'address',
  'protocol_version',
  'client_id',
  'clean_start',
  'username',
  'password',
  'cafile',
  'cert',
  'key',
  'insecure',
  'keepalive',
  'restart_delay',
  'restart_delay_max'
]

/**
 * A Mosquitto bridge section as an entry of our `bridges:` list, each key's line in `origins`. What Mosquitto
 * leaves unsaid is written out where its default differs from ours: 3.1.1 (ours is 5) and its client id at the
 * remote, `<host>.<name>` (so a remote that kept the session of Mosquitto's bridge gives it to ours).
 */
export function bridgeEntry(
  bridge: BridgeDraft,
  index: number,
  host: string,
  conversion: MosquittoConversion,
  origins: Map<string, Origin>
): Record<string, unknown> {
  const path = ['bridges', index]
  origins.set(pathText(path), bridge.origin)
  const { keys } = bridge
  const address = keys.get('address')
  if (address === undefined) conversion.refuse(bridge.origin, `connection ${bridge.name}: a bridge needs an address line`)
  else {
    const scheme = bridge.tls ? 'mqtts' : 'mqtt'
    const urls = (address.value as string[]).map((hostPort) => `${scheme}://${hostPort}`)
    keys.set('address', { value: urls.length === 1 ? urls[0] : urls, origin: address.origin })
  }
  if (bridge.topics.length === 0) conversion.refuse(bridge.origin, `connection ${bridge.name}: a bridge needs at least one topic line`)
  if (!keys.has('protocol_version')) keys.set('protocol_version', { value: '3.1.1', origin: bridge.origin })
  if (!keys.has('client_id')) {
    keys.set('client_id', { value: `${host}.${bridge.name}`, origin: bridge.origin })
    conversion.note(bridge.origin, `client_id ${host}.${bridge.name} at the remote: Mosquitto's remote_clientid on this host`)
  }
  noteDifferences(bridge, conversion)
  const entry: Record<string, unknown> = { name: bridge.name }
  for (const name of keyOrder) {
    const setting = keys.get(name)
    if (setting === undefined) continue
    entry[name] = setting.value
    origins.set(pathText([...path, name]), setting.origin)
  }
  entry.topics = bridge.topics.map(({ value, origin }, topicIndex) => {
    origins.set(pathText([...path, 'topics', topicIndex]), origin)
    return value
  })
  return entry
}

/** Notes where our bridge behaves otherwise than Mosquitto's in ways its clients do not see, or see for the better. */
function noteDifferences(bridge: BridgeDraft, conversion: MosquittoConversion): void {
  const cleanStart = bridge.keys.get('clean_start') as { value: boolean; origin: Origin } | undefined
  const localClean = bridge.localCleanSession ?? cleanStart
  if (localClean?.value === true)
    conversion.note(
      localClean.origin,
      'what waits for the remote is kept in the store across restarts all the same (as with local_cleansession false)'
    )
  const address = bridge.keys.get('address')
  if (address !== undefined && (address.value as string[]).length > 1 && bridge.roundRobin?.value !== true)
    conversion.note(
      address.origin,
      'after a failure the next address is tried and kept while it works, as with round_robin true: thermopost does not go back to the first'
    )
  const notifications = bridge.notifications ?? { value: true, origin: bridge.origin }
  conversion.note(
    notifications.origin,
    notifications.value
      ? `the state is published here at $SYS/broker/bridges/${bridge.name}/state as connected / disconnected (retained), not at $SYS/broker/connection/<client id>/state as 1 / 0, nor at the remote`
      : `the state is published here at $SYS/broker/bridges/${bridge.name}/state all the same`
  )
  if (bridge.tryPrivate?.value !== false)
    conversion.note(
      bridge.tryPrivate?.origin ?? bridge.origin,
      'no bridge flag in the CONNECT: loops are stopped by No Local with mqttv50, and with mqttv311 by recognising what comes back; a 3.1.1 remote then marks retained only what it held when the bridge subscribed'
    )
}
