/**
 * Where a bridge runs. A lone broker runs each of its bridges; the nodes of a cluster, configured alike, run each
 * bridge on one node at a time (cluster/bridge-leases.ts): two nodes linking one bridge would take its session from
 * each other, and the remote would see its client id connect twice.
 */
export interface BridgePlacement {
  /**
   * Resolves true once this node may run bridge `name`, waiting as long as another node does; false if the node
   * stops first. `lost` is called should another node take the bridge over while this one runs it.
   */
  hold(name: string, lost: () => void): Promise<boolean>
  /** The bridge stopped here: another node may take it at once. */
  release(name: string): Promise<void>
}
