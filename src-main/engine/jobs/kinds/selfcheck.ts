import type { z } from 'zod';
import type { JobParams } from '../../../../src-shared/api';
import { quickCheck } from '../../storage/database';
import { loadTf } from '../../tf';
import type { JobRunner } from '../job-context';

/**
 * Checks that a worker can reach the database and the numeric backend, and times a matrix
 * product so later issues can estimate training times on this machine.
 */
export const selfcheck: JobRunner<z.output<(typeof JobParams)['selfcheck']>> = async (params, ctx) => {
  ctx.progress(0, 'Checking the database');
  const db = ctx.database();
  const integrity = quickCheck(db);
  ctx.throwIfCancelled();

  ctx.progress(0.05, 'Loading TF.js');
  const { tf, backend } = await loadTf();
  const n = params.matmulSize;
  const a = tf.randomNormal([n, n]);
  const times: number[] = [];
  try {
    for (let i = 0; i < params.repeats; i++) {
      ctx.throwIfCancelled();
      const t0 = performance.now();
      const c = tf.matMul(a, a);
      await c.data();
      c.dispose();
      times.push(performance.now() - t0);
      ctx.progress(0.05 + (0.95 * (i + 1)) / params.repeats, `Matrix product ${i + 1}/${params.repeats}`);
    }
  } finally {
    a.dispose();
  }
  times.sort((x, y) => x - y);
  const medianMs = times[Math.floor(times.length / 2)]!;
  return {
    integrity,
    backend,
    matmulSize: n,
    matmulMedianMs: Number(medianMs.toFixed(3)),
    gflops: Number(((2 * n ** 3) / (medianMs * 1e6)).toFixed(2)),
  };
};
