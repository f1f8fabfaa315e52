// The WebAssembly MPM kernel against the TypeScript one it was written from: the same positions,
// bit for bit, with and without every substep recorded, with and without a tool; and the bytes
// committed in mpm-wasm.generated.ts are what the AssemblyScript source compiles to today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { BULK_MODULUS, FRAME_DT, GRAVITY, WALL_CELLS, initialWaterPositions, toolPolyline } from '../../src-shared/fluidtool2d';
import { mpmKernel, simulateMpm, simulateMpmTs, type MpmConfig } from '../../src-main/engine/physics/mpm';
import { seededRandom } from '../../src-main/engine/random';

const root = join(__dirname, '..', '..');

function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe('MPM kernel in WebAssembly', () => {
  it('runs here', () => {
    expect(mpmKernel()).toBe('wasm');
  });

  it('gives the TypeScript kernel’s positions bit for bit', () => {
    const rand = seededRandom(7);
    const cases: { config: MpmConfig; particles: number; joints: number; tool: boolean; record: boolean }[] = [
      { config: { grid: 64, frames: 50, substeps: 40, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS }, particles: 256, joints: 8, tool: true, record: false },
      { config: { grid: 64, frames: 12, substeps: 40, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS }, particles: 256, joints: 8, tool: true, record: true },
      { config: { grid: 32, frames: 20, substeps: 20, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS }, particles: 100, joints: 4, tool: true, record: false },
      { config: { grid: 48, frames: 20, substeps: 30, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS }, particles: 512, joints: 16, tool: false, record: true },
    ];
    for (const c of cases) {
      for (let k = 0; k < 3; k++) {
        const design = Array.from({ length: c.joints }, () => 2 * rand() - 1);
        const scene = { water: initialWaterPositions(c.particles, c.config.grid), tool: c.tool ? toolPolyline(design, FLUIDTOOL2D_DEFAULTS.thetaMax) : null };
        const ts = simulateMpmTs(c.config, scene, { recordSubsteps: c.record });
        const wasm = simulateMpm(c.config, scene, { recordSubsteps: c.record });
        expect(firstDifference(wasm.positions, ts.positions), `grid ${c.config.grid}, ${c.particles} particles`).toBe(-1);
        if (c.record) expect(firstDifference(wasm.substepPositions!, ts.substepPositions!)).toBe(-1);
        else expect(wasm.substepPositions).toBeUndefined();
      }
    }
  }, 60_000);

  it('is the compiled AssemblyScript source as committed (npm run build:wasm)', async () => {
    const { compileKernel, generatedSource } = (await import(join(root, 'scripts', 'build-wasm.mjs'))) as { compileKernel(): Buffer; generatedSource(b: Buffer): string };
    const committed = readFileSync(join(root, 'src-main', 'engine', 'physics', 'mpm-wasm.generated.ts'), 'utf8');
    expect(committed).toBe(generatedSource(compileKernel()));
  }, 60_000);
});
