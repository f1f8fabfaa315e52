import { ApiError } from '../../../src-shared/errors';
import { fluidTool2DSpaces, type FluidTool2DSettings } from '../../../src-shared/environments';
import {
  BULK_MODULUS,
  FRAME_DT,
  GRAVITY,
  PARTICLE_TYPE,
  WALL_CELLS,
  costAndCapture,
  initialWaterPositions,
  OUTCOME_DIM,
  OUTCOME_GRID,
  OUTCOME_MOMENTS,
  outcomeCapture,
  outcomeCost,
  waterOutcome,
  toolParticles,
  toolPolyline,
} from '../../../src-shared/fluidtool2d';
import { guardStep, simulateMpm, type MpmConfig } from '../physics/mpm';
import type { Environment, Evaluation, OutcomeSpec, Rollout } from './environment';

/** FluidTool-2D (docs/method.md §7): water falls onto a jointed tool; bring it to a target disc. */
export class FluidTool2D implements Environment {
  readonly id = 'fluidtool-2d' as const;
  readonly designSpace;
  readonly taskSpace;
  private readonly water: Float32Array;

  constructor(readonly settings: FluidTool2DSettings) {
    const spaces = fluidTool2DSpaces(settings);
    this.designSpace = spaces.design;
    this.taskSpace = spaces.task;
    this.water = initialWaterPositions(settings.particles, settings.grid);
  }

  get mpmConfig(): MpmConfig {
    const s = this.settings;
    return { grid: s.grid, frames: s.frames, substeps: s.substeps, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS };
  }

  sampleDesign(rand: () => number): Float32Array {
    return Float32Array.from({ length: this.designSpace.dim }, () => rand() * 2 - 1);
  }

  sampleTask(rand: () => number): Float32Array {
    const r = this.settings.taskRange;
    return Float32Array.of(r.xMin + rand() * (r.xMax - r.xMin), r.yMin + rand() * (r.yMax - r.yMin));
  }

  defaultTask(): Float32Array {
    const r = this.settings.taskRange;
    return Float32Array.of((r.xMin + r.xMax) / 2, (r.yMin + r.yMax) / 2);
  }

  checkDesign(design: ArrayLike<number>, field = 'design'): Float32Array {
    const d = this.designSpace.dim;
    if (design.length !== d) {
      throw new ApiError('invalid_argument', `${field} has ${design.length} entries; this project's designs have ${d} (one per joint).`, [
        { path: field, message: `must have ${d} entries` },
      ]);
    }
    for (let i = 0; i < d; i++) {
      const v = design[i]!;
      if (!Number.isFinite(v) || v < -1 || v > 1) {
        throw new ApiError('invalid_argument', `${field}[${i}] is ${v}; every design entry must be a number in [-1, 1].`, [
          { path: `${field}.${i}`, message: 'must be a number in [-1, 1]' },
        ]);
      }
    }
    return Float32Array.from(design);
  }

  checkTask(task: ArrayLike<number>, field = 'task'): Float32Array {
    const r = this.settings.taskRange;
    if (task.length !== 2) {
      throw new ApiError('invalid_argument', `${field} must be a target point (x, y), got ${task.length} numbers.`, [{ path: field, message: 'must have 2 entries' }]);
    }
    const [x, y] = [task[0]!, task[1]!];
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < r.xMin || x > r.xMax || y < r.yMin || y > r.yMax) {
      throw new ApiError(
        'invalid_argument',
        `${field} (${x}, ${y}) is outside this project's task range x ${r.xMin}–${r.xMax}, y ${r.yMin}–${r.yMax}.`,
        [{ path: field, message: 'must lie in the task range' }],
      );
    }
    return Float32Array.of(x, y);
  }

  toolPolyline(design: ArrayLike<number>): Float64Array {
    return toolPolyline(design, this.settings.thetaMax);
  }

  get frames(): number {
    return this.settings.frames;
  }

  get frameDt(): number {
    return FRAME_DT;
  }

  initialState(design: Float32Array): { positions: Float32Array; particleTypes: Uint8Array } {
    const tool = toolParticles(this.toolPolyline(design), this.settings.grid);
    const nw = this.settings.particles;
    const positions = new Float32Array(nw * 2 + tool.length);
    positions.set(this.water);
    positions.set(tool, nw * 2);
    const particleTypes = new Uint8Array(nw + tool.length / 2).fill(PARTICLE_TYPE.water, 0, nw).fill(PARTICLE_TYPE.tool, nw);
    return { positions, particleTypes };
  }

  constraint(design: Float32Array): (next: Float32Array, current: Float32Array) => void {
    const poly = this.toolPolyline(design);
    const nw = this.settings.particles;
    // water particles come first: the tool's are kinematic
    return (next, current) => guardStep(this.mpmConfig, poly, current, next, (p) => p < nw);
  }

  /**
   * The MPM rollout of a design. stepsPerFrame k > 1 records k states per frame (every
   * substeps / k substeps): (frames - 1) * k + 1 states, frameDt / k apart, for a learned
   * simulator that must see small moves per step; the last state is the same either way.
   */
  rollout(design: Float32Array, opts: { recordSubsteps?: boolean; stepsPerFrame?: number } = {}): Rollout & { substepPositions?: Float32Array } {
    const k = opts.stepsPerFrame ?? 1;
    const substeps = this.settings.substeps;
    if (!Number.isInteger(k) || k < 1 || substeps % k !== 0) {
      throw new Error(`${k} steps per frame do not divide the project's ${substeps} substeps per frame`);
    }
    const poly = this.toolPolyline(design);
    const sim = simulateMpm(this.mpmConfig, { water: this.water, tool: poly }, { recordSubsteps: opts.recordSubsteps || k > 1 });
    const tool = toolParticles(poly, this.settings.grid);
    const nw = this.settings.particles;
    const nt = tool.length / 2;
    const n = nw + nt;
    const frames = (this.settings.frames - 1) * k + 1;
    const stride = substeps / k;
    const source = k > 1 ? sim.substepPositions! : sim.positions;
    const positions = new Float32Array(frames * n * 2);
    for (let f = 0; f < frames; f++) {
      const at = k > 1 ? f * stride : f;
      positions.set(source.subarray(at * nw * 2, (at + 1) * nw * 2), f * n * 2);
      positions.set(tool, f * n * 2 + nw * 2);
    }
    const particleTypes = new Uint8Array(n).fill(PARTICLE_TYPE.water, 0, nw).fill(PARTICLE_TYPE.tool, nw);
    return { frames, particles: n, positions, particleTypes, frameDt: FRAME_DT / k, substepPositions: opts.recordSubsteps ? sim.substepPositions : undefined };
  }

  evaluate(rollout: Rollout, task: Float32Array): Evaluation {
    return costAndCapture(finalWater(rollout), task, this.settings.targetRadius);
  }

  /** centroid, total variance and a 32 x 32 density of the final water (src-shared/fluidtool2d.ts) */
  readonly outcomeSpec: OutcomeSpec = { dim: OUTCOME_DIM, version: `fluidtool-2d/moments+density${OUTCOME_GRID}`, costEntries: OUTCOME_MOMENTS, names: ['centroid x', 'centroid y', 'variance'] };

  outcome(rollout: Rollout): Float32Array {
    return waterOutcome(finalWater(rollout));
  }

  outcomeCost(head: ArrayLike<number>, task: ArrayLike<number>): number {
    return outcomeCost(head, task).cost;
  }

  evaluateOutcome(outcome: ArrayLike<number>, task: ArrayLike<number>): Evaluation & { costGradient: Float32Array } {
    const { cost, dMoments } = outcomeCost(outcome, task);
    const costGradient = new Float32Array(OUTCOME_DIM);
    costGradient.set(dMoments);
    return { cost, capture: outcomeCapture(outcome, task, this.settings.targetRadius), costGradient };
  }
}

/** the water's positions at the last frame [W * 2] */
function finalWater(rollout: Rollout): number[] {
  const last = (rollout.frames - 1) * rollout.particles * 2;
  const water: number[] = [];
  for (let p = 0; p < rollout.particles; p++) {
    if (rollout.particleTypes[p] === PARTICLE_TYPE.water) water.push(rollout.positions[last + 2 * p]!, rollout.positions[last + 2 * p + 1]!);
  }
  return water;
}
