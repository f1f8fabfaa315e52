import { samplingMethod } from '@shared/sampling';
import { samplingLabel } from './diffusionModel';
import type { RunJob } from './stores/optimizeRuns';

export const OPTIMIZER_LABELS: Record<string, string> = { cem: 'CEM', cmaes: 'CMA-ES', random: 'Random search', adam: 'Adam' };

/** "CEM", "DDM + cond. + PS": how a run found its designs */
export function runMethodLabel(job: RunJob): string {
  if (job.kind === 'sample') return samplingLabel(samplingMethod(job.params));
  const o = job.params.optimizer ?? '';
  return OPTIMIZER_LABELS[o] ?? o;
}

/** a run's target; runs started without one ran on the centre of the task range (null: unknown here) */
export function runTarget(job: RunJob): [number, number] | null {
  const t = job.params.task;
  return t && t.length === 2 ? [t[0]!, t[1]!] : null;
}
