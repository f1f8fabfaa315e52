// Training estimates on this machine: diffusion.calibrate and outcome.calibrate time a few
// training steps of a network of the requested sizes on a compute worker, once per size and process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src-main/api/handlers';
import { dispatch } from '../../src-main/api/dispatch';
import type { MethodResult } from '../../src-shared/api';
import { ok, testWorkbench } from './helpers';

describe('diffusion.calibrate and outcome.calibrate', () => {
  let t: ReturnType<typeof testWorkbench>;
  let projectId: number;
  let call: (m: string, a: unknown) => ReturnType<typeof dispatch>;
  beforeAll(() => {
    t = testWorkbench({ compute: { size: 1 } });
    call = (m, a) => dispatch(createHandlers(t.wb), m, a);
    projectId = t.wb.projects.create({ name: 'Calibrate', environment: 'fluidtool-2d', settings: { joints: 4 } }).id;
  });
  afterAll(() => t.dispose());

  it('times training steps of the requested denoiser, larger ones slower, each size measured once', async () => {
    type R = MethodResult<'diffusion.calibrate'>;
    const small = ok<R>(await call('diffusion.calibrate', { projectId, width: 16, blocks: 1, batchSize: 16 }));
    expect(small.steps).toBe(5);
    expect(small.secondsPerStep).toBeGreaterThan(0);
    expect(small.backend).toMatch(/wasm|tensorflow/);
    const again = ok<R>(await call('diffusion.calibrate', { projectId, width: 16, blocks: 1, batchSize: 16 }));
    expect(again.measuredAt).toBe(small.measuredAt);
    const large = ok<R>(await call('diffusion.calibrate', { projectId, width: 256, blocks: 4, batchSize: 256 }));
    expect(large.measuredAt).toBeGreaterThanOrEqual(small.measuredAt);
    expect(large.secondsPerStep).toBeGreaterThan(small.secondsPerStep);
    const bad = await call('diffusion.calibrate', { projectId, width: 0, blocks: 1, batchSize: 16 });
    expect(bad.ok).toBe(false);
  }, 120_000);

  it('times training steps of the requested outcome model, larger ones slower, each size measured once', async () => {
    type R = MethodResult<'outcome.calibrate'>;
    const small = ok<R>(await call('outcome.calibrate', { projectId, hidden: [8], batchSize: 8 }));
    expect(small.steps).toBe(5);
    expect(small.secondsPerStep).toBeGreaterThan(0);
    expect(ok<R>(await call('outcome.calibrate', { projectId, hidden: [8], batchSize: 8 })).measuredAt).toBe(small.measuredAt);
    const large = ok<R>(await call('outcome.calibrate', { projectId, hidden: [256, 256], batchSize: 512 }));
    expect(large.secondsPerStep).toBeGreaterThan(small.secondsPerStep);
    expect((await call('outcome.calibrate', { projectId, hidden: [], batchSize: 8 })).ok).toBe(false);
  }, 120_000);
});
