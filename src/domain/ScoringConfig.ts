// The versioned scoring config file (config/scoring.v2.json) → ScoringConfig (src/scoring/config.ts).
// One Schema per version for the shape (unknown keys are errors: a typo must not silently fall back to a
// default), then the cross-field rules the shape cannot say (registered axis names, floors below their "full"
// points, monotone speed tiers). A v1 file still loads: its cosines become the default calibration and the
// v2 sections (lexical copies, content support) take their built-in defaults. Every failure is a
// ScoringConfigError naming the file and the offending key.
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Effect, Schema, SchemaIssue } from "effect"
import scoringAsset from "../../config/scoring.v2.json" with { type: "file" }
import type { ScoringConfig } from "../scoring/config.ts"
import { DEFAULT_SCORING_CONFIG } from "../scoring/tasks.ts"
import { AXIS_NAMES } from "../scoring/registry.ts"
import { PolicyConfigSchema } from "./PolicyConfig.ts"

/** The shipped config (a file path in source runs; the embedded copy under /$bunfs in dist/quorum).
 *  TypeScript types JSON imports as their content, hence the check. */
export const DEFAULT_SCORING_CONFIG_PATH: string =
  typeof scoringAsset === "string" ? scoringAsset : resolve(import.meta.dir, "../../config/scoring.v2.json")

export class ScoringConfigError extends Schema.TaggedError<ScoringConfigError>()("ScoringConfigError", {
  /** The config file (or "<inline>" for decodeScoringConfig without a path). */
  path: Schema.String,
  /** Dotted key of the offending value ("thresholds.relevanceFloor"), "(file)" or "(json)". */
  key: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/** "file: key: message", for CLIs and logs. */
export const formatScoringConfigError = (e: ScoringConfigError): string => `${e.path}: ${e.key}: ${e.message}`

const finite = Schema.Number.pipe(Schema.check(Schema.isFinite()))
const Unit = finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
const Cosine = finite.pipe(Schema.check(Schema.isBetween({ minimum: -1, maximum: 1 })))
const Weight = finite.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const PositiveMs = finite.pipe(Schema.check(Schema.isGreaterThan(0)))
const Count = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1)))
const NonNegInt = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
const Weights = Schema.Record(Schema.String, Weight)

const common = {
  $comment: Schema.optionalKey(Schema.String),
  axes: Weights,
  accuracyFallback: Schema.NullOr(Schema.String),
  defaultTaskType: Schema.String,
  taskTypes: Schema.Record(Schema.String, Schema.Struct({ optimalMs: PositiveMs, axes: Schema.optionalKey(Weights) })),
  speed: Schema.Struct({
    tiers: Schema.Array(Schema.Struct({ upTo: PositiveMs, score: Unit })),
    beyond: Unit,
    relativeWeight: Unit
  }),
  completion: Schema.Struct({ finishReasons: Schema.Record(Schema.String, Unit), unknown: Unit }),
  entityWeighting: Schema.Boolean
}

const Calibration = Schema.Struct({
  consensusDistance: finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  relevanceFloor: Cosine,
  relevanceFull: Cosine,
  accuracyFloor: Cosine,
  accuracyFull: Cosine,
  offTopicCosine: Cosine,
  aloneRelevanceFloor: Cosine,
  wordSaladCosine: Cosine,
  typicalAgreementShare: finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
  typicalAgreementFloor: Cosine
})

export const ScoringConfigSchema = Schema.Struct({
  ...common,
  version: Schema.Literal(2),
  thresholds: Schema.Struct({ minConsensusEntities: Count, qualityFloor: Unit, minAnswerChars: NonNegInt }),
  calibration: Schema.Record(Schema.String, Calibration),
  lexical: Schema.Struct({
    shingleSize: Count,
    copyShare: Unit,
    copyMinShingles: Count,
    commonEntities: Count,
    commonMaxNovelShare: Unit,
    alignShare: Unit,
    alignMinWords: Count,
    alignMaxWords: Count,
    promptMadeAlignShare: Schema.optionalKey(Unit),
    echoContainment: Unit,
    jumbleWordShare: Unit
  }),
  content: Schema.Struct({
    pyramidShare: Unit,
    pyramidMinEntities: Count,
    promptUnitWeight: Unit,
    lengthBudget: finite.pipe(Schema.check(Schema.isGreaterThan(0))),
    lengthDecay: Weight,
    referenceWeight: Weight,
    incompleteShare: Unit,
    offTopicCoverage: Unit,
    wordSaladPairShare: Unit,
    wordSaladMinMedian: Unit,
    wordSaladStrictShare: Schema.optionalKey(Unit),
    reliabilityPower: Schema.optionalKey(Weight)
  }),
  novelty: Schema.Struct({
    capacity: Count,
    perPrompt: Count,
    perHotkey: Count,
    copyRecord: Schema.optionalKey(
      Schema.Struct({
        window: Count,
        cleanRounds: Count,
        forgiveMaxWords: Count,
        copierShare: Unit,
        copierMinRounds: Count,
        astrayShare: Schema.optionalKey(Unit),
        astrayMinRounds: Schema.optionalKey(Count),
        astrayCoverage: Schema.optionalKey(Unit)
      })
    )
  }),
  policies: Schema.optionalKey(PolicyConfigSchema)
})

/** The v1 file (config/scoring.v1.json of earlier releases). */
export const ScoringConfigV1Schema = Schema.Struct({
  ...common,
  version: Schema.Literal(1),
  thresholds: Schema.Struct({
    consensusDistance: finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 2 }))),
    minConsensusEntities: Count,
    relevanceFloor: Cosine,
    relevanceFull: Cosine,
    accuracyFloor: Cosine,
    accuracyFull: Cosine,
    qualityFloor: Unit,
    minAnswerChars: NonNegInt,
    copyCosine: Cosine,
    noveltySoftCosine: Cosine,
    copyMinChars: NonNegInt
  }),
  novelty: Schema.Struct({ capacity: Count, perPrompt: Count })
})

/** A v1 config in v2 terms: its cosines are the default calibration; what v1 did not have takes the defaults. */
const upgradeV1 = (v1: typeof ScoringConfigV1Schema.Type): ScoringConfig => {
  const { $comment: _, thresholds: t, novelty, ...rest } = v1
  const d = DEFAULT_SCORING_CONFIG
  const calibration = {
    consensusDistance: t.consensusDistance,
    relevanceFloor: t.relevanceFloor,
    relevanceFull: t.relevanceFull,
    accuracyFloor: t.accuracyFloor,
    accuracyFull: t.accuracyFull,
    offTopicCosine: d.calibration["default"]!.offTopicCosine,
    aloneRelevanceFloor: t.relevanceFloor,
    wordSaladCosine: d.calibration["default"]!.wordSaladCosine,
    typicalAgreementShare: d.calibration["default"]!.typicalAgreementShare,
    typicalAgreementFloor: d.calibration["default"]!.typicalAgreementFloor
  }
  return {
    ...rest,
    version: 1,
    thresholds: { minConsensusEntities: t.minConsensusEntities, qualityFloor: t.qualityFloor, minAnswerChars: t.minAnswerChars },
    calibration: { default: calibration },
    lexical: d.lexical,
    content: d.content,
    novelty: { ...novelty, perHotkey: d.novelty.perHotkey },
    policies: d.policies
  }
}

const pathKey = (path: ReadonlyArray<unknown> | undefined): string =>
  path === undefined || path.length === 0
    ? "(root)"
    : path.map((p) => (typeof p === "object" && p !== null && "key" in p ? String(p.key) : String(p))).join(".")

interface Violation {
  readonly key: string
  readonly message: string
}

/** Cross-field rules, first violation or null. */
export const checkScoringConfig = (c: ScoringConfig): Violation | null => {
  const known = new Set(AXIS_NAMES)
  const checkWeights = (key: string, w: Readonly<Record<string, number>>): Violation | null => {
    for (const name of Object.keys(w)) {
      if (!known.has(name)) return { key: `${key}.${name}`, message: `unknown axis "${name}" (registered: ${AXIS_NAMES.join(", ")})` }
    }
    if (Object.values(w).reduce((s, x) => s + x, 0) <= 0) return { key, message: "weights must not all be 0" }
    return null
  }
  const v = checkWeights("axes", c.axes)
  if (v !== null) return v
  for (const [name, t] of Object.entries(c.taskTypes)) {
    if (t.axes !== undefined) {
      const tv = checkWeights(`taskTypes.${name}.axes`, t.axes)
      if (tv !== null) return tv
    }
  }
  if (!Object.hasOwn(c.taskTypes, c.defaultTaskType)) {
    return { key: "defaultTaskType", message: `"${c.defaultTaskType}" is not one of taskTypes (${Object.keys(c.taskTypes).join(", ")})` }
  }
  if (c.accuracyFallback !== null && !known.has(c.accuracyFallback)) {
    return { key: "accuracyFallback", message: `unknown axis "${c.accuracyFallback}"` }
  }
  if (!Object.hasOwn(c.calibration, "default")) return { key: "calibration", message: 'needs a "default" calibration' }
  for (const [model, t] of Object.entries(c.calibration)) {
    if (t.relevanceFloor >= t.relevanceFull) return { key: `calibration.${model}.relevanceFull`, message: "must be above relevanceFloor" }
    if (t.accuracyFloor >= t.accuracyFull) return { key: `calibration.${model}.accuracyFull`, message: "must be above accuracyFloor" }
  }
  const tiers = c.speed.tiers
  if (tiers.length === 0) return { key: "speed.tiers", message: "needs at least one tier" }
  for (let k = 1; k < tiers.length; k++) {
    if (tiers[k]!.upTo <= tiers[k - 1]!.upTo) return { key: `speed.tiers.${k}.upTo`, message: "tiers must be in increasing upTo order" }
    if (tiers[k]!.score > tiers[k - 1]!.score) return { key: `speed.tiers.${k}.score`, message: "a slower tier must not score higher (faster is never worse)" }
  }
  if (c.speed.beyond > tiers[tiers.length - 1]!.score) return { key: "speed.beyond", message: "must not exceed the last tier's score" }
  return null
}

const decodeWith = <S extends Schema.Top>(schema: S, u: unknown, path: string) =>
  Schema.decodeUnknownEffect(schema)(u, { onExcessProperty: "error", errors: "first" }).pipe(
    Effect.mapError((e) => {
      const issue = SchemaIssue.makeFormatterStandardSchemaV1()(e.issue).issues[0]
      return new ScoringConfigError({ path, key: pathKey(issue?.path), message: issue?.message ?? e.message })
    })
  )

const versionOf = (u: unknown): unknown => (typeof u === "object" && u !== null && "version" in u ? u.version : undefined)

/** Decodes an already-parsed config value of version 2, or of version 1 upgraded (`path` only names the source in errors). */
export const decodeScoringConfig = (u: unknown, path = "<inline>"): Effect.Effect<ScoringConfig, ScoringConfigError> =>
  (versionOf(u) === 1
    ? decodeWith(ScoringConfigV1Schema, u, path).pipe(Effect.map(upgradeV1))
    : decodeWith(ScoringConfigSchema, u, path).pipe(Effect.map(({ $comment: _, policies, ...config }): ScoringConfig => ({ ...config, policies: policies ?? DEFAULT_SCORING_CONFIG.policies })))
  ).pipe(
    Effect.flatMap((config) => {
      const v = checkScoringConfig(config)
      return v === null ? Effect.succeed(config) : Effect.fail(new ScoringConfigError({ path, ...v }))
    })
  )

/** Reads, parses and checks a scoring config file (default: config/scoring.v2.json of this checkout). */
export const loadScoringConfig = (path: string = DEFAULT_SCORING_CONFIG_PATH): Effect.Effect<ScoringConfig, ScoringConfigError> =>
  Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (cause) =>
      new ScoringConfigError({ path, key: "(file)", message: `cannot read: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) =>
          new ScoringConfigError({ path, key: "(json)", message: `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
      })
    ),
    Effect.flatMap((u) => decodeScoringConfig(u, path)),
    Effect.withSpan("ScoringConfig.load", { attributes: { path } })
  )
