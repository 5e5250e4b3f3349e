// The quality-axis registry (seed 002's QualityAxisRegistry): axis name → pure axis function. The scoring
// config gives each axis a weight per task type; a config naming an axis that is not registered is rejected
// when it is loaded (src/domain/ScoringConfig.ts). Pure.
import {
  accuracyAxis,
  availabilityAxis,
  completionAxis,
  consensusAxis,
  coverageAxis,
  noveltyAxis,
  qualityAxis,
  relevanceAxis,
  speedAxis,
  type Axis
} from "./axes.ts"

export type AxisRegistry = ReadonlyMap<string, Axis>

/** Registration order is the display order (tables, explain). */
export const DEFAULT_AXES: AxisRegistry = new Map<string, Axis>([
  ["coverage", coverageAxis],
  ["consensus", consensusAxis],
  ["accuracy", accuracyAxis],
  ["relevance", relevanceAxis],
  ["completion", completionAxis],
  ["speed", speedAxis],
  ["quality", qualityAxis],
  ["availability", availabilityAxis],
  ["novelty", noveltyAxis]
])

export const AXIS_NAMES: ReadonlyArray<string> = [...DEFAULT_AXES.keys()]

/** A registry with extra or replaced axes (names keep their first registration position). */
export const extendRegistry = (base: AxisRegistry, extra: Readonly<Record<string, Axis>>): AxisRegistry => {
  const m = new Map(base)
  for (const [k, f] of Object.entries(extra)) m.set(k, f)
  return m
}
