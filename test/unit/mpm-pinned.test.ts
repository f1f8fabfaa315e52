// The ground truth's results, pinned: 100 fixed designs and tasks at the default settings, with
// the cost and capture the MPM gave before any speed work (test/fixtures/mpm/pinned-100.json).
// The cost near good designs is chaotic (a 0.001 change of a design moves it by 12–20%), so any
// change to the arithmetic's order shows here: speed work must keep the physics as it was.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FluidTool2DSettings } from '../../src-shared/environments';
import { FluidTool2D } from '../../src-main/engine/environments/fluidtool2d';

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'mpm', 'pinned-100.json'), 'utf8')) as {
  settings: FluidTool2DSettings;
  pins: { design: number[]; task: number[]; cost: number; capture: number }[];
};

describe('MPM ground truth, pinned', () => {
  it('gives the pinned cost and capture for 100 designs (1e-6 relative)', () => {
    const env = new FluidTool2D(fixture.settings);
    expect(fixture.pins).toHaveLength(100);
    const off: string[] = [];
    for (const [i, pin] of fixture.pins.entries()) {
      const { cost, capture } = env.evaluate(env.rollout(Float32Array.from(pin.design)), Float32Array.from(pin.task));
      if (Math.abs(cost - pin.cost) > 1e-6 * Math.abs(pin.cost)) off.push(`#${i} cost ${cost} (pinned ${pin.cost})`);
      if (Math.abs(capture - pin.capture) > 1e-6 * Math.max(Math.abs(pin.capture), 1e-12)) off.push(`#${i} capture ${capture} (pinned ${pin.capture})`);
    }
    expect(off).toEqual([]);
  }, 120_000);
});
