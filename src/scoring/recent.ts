// Per-key lists of the most recent items in a Map kept in least-recently-seen order (a Map iterates in insertion
// order, so re-inserting a key makes it the newest). Shared by the novelty memory's answers by hotkey and the
// hotkey record across rounds. Pure.

/** Appends `item` to `key`'s list (at most `perKey` items, the oldest dropped) and makes `key` the most recently seen. */
export const pushRecent = <K, V>(map: Map<K, Array<V>>, key: K, item: V, perKey: number): void => {
  const past = map.get(key) ?? []
  map.delete(key)
  map.set(key, past)
  past.push(item)
  if (past.length > perKey) past.shift()
}

/** Forgets the least recently seen keys beyond `capacity`. */
export const evictOldest = <K, V>(map: Map<K, V>, capacity: number): void => {
  while (map.size > capacity) {
    const oldest = map.keys().next()
    if (oldest.done === true) break
    map.delete(oldest.value)
  }
}
