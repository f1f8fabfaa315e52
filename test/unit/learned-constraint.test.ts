import { describe, expect, it } from 'vitest';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { WALL_CELLS, toolPolyline } from '../../src-shared/fluidtool2d';
import { FluidTool2D } from '../../src-main/engine/environments/fluidtool2d';
import { learnedRollout } from '../../src-main/engine/gns/rollout';
import { GNS_DEFAULTS } from '../../src-main/engine/gns/spec';

/** Does the path p→q cross the segment a–b? */
function crosses(px: number, py: number, qx: number, qy: number, ax: number, ay: number, bx: number, by: number): boolean {
  const o = (ox: number, oy: number, ux: number, uy: number, vx: number, vy: number): number => (ux - ox) * (vy - oy) - (uy - oy) * (vx - ox);
  return o(ax, ay, bx, by, px, py) * o(ax, ay, bx, by, qx, qy) < 0 && o(px, py, qx, qy, ax, ay) * o(px, py, qx, qy, bx, by) < 0;
}

describe('the environment constraint on learned states', () => {
  // a "learned" step that throws the water down hard, as an untrained model may
  const norm = { velocityMean: [0, 0] as [number, number], velocityStd: [1, 1] as [number, number], accelerationMean: [0, 0] as [number, number], accelerationStd: [0.004, 0.004] as [number, number] };
  const env = new FluidTool2D({ ...FLUIDTOOL2D_DEFAULTS, particles: 64, frames: 30 });
  const design = Float32Array.from([0.2, -0.1, 0.3, 0, 0.4, 0, -0.2, 0.1]);
  const { positions, particleTypes } = env.initialState(design);
  const n = particleTypes.length;
  const c = GNS_DEFAULTS.historyLength;
  const history = new Float32Array((c + 1) * n * 2);
  for (let k = 0; k <= c; k++) history.set(positions, k * n * 2);
  const falling = (inputs: { n: number }) => Float32Array.from({ length: inputs.n * 2 }, (_, k) => (k % 2 ? -3 : 0.5));

  it('without it, the water leaves the box', async () => {
    const out = await learnedRollout(falling, GNS_DEFAULTS, norm, history, particleTypes, positions, 40);
    expect(Math.min(...Array.from(out.subarray(39 * n * 2)).filter((_, k) => k % 2 === 1))).toBeLessThan(0);
  });

  it('with it, the water stays inside the walls and never passes through the tool', async () => {
    const out = await learnedRollout(falling, GNS_DEFAULTS, norm, history, particleTypes, positions, 40, env.constraint(design));
    const wall = WALL_CELLS / FLUIDTOOL2D_DEFAULTS.grid;
    const poly = toolPolyline(design, FLUIDTOOL2D_DEFAULTS.thetaMax);
    let hitTool = 0;
    for (let t = 1; t < 40; t++) {
      for (let p = 0; p < 64; p++) {
        const k0 = ((t - 1) * n + p) * 2;
        const k1 = (t * n + p) * 2;
        expect(out[k1]!).toBeGreaterThanOrEqual(wall - 1e-6);
        expect(out[k1 + 1]!).toBeGreaterThanOrEqual(wall - 1e-6);
        for (let i = 0; i + 3 < poly.length; i += 2) {
          if (crosses(out[k0]!, out[k0 + 1]!, out[k1]!, out[k1 + 1]!, poly[i]!, poly[i + 1]!, poly[i + 2]!, poly[i + 3]!)) throw new Error(`particle ${p} crossed segment ${i / 2} at step ${t}`);
        }
      }
    }
    // the tool really was in the way: without the constraint, water passes through it
    const free = await learnedRollout(falling, GNS_DEFAULTS, norm, history, particleTypes, positions, 40);
    for (let t = 1; t < 40; t++) {
      for (let p = 0; p < 64; p++) {
        const k0 = ((t - 1) * n + p) * 2;
        const k1 = (t * n + p) * 2;
        for (let i = 0; i + 3 < poly.length; i += 2) {
          if (crosses(free[k0]!, free[k0 + 1]!, free[k1]!, free[k1 + 1]!, poly[i]!, poly[i + 1]!, poly[i + 2]!, poly[i + 3]!)) hitTool++;
        }
      }
    }
    expect(hitTool).toBeGreaterThan(0);
  });
});
