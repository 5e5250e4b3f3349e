// Shared by the benchmarks: median wall time of a synchronous or an async function.

/** Median wall time in ms over `reps` runs after `warmups` unmeasured runs. */
export const medianMs = (f: () => unknown, reps: number, warmups = 1): number => {
  for (let i = 0; i < warmups; i++) f()
  const ts: Array<number> = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    f()
    ts.push(performance.now() - t0)
  }
  ts.sort((a, b) => a - b)
  return ts[Math.floor(ts.length / 2)]!
}

/** Median wall time in ms of an async function over `reps` runs after one unmeasured run. */
export const asyncMedianMs = async (f: () => Promise<unknown>, reps: number): Promise<number> => {
  await f()
  const ts: Array<number> = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await f()
    ts.push(performance.now() - t0)
  }
  ts.sort((a, b) => a - b)
  return ts[Math.floor(ts.length / 2)]!
}
