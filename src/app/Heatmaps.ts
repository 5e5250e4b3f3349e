// The heatmap job: every scored round with two or more answers gets its similarity heatmap written to
// HEATMAP_DIR (SVG, and PNG when rendered in the worker pool), the newest HEATMAPS_KEPT kept. It follows
// the ScoringActor's results; a full queue drops heatmaps, never rounds.
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, PubSub, Queue } from "effect"
import type { Scope } from "effect"
import type { Scored } from "../../actors/ScoringActor.ts"
import { safeName } from "../http/Api.ts"
import { type HeatmapInput, heatmapSvg } from "../scoring/heatmap.ts"

export const HEATMAPS_KEPT = 200
/** Rounds waiting for their heatmap; more are dropped. */
const HEATMAP_QUEUE = 16

export type RenderHeatmap = (
  input: HeatmapInput
) => Effect.Effect<{ readonly svg: string; readonly png: Uint8Array | null }, { readonly message: string }>

export interface HeatmapJobOptions {
  readonly dir: string
  /** SVG + PNG built off the main thread; without it the SVG is built here and no PNG is written. */
  readonly render?: RenderHeatmap
  readonly keep?: number
}

/** Starts the job in the current scope. */
export const startHeatmapJob = (results: PubSub.PubSub<Scored>, options: HeatmapJobOptions): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.dropping<Scored>(HEATMAP_QUEUE)
    const sub = yield* PubSub.subscribe(results)
    // the subscription is drained at once (the scoring actor never waits on heatmaps); rendering is behind the queue
    yield* Effect.forkScoped(
      Effect.forever(PubSub.take(sub).pipe(Effect.flatMap((s) => (s.round.responses.length >= 2 ? Queue.offer(queue, s) : Effect.void))))
    )
    const kept = keptStems(options.dir, options.keep ?? HEATMAPS_KEPT)
    yield* Effect.forkScoped(Effect.forever(Queue.take(queue).pipe(Effect.flatMap((s) => write(s, options, kept)))))
  })

const write = ({ round, result, embeddings }: Scored, options: HeatmapJobOptions, kept: KeptStems) =>
  Effect.gen(function* () {
    const input = {
      similarity: embeddings.similarity,
      n: round.responses.length,
      labels: round.responses.map((r) => String(r.uid)),
      title: `round ${round.id} · ${round.taskType}`,
      clusters: result.clusters,
      orderByCluster: true
    }
    // built and rasterized in the worker pool when there is one (a 256-answer SVG is ~5 MB of markup)
    const { svg, png } = options.render !== undefined ? yield* options.render(input) : { svg: heatmapSvg(input), png: null }
    const stem = safeName(round.id)
    const base = join(options.dir, stem)
    // written by the thread pool (node:fs/promises), not on the event loop that times miner replies
    yield* Effect.promise(async () => {
      await mkdir(options.dir, { recursive: true })
      await writeFile(`${base}.svg`, svg)
      if (png !== null) await writeFile(`${base}.png`, png)
    })
    yield* Effect.promise(() => kept.add(stem))
  }).pipe(Effect.catchCause((cause) => Effect.logWarning("heatmap not written", { round: round.id, cause: String(cause) })))

interface KeptStems {
  /** Records a written pair and removes the oldest pairs beyond the limit. */
  readonly add: (stem: string) => Promise<void>
}

/** The newest `keep` heatmap pairs in `dir`: the directory is listed once (the pairs an earlier run left, oldest
 *  first), then followed in memory (listing and stat-ing 400 files for every round took 3–8 ms of the event loop). */
const keptStems = (dir: string, keep: number): KeptStems => {
  let stems: Array<string> | null = null
  const listed = async (): Promise<Array<string>> => {
    const files = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((f) => f.isFile() && /\.(svg|png)$/.test(f.name))
    const byStem = new Map<string, number>()
    for (const f of files) {
      const t = await stat(join(dir, f.name)).then((x) => x.mtimeMs, () => 0)
      const stem = f.name.replace(/\.(svg|png)$/, "")
      byStem.set(stem, Math.max(byStem.get(stem) ?? 0, t))
    }
    return [...byStem].sort((a, b) => a[1] - b[1]).map(([s]) => s)
  }
  return {
    add: async (stem) => {
      const list = (stems ??= await listed()).filter((s) => s !== stem)
      list.push(stem)
      const old = list.splice(0, Math.max(0, list.length - keep))
      stems = list
      for (const s of old) for (const ext of [".svg", ".png"]) await rm(join(dir, s + ext), { force: true })
    }
  }
}
