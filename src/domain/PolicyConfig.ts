// The `policies` section of the versioned scoring config (seed 003's selection, load balancing, tiers and
// aggregation options; seed 004's groups): its Schema. Absent in a file → today's behaviour (DEFAULT_POLICIES).
import { Schema } from "effect"
import { TIER_NAMES } from "../scoring/performance.ts"

const finite = Schema.Number.pipe(Schema.check(Schema.isFinite()))
const Unit = finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
const Weight = finite.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const intBetween = (minimum: number, maximum: number) =>
  Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isBetween({ minimum, maximum })))

const TierFactors = Schema.Struct(Object.fromEntries(TIER_NAMES.map((t) => [t, Weight])) as Record<(typeof TIER_NAMES)[number], typeof Weight>)

export const PolicyConfigSchema = Schema.Struct({
  selection: Schema.Struct({
    kind: Schema.Literals(["availability", "groups", "performance"]),
    maxConcurrentTasks: intBetween(1, 1000),
    explorationShare: Unit,
    criteria: Schema.Struct({ performance: Weight, load: Weight, specialization: Weight, stake: Weight }),
    recentShare: Unit,
    minTasks: intBetween(0, 1_000_000),
    tierPriority: Schema.Boolean,
    tierFactors: TierFactors
  }),
  tiers: Schema.Struct({ window: intBetween(1, 10_000) }),
  aggregation: Schema.Struct({
    kind: Schema.Literals(["ema", "tournament", "cumulative", "blend"]),
    cap: finite.pipe(Schema.check(Schema.isGreaterThan(0))),
    recentShare: Unit,
    stakeBlend: Schema.Struct({ enabled: Schema.Boolean, share: Unit })
  })
})
