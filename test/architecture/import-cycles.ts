import type { SourceImport } from './source-imports.js'

/** Files that import each other, directly or through others: one strongly connected component of the import graph. */
export interface ImportCycle {
  /** Sorted paths from the repository root. */
  files: string[]
  /** The imports among those files, the edges to cut to break the cycle. */
  imports: SourceImport[]
}

/**
 * The cycles of the import graph: each strongly connected component of more than one file, or of one file
 * that imports itself (Tarjan's algorithm; every import counts, type-only ones too).
 */
export function importCycles(imports: readonly SourceImport[]): ImportCycle[] {
  const edges = new Map<string, string[]>()
  for (const { file, target } of imports) {
    edges.set(file, [...(edges.get(file) ?? []), target])
    if (!edges.has(target)) edges.set(target, [])
  }
  return stronglyConnected(edges)
    .filter((component) => component.length > 1 || edges.get(component[0])?.includes(component[0]))
    .map((component) => {
      const files = new Set(component)
      return {
        files: [...files].sort(),
        imports: imports.filter((imported) => files.has(imported.file) && files.has(imported.target))
      }
    })
    .sort((a, b) => a.files[0].localeCompare(b.files[0]))
}

/** Tarjan's strongly connected components of a directed graph given as each node's successors. */
function stronglyConnected(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const lowLink = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []

  const visit = (node: string): void => {
    index.set(node, index.size)
    lowLink.set(node, index.get(node) as number)
    stack.push(node)
    onStack.add(node)
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next)
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number))
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(next) as number))
      }
    }
    if (lowLink.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop() as string
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    components.push(component)
  }

  for (const node of edges.keys()) if (!index.has(node)) visit(node)
  return components
}
