// Agglomerative clustering with average linkage (UPGMA) on the distance 1 − cos. Pure, no I/O.
//
// Semantics: the reference (Loosh validator) uses sklearn AgglomerativeClustering(linkage="average",
// distance_threshold=0.5) on 1 − cos. sklearn keeps a merge only when its linkage distance is strictly
// below the threshold ("the linkage distance threshold at or above which clusters will not be merged").
// scipy linkage(method="average") + fcluster(criterion="distance", t) keeps merges with distance ≤ t.
// Both give the same partition unless a merge height equals the threshold exactly; this module follows
// sklearn (strict <), since that is what the reference runs. Average linkage is monotone (no inversions),
// so "cut the full dendrogram at t" and "merge greedily while the smallest average distance < t" coincide.
//
// Algorithm: nearest-neighbour chain (Murtagh) over a dense Float64 distance matrix with Lance–Williams
// updates: O(n²) time and memory, fine for n ≤ 1024 (8 MB of distances at n = 1024).

/**
 * Cluster labels per row of an n × n cosine-similarity matrix.
 * `active[i] === false` rows take no part and get label −1. Clusters are numbered 0..k−1 by decreasing
 * size, ties broken by the lowest member index. A merge happens when the average distance 1 − cos between
 * two clusters is strictly below `distanceThreshold` (sklearn semantics, see the file header).
 */
export const averageLinkage = (
  similarity: Float32Array,
  n: number,
  distanceThreshold: number,
  active?: ReadonlyArray<boolean>
): Int32Array => {
  if (similarity.length < n * n) {
    throw new RangeError(`averageLinkage: similarity has ${similarity.length} entries, need ${n * n}`)
  }
  const labels = new Int32Array(n).fill(-1)
  const members: Array<number> = []
  for (let i = 0; i < n; i++) if (active === undefined || active[i] !== false) members.push(i)
  const m = members.length
  if (m === 0) return labels

  // Compact distance matrix over the active rows, symmetrised (mean of both triangles) and NaN-safe.
  const d = new Float64Array(m * m)
  for (let a = 0; a < m; a++) {
    const ia = members[a]!
    for (let b = a + 1; b < m; b++) {
      const ib = members[b]!
      const s = (similarity[ia * n + ib]! + similarity[ib * n + ia]!) / 2
      const dist = Number.isFinite(s) ? 1 - s : 2
      d[a * m + b] = dist
      d[b * m + a] = dist
    }
  }

  const size = new Int32Array(m).fill(1)
  const alive = new Uint8Array(m).fill(1)
  const parent = new Int32Array(m)
  for (let a = 0; a < m; a++) parent[a] = a
  const find = (x: number): number => {
    let r = x
    while (parent[r] !== r) r = parent[r]!
    while (parent[x] !== r) {
      const next = parent[x]!
      parent[x] = r
      x = next
    }
    return r
  }

  const chain = new Int32Array(m)
  let top = 0 // chain length
  let remaining = m
  let scanStart = 0 // lowest index that may still be alive
  while (remaining > 1) {
    if (top === 0) {
      while (alive[scanStart] === 0) scanStart++
      chain[top++] = scanStart
    }
    const a = chain[top - 1]!
    const prev = top >= 2 ? chain[top - 2]! : -1
    // Nearest alive neighbour of a; on ties prefer the previous chain element (guarantees termination).
    let best = prev
    let bestD = prev >= 0 ? d[a * m + prev]! : Infinity
    const row = a * m
    for (let k = 0; k < m; k++) {
      if (k === a || alive[k] === 0) continue
      const dk = d[row + k]!
      if (dk < bestD) {
        bestD = dk
        best = k
      }
    }
    if (best !== prev) {
      chain[top++] = best
      continue
    }
    // a and prev are reciprocal nearest neighbours: merge them at height bestD.
    top -= 2
    const keep = a < prev ? a : prev
    const drop = a < prev ? prev : a
    const nk = size[keep]!
    const nd = size[drop]!
    const tot = nk + nd
    const rk = keep * m
    const rd = drop * m
    for (let k = 0; k < m; k++) {
      if (alive[k] === 0 || k === keep || k === drop) continue
      const v = (nk * d[rk + k]! + nd * d[rd + k]!) / tot
      d[rk + k] = v
      d[k * m + keep] = v
    }
    size[keep] = tot
    alive[drop] = 0
    remaining--
    if (bestD < distanceThreshold) parent[find(drop)] = find(keep)
  }

  // Group by root, order by decreasing size then lowest member index.
  const groups = new Map<number, Array<number>>()
  for (let a = 0; a < m; a++) {
    const r = find(a)
    const g = groups.get(r)
    if (g === undefined) groups.set(r, [a])
    else g.push(a)
  }
  const ordered = [...groups.values()].sort((x, y) => y.length - x.length || x[0]! - y[0]!)
  ordered.forEach((g, label) => {
    for (const a of g) labels[members[a]!] = label
  })
  return labels
}

/** Sizes of clusters 0..k−1 (labels < 0 are ignored). */
export const clusterSizes = (labels: ArrayLike<number>): Array<number> => {
  const sizes: Array<number> = []
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!
    if (l < 0) continue
    while (sizes.length <= l) sizes.push(0)
    sizes[l]!++
  }
  return sizes
}
