import type { SparkplugPayload } from '../../common/sparkplug/sparkplug-payload.js'
import type { SparkplugTopic } from '../../common/sparkplug/sparkplug-topics.js'
import { BD_SEQ_METRIC } from '../../common/sparkplug/thermostat-metrics.js'
import type { DeviceStatus } from '../adapters/adapter.js'
import { deviceIdOf, type Reading } from '../reading.js'
import { applyMetrics, type DeviceMetrics, deviceFromBirth } from './device-metrics.js'
import { applyNodeMetrics, type EdgeNodeReport, type NodeMetrics, nodeFromBirth } from './node-metrics.js'
import { SPARKPLUG_SOURCE, sparkplugSite } from './sparkplug-ids.js'

/** What the host application does with what it learns from the edge nodes. */
export interface HostEffects {
  reading(reading: Reading): void
  status(status: DeviceStatus): void
  /** Send an NCMD `Node Control/Rebirth` true to this edge node. */
  rebirth(group: string, edgeNode: string): void
  /**
   * A DBIRTH or DDATA held the device's setpoint (°C): an edge node answers a DCMD with one, so this is the
   * answer to a setpoint written to it, taken or not.
   */
  setpointReported(deviceId: string, setpoint: number, receivedAt: number): void
  /** The edge node's own metrics, after its NBIRTH, each NDATA that changed one, and its NDEATH (which makes them stale). */
  edgeNode(site: string, report: EdgeNodeReport): void
}

type EdgeMessage = Exclude<SparkplugTopic, { kind: 'state' }>

interface Held {
  topic: EdgeMessage
  payload: SparkplugPayload
  receivedAt: number
}

/**
 * One edge node's session as the host application follows it, from its NBIRTH to its NDEATH. Invariant: while
 * `online`, `nextSeq` is the seq its next message must carry; messages that came ahead of it wait in `held`
 * (by seq) for as long as the reorder timer runs.
 */
interface EdgeNodeState {
  group: string
  edgeNode: string
  bdSeq: number | undefined
  online: boolean
  nextSeq: number
  metrics: NodeMetrics
  devices: Map<string, DeviceMetrics>
  held: Map<number, Held>
  reorderTimer: NodeJS.Timeout | undefined
  /** When a rebirth was last asked for, so one gap or one unknown edge node asks once per reorder window. */
  rebirthAskedAt: number
}

/**
 * The host application's view of every edge node: births and data become readings and device statuses, and
 * the sequence of each edge node's messages is checked.
 *
 * - NBIRTH starts a session (its bdSeq, seq 0); an NDEATH ends it only when its bdSeq is the session's: an older
 *   one is stale (the will of a connection the edge node replaced) and ignored. The NDEATH marks the edge node
 *   and, through its status, all its devices offline ([tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline]
 *   [...-ndeath-devices-offline]); a DDEATH marks one device offline ([...-ddeath-devices-offline]). An offline
 *   device's last values stay as they were, its state saying they are stale.
 * - Each message's seq must be the one after the last. One that comes early is held and the reorder timer starts
 *   ([tck-id-operational-behavior-host-reordering-start]); the missing one arriving in time releases the held
 *   ones in order and stops it ([...-host-reordering-success]); when it runs out the host asks the edge node
 *   for a rebirth ([...-host-reordering-rebirth]). Data from an edge node without a session (the host started
 *   after its births) asks for a rebirth too.
 */
export class EdgeNodeStates {
  private readonly nodes = new Map<string, EdgeNodeState>()
  private readonly now: () => number

  constructor(
    private readonly effects: HostEffects,
    private readonly reorderTimeoutMs: number,
    now?: () => number
  ) {
    this.now = now ?? Date.now
  }

  /** The device's metrics as its birth and data gave them; undefined for a device without a session. */
  device(group: string, edgeNode: string, device: string): DeviceMetrics | undefined {
    const node = this.nodes.get(sparkplugSite(group, edgeNode))
    return node?.online === true ? node.devices.get(device) : undefined
  }

  handle(topic: EdgeMessage, payload: SparkplugPayload, receivedAt: number): void {
    // Commands to the edge node (this host's own among them) are not part of its session: they carry no seq.
    if (topic.type === 'NCMD' || topic.type === 'DCMD') return
    const key = sparkplugSite(topic.group, topic.edgeNode)
    if (topic.type === 'NBIRTH') {
      this.birth(key, topic, payload)
      return
    }
    const node = this.nodes.get(key)
    if (topic.type === 'NDEATH') {
      if (node?.online === true && bdSeqOf(payload) === node.bdSeq) this.death(node, payload.timestamp ?? receivedAt)
      return
    }
    if (node?.online !== true || payload.seq === undefined) {
      this.askRebirth(node ?? this.unknown(key, topic))
      return
    }
    const ahead = (payload.seq - node.nextSeq + 256) % 256
    if (ahead === 0) {
      this.apply(node, topic, payload, receivedAt)
      this.release(node)
    } else if (ahead < 128) {
      node.held.set(payload.seq, { topic, payload, receivedAt })
      node.reorderTimer ??= setTimeout(() => this.reorderTimedOut(node), this.reorderTimeoutMs)
    }
    // Further behind: a copy of one already taken.
  }

  /** Stops every reorder timer. */
  close(): void {
    for (const node of this.nodes.values()) this.stopReordering(node)
  }

  private birth(key: string, topic: EdgeMessage, payload: SparkplugPayload): void {
    const previous = this.nodes.get(key)
    if (previous !== undefined) this.stopReordering(previous)
    const node: EdgeNodeState = {
      group: topic.group,
      edgeNode: topic.edgeNode,
      bdSeq: bdSeqOf(payload),
      online: true,
      nextSeq: ((payload.seq ?? 0) + 1) % 256,
      metrics: nodeFromBirth(payload.metrics),
      devices: new Map(),
      held: new Map(),
      reorderTimer: undefined,
      rebirthAskedAt: previous?.rebirthAskedAt ?? 0
    }
    // No status of its own: each DBIRTH says its device is online, and the registry lists devices, not edge nodes.
    this.nodes.set(key, node)
    this.reportNode(node)
  }

  private death(node: EdgeNodeState, time: number): void {
    node.online = false
    this.stopReordering(node)
    // [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale] [...-devices-tags-stale]: at the host's time.
    this.reportNode(node, this.now())
    // One status for the edge node covers every device beneath it; without devices there is nothing to mark.
    if (node.devices.size > 0) this.effects.status(this.status(node, undefined, false, 'NDEATH', time))
  }

  private apply(node: EdgeNodeState, topic: EdgeMessage, payload: SparkplugPayload, receivedAt: number): void {
    node.nextSeq = (node.nextSeq + 1) % 256
    if (topic.kind !== 'device') {
      if (topic.type === 'NDATA' && applyNodeMetrics(node.metrics, payload.metrics)) this.reportNode(node)
      return
    }
    const time = payload.timestamp ?? receivedAt
    if (topic.type === 'DBIRTH') {
      const device = deviceFromBirth(payload.metrics, time)
      node.devices.set(topic.device, device)
      this.effects.status(this.status(node, topic.device, true, 'DBIRTH', time))
      this.emitReading(node, topic.device, device)
      this.reportSetpoint(node, topic.device, device, receivedAt)
    } else if (topic.type === 'DDATA') {
      const device = node.devices.get(topic.device)
      // Data of a device whose DBIRTH the host missed: its aliases are unknown until it is born again.
      if (device === undefined) {
        this.askRebirth(node)
        return
      }
      const reported = applyMetrics(device, payload.metrics, time)
      if (reported.has('temperature')) this.emitReading(node, topic.device, device)
      if (reported.has('setpoint')) this.reportSetpoint(node, topic.device, device, receivedAt)
    } else if (topic.type === 'DDEATH') {
      node.devices.delete(topic.device)
      this.effects.status(this.status(node, topic.device, false, 'DDEATH', time))
    }
  }

  /** Applies the held messages that are now next in line; the timer stops once nothing is missing. */
  private release(node: EdgeNodeState): void {
    for (let held = node.held.get(node.nextSeq); held !== undefined; held = node.held.get(node.nextSeq)) {
      node.held.delete(node.nextSeq)
      this.apply(node, held.topic, held.payload, held.receivedAt)
    }
    if (node.held.size === 0) this.stopReordering(node)
  }

  private reorderTimedOut(node: EdgeNodeState): void {
    node.reorderTimer = undefined
    node.held.clear()
    // The session cannot be trusted past the gap: nothing more is taken until the new births.
    node.online = false
    node.rebirthAskedAt = 0
    this.askRebirth(node)
  }

  private askRebirth(node: EdgeNodeState): void {
    const now = this.now()
    if (now - node.rebirthAskedAt < this.reorderTimeoutMs) return
    node.rebirthAskedAt = now
    this.effects.rebirth(node.group, node.edgeNode)
  }

  private unknown(key: string, topic: EdgeMessage): EdgeNodeState {
    const node: EdgeNodeState = {
      group: topic.group,
      edgeNode: topic.edgeNode,
      bdSeq: undefined,
      online: false,
      nextSeq: 0,
      metrics: nodeFromBirth([]),
      devices: new Map(),
      held: new Map(),
      reorderTimer: undefined,
      rebirthAskedAt: 0
    }
    this.nodes.set(key, node)
    return node
  }

  private stopReordering(node: EdgeNodeState): void {
    clearTimeout(node.reorderTimer)
    node.reorderTimer = undefined
    node.held.clear()
  }

  /** The edge node's own metrics as they are now; after its NDEATH, stale since `staleSince`. */
  private reportNode(node: EdgeNodeState, staleSince?: number): void {
    const report: EdgeNodeReport = { metrics: { ...node.metrics.values }, ...(staleSince === undefined ? {} : { staleSince }) }
    this.effects.edgeNode(sparkplugSite(node.group, node.edgeNode), report)
  }

  private reportSetpoint(node: EdgeNodeState, name: string, device: DeviceMetrics, receivedAt: number): void {
    const { setpoint } = device.values
    if (setpoint !== undefined)
      this.effects.setpointReported(deviceIdOf(sparkplugSite(node.group, node.edgeNode), name), setpoint, receivedAt)
  }

  private emitReading(node: EdgeNodeState, name: string, device: DeviceMetrics): void {
    const { temperature, setpoint, heating } = device.values
    if (temperature === undefined) return
    const site = sparkplugSite(node.group, node.edgeNode)
    this.effects.reading({
      deviceId: deviceIdOf(site, name),
      site,
      device: name,
      source: SPARKPLUG_SOURCE,
      time: device.time ?? this.now(),
      temperature,
      ...(setpoint === undefined ? {} : { setpoint }),
      ...(heating === undefined ? {} : { heating })
    })
  }

  /** A status for the edge node (covering its devices) or, with `device`, for one device. */
  private status(node: EdgeNodeState, device: string | undefined, online: boolean, state: string, time: number): DeviceStatus {
    const site = sparkplugSite(node.group, node.edgeNode)
    return {
      deviceId: device === undefined ? site : deviceIdOf(site, device),
      site,
      device: device ?? node.edgeNode,
      source: SPARKPLUG_SOURCE,
      online,
      state,
      time
    }
  }
}

function bdSeqOf(payload: SparkplugPayload): number | undefined {
  const value = payload.metrics.find((metric) => metric.name === BD_SEQ_METRIC)?.value
  return typeof value === 'number' ? value : undefined
}
