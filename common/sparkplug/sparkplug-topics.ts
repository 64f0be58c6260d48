/**
 * The Sparkplug B 3.0 topic namespace, built and parsed in one place for the broker, the edge nodes and the
 * host application:
 *
 *   spBv1.0/{group}/{NBIRTH|NDEATH|NDATA|NCMD}/{edge node}
 *   spBv1.0/{group}/{DBIRTH|DDEATH|DDATA|DCMD}/{edge node}/{device}
 *   spBv1.0/STATE/{host id}                        a host application's JSON birth and death (host-state.ts)
 *
 * [tck-id-topic-structure] [tck-id-topic-structure-namespace-a]: the namespace is always `spBv1.0`; group,
 * edge node and device ids are single topic levels without wildcards.
 */

export const SPARKPLUG_NAMESPACE = 'spBv1.0'

export const NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const
export type NodeMessageType = (typeof NODE_MESSAGE_TYPES)[number]
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number]

export type SparkplugTopic =
  | { kind: 'node'; group: string; type: NodeMessageType; edgeNode: string }
  | { kind: 'device'; group: string; type: DeviceMessageType; edgeNode: string; device: string }
  | { kind: 'state'; hostId: string }

export function nodeTopic(group: string, type: NodeMessageType, edgeNode: string): string {
  return `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}`
}

export function deviceTopic(group: string, type: DeviceMessageType, edgeNode: string, device: string): string {
  return `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}/${device}`
}

/** [tck-id-host-topic-phid-birth-topic] [tck-id-host-topic-phid-death-topic] */
export function stateTopic(hostId: string): string {
  return `${SPARKPLUG_NAMESPACE}/STATE/${hostId}`
}

/** Every Sparkplug message of every group: what a host application subscribes to. */
export const SPARKPLUG_FILTER = `${SPARKPLUG_NAMESPACE}/#`

/** What a topic is, or undefined when it is not a well-formed Sparkplug B topic. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | undefined {
  const levels = topic.split('/')
  if (levels[0] !== SPARKPLUG_NAMESPACE) return undefined
  if (levels[1] === 'STATE') return levels.length === 3 && isSparkplugId(levels[2]!) ? { kind: 'state', hostId: levels[2]! } : undefined
  const [, group, type, edgeNode, device] = levels
  if (group === undefined || type === undefined || edgeNode === undefined) return undefined
  if (!isSparkplugId(group) || !isSparkplugId(edgeNode)) return undefined
  if (levels.length === 4 && (NODE_MESSAGE_TYPES as readonly string[]).includes(type))
    return { kind: 'node', group, type: type as NodeMessageType, edgeNode }
  if (levels.length === 5 && device !== undefined && isSparkplugId(device) && (DEVICE_MESSAGE_TYPES as readonly string[]).includes(type))
    return { kind: 'device', group, type: type as DeviceMessageType, edgeNode, device }
  return undefined
}

/** [tck-id-topic-structure-namespace-valid-group-id] and the edge node and device ids: one level, no wildcards. */
export function isSparkplugId(id: string): boolean {
  return id !== '' && !id.includes('/') && !id.includes('+') && !id.includes('#') && !id.includes('\u0000')
}
