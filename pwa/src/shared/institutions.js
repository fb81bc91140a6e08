// The institution tree (province → city → county) built from the flat list the API returns.

export const LEVELS = ['province', 'city', 'county']

/** The level a child of `level` has, or null when it can have none (a county). */
export function childLevel(level) {
  const i = LEVELS.indexOf(level)
  return i >= 0 && i < LEVELS.length - 1 ? LEVELS[i + 1] : null
}

/**
 * Build the tree from `[{id, parent_id, ...}]`. The API sends parents before children, but the
 * order is not relied on. Items whose parent is not in the list (the caller's own institution,
 * the top of their subtree) are roots. Each node is a copy with `children` and `depth`.
 */
export function buildInstitutionTree(items) {
  const nodes = new Map(items.map((item) => [item.id, { ...item, children: [], depth: 0 }]))
  const roots = []
  for (const item of items) {
    const node = nodes.get(item.id)
    const parent = item.parent_id != null ? nodes.get(item.parent_id) : undefined
    if (parent && parent !== node) parent.children.push(node)
    else roots.push(node)
  }
  const setDepth = (node, depth, seen) => {
    if (seen.has(node.id)) return // a cycle in bad data must not hang the page
    seen.add(node.id)
    node.depth = depth
    for (const child of node.children) setDepth(child, depth + 1, seen)
  }
  const seen = new Set()
  for (const root of roots) setDepth(root, 0, seen)
  return roots
}

/** Depth-first list of nodes (parents first), skipping the children of ids in `collapsed`. */
export function flattenTree(roots, collapsed = new Set()) {
  const out = []
  const walk = (node) => {
    out.push(node)
    if (!collapsed.has(node.id)) node.children.forEach(walk)
  }
  roots.forEach(walk)
  return out
}

/** "山东省 / 济南市 / 历下区" from an institution's path of {name} objects. */
export function pathLabel(path, separator = ' / ') {
  return (path ?? []).map((step) => step.name).join(separator)
}
