// The heatmap job: every scored round with two or more answers gets its similarity heatmap written to
// HEATMAP_DIR (SVG, and PNG when rendered in the worker pool), the newest HEATMAPS_KEPT kept. It follows
// the ScoringActor's results; a full queue drops heatmaps, never rounds.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
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
    yield* Effect.forkScoped(Effect.forever(Queue.take(queue).pipe(Effect.flatMap((s) => write(s, options)))))
  })

const write = ({ round, result, embeddings }: Scored, options: HeatmapJobOptions) =>
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
    const base = join(options.dir, safeName(round.id))
    yield* Effect.sync(() => {
      mkdirSync(options.dir, { recursive: true })
      writeFileSync(`${base}.svg`, svg)
      if (png !== null) writeFileSync(`${base}.png`, png)
      pruneDir(options.dir, options.keep ?? HEATMAPS_KEPT)
    })
  }).pipe(Effect.catchCause((cause) => Effect.logWarning("heatmap not written", { round: round.id, cause: String(cause) })))

/** Keeps the newest `keep` heatmap pairs in `dir`. */
const pruneDir = (dir: string, keep: number) => {
  const files = readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && /\.(svg|png)$/.test(f.name))
  if (files.length <= keep * 2) return
  const byStem = new Map<string, number>()
  for (const f of files) {
    const stem = f.name.replace(/\.(svg|png)$/, "")
    const t = Bun.file(join(dir, f.name)).lastModified
    byStem.set(stem, Math.max(byStem.get(stem) ?? 0, t))
  }
  const old = [...byStem].sort((a, b) => b[1] - a[1]).slice(keep)
  for (const [stem] of old) for (const ext of [".svg", ".png"]) rmSync(join(dir, stem + ext), { force: true })
}
