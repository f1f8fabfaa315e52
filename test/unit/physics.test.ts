import { describe, expect, it } from 'vitest';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import {
  BULK_MODULUS,
  FRAME_DT,
  GRAVITY,
  PARTICLE_TYPE,
  TOOL_BASE_ANGLE,
  TOOL_LENGTH,
  WALL_CELLS,
  costAndCapture,
  initialWaterPositions,
  toolPolyline,
} from '../../src-shared/fluidtool2d';
import { FluidTool2D } from '../../src-main/engine/environments/fluidtool2d';
import { simulateMpm } from '../../src-main/engine/physics/mpm';
import { seededRandom } from '../../src-main/engine/random';

const env = new FluidTool2D(FLUIDTOOL2D_DEFAULTS);
const N = FLUIDTOOL2D_DEFAULTS.particles;

/** Does the path p→q cross the closed segment a–b (a proper or touching intersection)? */
function crosses(px: number, py: number, qx: number, qy: number, ax: number, ay: number, bx: number, by: number): boolean {
  const orient = (ox: number, oy: number, ux: number, uy: number, vx: number, vy: number): number => (ux - ox) * (vy - oy) - (uy - oy) * (vx - ox);
  const d1 = orient(ax, ay, bx, by, px, py);
  const d2 = orient(ax, ay, bx, by, qx, qy);
  const d3 = orient(px, py, qx, qy, ax, ay);
  const d4 = orient(px, py, qx, qy, bx, by);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

describe('FluidTool-2D geometry', () => {
  it('x = 0 is a straight ramp from the anchor at the base angle, of the full tool length', () => {
    const poly = toolPolyline(new Array(8).fill(0), Math.PI / 8);
    expect(poly.length).toBe(18);
    for (let i = 0; i < 8; i++) {
      const angle = Math.atan2(poly[2 * i + 3]! - poly[2 * i + 1]!, poly[2 * i + 2]! - poly[2 * i]!);
      expect(angle).toBeCloseTo(TOOL_BASE_ANGLE, 12);
    }
    expect(Math.hypot(poly[16]! - poly[0]!, poly[17]! - poly[1]!)).toBeCloseTo(TOOL_LENGTH, 12);
  });

  it('each design entry bends one joint by x_j * thetaMax, and every later segment with it', () => {
    const thetaMax = Math.PI / 8;
    const design = [0, 0, 1, 0, 0, -0.5, 0, 0];
    const poly = toolPolyline(design, thetaMax);
    const angles = Array.from({ length: 8 }, (_, i) => Math.atan2(poly[2 * i + 3]! - poly[2 * i + 1]!, poly[2 * i + 2]! - poly[2 * i]!));
    const expected = [0, 0, 1, 1, 1, 0.5, 0.5, 0.5].map((k) => TOOL_BASE_ANGLE + k * thetaMax);
    angles.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 12));
  });
});

describe('cost and capture', () => {
  it('are the mean squared distance to the target and the fraction inside its disc', () => {
    const water = [0.5, 0.2, 0.6, 0.2, 0.5, 0.5, 0.9, 0.9];
    const { cost, capture } = costAndCapture(water, [0.5, 0.2], 0.15);
    const expected = (0 + 0.01 + 0.09 + (0.16 + 0.49)) / 4;
    expect(cost).toBeCloseTo(expected, 12);
    expect(capture).toBe(0.5);
  });

  it('of a rollout count the water at the last frame only, not the tool', () => {
    const frames = 2;
    const types = Uint8Array.of(PARTICLE_TYPE.water, PARTICLE_TYPE.water, PARTICLE_TYPE.tool);
    const positions = Float32Array.from([0.9, 0.9, 0.9, 0.9, 0.5, 0.2, /* last frame */ 0.5, 0.25, 0.5, 0.15, 0.5, 0.2]);
    const r = env.evaluate({ frames, particles: 3, positions, particleTypes: types, frameDt: FRAME_DT }, Float32Array.of(0.5, 0.2));
    expect(r.cost).toBeCloseTo(0.0025, 6);
    expect(r.capture).toBe(1);
  });
});

describe('ground-truth MPM rollout', () => {
  it('is deterministic: the same design twice gives an identical trajectory', () => {
    const design = Float32Array.from([0.3, -0.2, 0.5, 0.1, -0.9, 0.4, 0, 0.7]);
    const a = env.rollout(design);
    const b = env.rollout(design);
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(b.positions.buffer))).toBe(true);
  });

  it('keeps every particle, finite and inside the walls, at every frame', () => {
    const r = env.rollout(Float32Array.from([0.8, 0.8, -0.5, -0.5, 0.3, 0.9, -1, 1]));
    expect(r.frames).toBe(FLUIDTOOL2D_DEFAULTS.frames);
    expect(r.positions.length).toBe(r.frames * r.particles * 2);
    expect(Array.from(r.particleTypes).filter((t) => t === PARTICLE_TYPE.water).length).toBe(N);
    const wall = WALL_CELLS / FLUIDTOOL2D_DEFAULTS.grid;
    for (let i = 0; i < r.positions.length; i++) {
      const v = r.positions[i]!;
      if (!(Number.isFinite(v) && v >= wall - 1e-6 && v <= 1 - wall + 1e-6)) throw new Error(`value ${v} at ${i} is outside the box`);
    }
  });

  it('moves the water: it leaves the block and ends lower', () => {
    const r = env.rollout(new Float32Array(8));
    const meanY = (f: number): number => {
      let s = 0;
      for (let p = 0; p < N; p++) s += r.positions[(f * r.particles + p) * 2 + 1]!;
      return s / N;
    };
    expect(meanY(r.frames - 1)).toBeLessThan(meanY(0) - 0.4);
  });

  it('never lets a water particle cross a tool segment, over 50 random designs (checked at every substep)', () => {
    const rand = seededRandom(7);
    const cfg = env.mpmConfig;
    let checkedSteps = 0;
    for (let k = 0; k < 50; k++) {
      const design = env.sampleDesign(rand);
      const poly = toolPolyline(design, FLUIDTOOL2D_DEFAULTS.thetaMax);
      const sim = simulateMpm(cfg, { water: initialWaterPositions(N, cfg.grid), tool: poly }, { recordSubsteps: true });
      const path = sim.substepPositions!;
      const steps = path.length / (N * 2);
      for (let s = 1; s < steps; s++) {
        const o0 = (s - 1) * N * 2;
        const o1 = s * N * 2;
        for (let p = 0; p < N; p++) {
          const px = path[o0 + 2 * p]!;
          const py = path[o0 + 2 * p + 1]!;
          const qx = path[o1 + 2 * p]!;
          const qy = path[o1 + 2 * p + 1]!;
          for (let i = 0; i + 3 < poly.length; i += 2) {
            if (crosses(px, py, qx, qy, poly[i]!, poly[i + 1]!, poly[i + 2]!, poly[i + 3]!)) {
              throw new Error(`design ${k} [${Array.from(design).map((x) => x.toFixed(2))}]: particle ${p} crossed segment ${i / 2} at substep ${s}`);
            }
          }
        }
      }
      checkedSteps += steps - 1;
    }
    expect(checkedSteps).toBe(50 * (cfg.frames - 1) * cfg.substeps);
  });

  // Semi-implicit Euler over n substeps drops g dt² n(n+1)/2 = g t²/2 (1 + dt/t): the tolerance
  // against g t²/2 is that O(dt) term plus 0.5%; against the discrete solution, 0.5%.
  it('lets a block fall freely as g t²/2 before it reaches the floor (within 0.5% + dt/t)', () => {
    const cfg = { grid: 64, frames: 12, substeps: 40, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS };
    const water = initialWaterPositions(N, cfg.grid);
    const sim = simulateMpm(cfg, { water, tool: null });
    const mean = (f: number, axis: 0 | 1): number => {
      let s = 0;
      for (let p = 0; p < N; p++) s += sim.positions[(f * N + p) * 2 + axis]!;
      return s / N;
    };
    const floor = (WALL_CELLS + 2) / cfg.grid;
    let checked = 0;
    for (let f = 1; f < cfg.frames; f++) {
      let minY = Infinity;
      for (let p = 0; p < N; p++) minY = Math.min(minY, sim.positions[(f * N + p) * 2 + 1]!);
      if (minY < floor) break;
      const t = f * FRAME_DT;
      const drop = mean(0, 1) - mean(f, 1);
      const n = f * cfg.substeps;
      const dt = FRAME_DT / cfg.substeps;
      const continuous = (GRAVITY * t * t) / 2;
      const discrete = (GRAVITY * dt * dt * n * (n + 1)) / 2;
      expect(Math.abs(drop - continuous) / continuous).toBeLessThan(0.005 + dt / t);
      expect(Math.abs(drop - discrete) / discrete).toBeLessThan(0.005);
      expect(Math.abs(mean(f, 0) - mean(0, 0))).toBeLessThan(1e-5);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
