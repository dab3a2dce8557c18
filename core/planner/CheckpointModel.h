#pragma once

namespace spotwise::planner {

/**
 * The shape of a checkpointed run, all in hours: W of work split into segments of τ (the last one
 * shorter when τ does not divide W), each followed by a checkpoint of C; after a preemption the
 * restart (boot, driver, restore) takes R and the segment in progress is redone.
 */
struct RunShape {
  double workHours = 0.0;        ///< W > 0
  double intervalHours = 0.0;    ///< τ > 0: work between two checkpoints
  double checkpointHours = 0.0;  ///< C ≥ 0: time to write one checkpoint
  double restartHours = 0.0;     ///< R ≥ 0: boot + driver + restore after a preemption

  /** Number of segments: ⌈W/τ⌉ (a remainder shorter than 1e-9 h is not a segment). */
  [[nodiscard]] long long segmentCount() const;
  /** Time of a run without preemptions: W + segmentCount()·C. */
  [[nodiscard]] double failureFreeHours() const;
};

/**
 * Expected wall time of one segment of `workHours` followed by a checkpoint, with exponential
 * preemptions of rate λ (per hour) and restart R that can itself be preempted (Daly 2006):
 * e^(λR)·(e^(λ(w+C)) − 1)/λ, and w + C when λ = 0. +∞ when it overflows. Pure; thread-safe.
 */
double expectedSegmentHours(double workHours, double checkpointHours, double restartHours, double ratePerHour);

/**
 * Expected completion time of the whole run: the sum of expectedSegmentHours() over its segments.
 * When τ divides W this is exactly Daly's T(τ) = (W/τ)·e^(λR)·(e^(λ(τ+C)) − 1)/λ;
 * as λ → 0 it tends to W + (W/τ)·C. Pure; thread-safe.
 */
double expectedCompletionHours(const RunShape& shape, double ratePerHour);

/** Daly's continuous form (W/τ)·e^(λR)·(e^(λ(τ+C)) − 1)/λ, smooth in τ (the interval chart's curve). */
double dalyExpectedHours(const RunShape& shape, double ratePerHour);

/** Young's / Daly's first-order optimum interval √(2C/λ). +∞ when λ = 0. */
double youngInterval(double checkpointHours, double ratePerHour);

/**
 * Daly's higher-order estimate √(2CM)·(1 + ⅓√(C/2M) + C/18M) − C with M = 1/λ (for C < 2M; M otherwise).
 * +∞ when λ = 0.
 */
double dalyHigherOrderInterval(double checkpointHours, double ratePerHour);

/**
 * The exact minimiser of Daly's T(τ) for C > 0 and λ > 0: the τ with e^(λ(τ+C))·(1 − λτ) = 1, i.e.
 * τ* = (1 + W₀(−e^(−1−λC)))/λ (W₀: Lambert's W). Independent of W and R. +∞ when λ = 0 (checkpoint
 * only at the end); 0 when C = 0.
 */
double exactOptimalInterval(double checkpointHours, double ratePerHour);

/**
 * The interval the planner recommends: the exact optimum, capped at `maxIntervalHours` (GCP
 * preemptible: a segment must fit in the VM's 24 h) and at W, then adjusted so that W splits into
 * equal segments (whichever of ⌊W/τ*⌋ and ⌈W/τ*⌉ segments has the lower expected time).
 * Requires W > 0, C > 0, maxIntervalHours > 0.
 */
double recommendedInterval(double workHours, double checkpointHours, double restartHours, double ratePerHour,
                           double maxIntervalHours);

}  // namespace spotwise::planner
