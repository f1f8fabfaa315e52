// The default learned outcome model for the built-in FluidTool-2D settings: random ground-truth
// rollouts, the designs of the shipped default trajectories and the queries of CEM runs, an
// outcome.train job on them, the model (with its fidelity) copied to resources/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobParams, asKind, jobResult } from '../../src-shared/api';
import { DEFAULT_OUTCOME_DIR, DEFAULT_TRAJECTORIES_FILE } from '../../src-main/engine/models/default-model';
import { OUTCOME_MODEL_FILES } from '../../src-main/engine/outcome/model-file';
import type { CostFidelity } from '../../src-main/engine/outcome/fidelity';
import type { Workbench } from '../../src-main/engine/workbench';
import { shipModel, waitForJob } from './shipping';

export interface DefaultOutcomeOptions {
  /** random ground-truth rollouts to learn from (a tenth held out for the fidelity check) */
  rollouts: number;
  /**
   * also roll out the designs of the shipped default trajectories (CEM runs over the task range):
   * good designs, rare among random ones, where the model must rank well
   */
  trajectories: boolean;
  /**
   * CEM runs on the ground truth (random tasks of the range, budget `cemBudget`, population 16)
   * whose every query, stored with its outcome, the model also learns from: designs on the way to
   * the optimum of many tasks, where the gradient must lead and the ranking must hold
   */
  cemRuns: number;
  cemBudget: number;
  steps: number;
  seed: number;
}

export const DEFAULT_OUTCOME_OPTIONS: DefaultOutcomeOptions = { rollouts: 6000, trajectories: true, cemRuns: 48, cemBudget: 256, steps: 24000, seed: 1 };

export async function makeDefaultOutcome(wb: Workbench, projectId: number, root: string, opts: DefaultOutcomeOptions, command: string): Promise<CostFidelity> {
  const t0 = Date.now();
  if (opts.trajectories) {
    const file = join(root, DEFAULT_TRAJECTORIES_FILE);
    if (!existsSync(file)) throw new Error(`${DEFAULT_TRAJECTORIES_FILE} is missing: run npm run train:default:diffusion first, or pass --no-trajectories`);
    const records = JSON.parse(readFileSync(file, 'utf8')) as { design: number[]; task: number[] }[];
    const seen = new Set<string>();
    const designs = records.filter((r) => !seen.has(r.design.join(',')) && Boolean(seen.add(r.design.join(','))));
    console.log(`Rolling out the ${designs.length} distinct designs of the shipped default trajectories…`);
    const simulator = wb.simulator(projectId);
    for (let i = 0; i < designs.length; i += 64) {
      const part = designs.slice(i, i + 64);
      await simulator.evaluate(part.map((r) => Float32Array.from(r.design)), Float32Array.from(part[0]!.task), { projectId, method: 'outcome.data', run: 'default-trajectories' });
    }
    console.log(`  done (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  if (opts.cemRuns > 0) {
    const t = Date.now();
    console.log(`Running CEM ${opts.cemRuns} times (${opts.cemBudget} ground-truth queries each, random tasks of the range)…`);
    const cem = JobParams['dataset.optimization'].parse({ name: 'outcome data: CEM runs', runs: opts.cemRuns, optimizers: ['cem'], budget: opts.cemBudget, cem: { population: 16 }, seed: opts.seed + 1000 });
    await waitForJob(wb, wb.jobs.start('dataset.optimization', cem, projectId), 'CEM runs');
    console.log(`  done (${Math.round((Date.now() - t) / 1000)} s)`);
  }
  const params = JobParams['outcome.train'].parse({ name: 'FluidTool-2D default outcome model', generate: opts.rollouts, useStored: true, steps: opts.steps, seed: opts.seed, decaySteps: opts.steps });
  console.log(`Rolling out ${opts.rollouts} random designs and training the outcome model: ${JSON.stringify(params)}`);
  const done = await waitForJob(wb, wb.jobs.start('outcome.train', params, projectId), 'outcome');
  const model = asKind(wb.models.get(jobResult(done, 'outcome.train').modelId), 'outcome');
  const out = join(root, DEFAULT_OUTCOME_DIR);
  shipModel(wb, model, out, OUTCOME_MODEL_FILES, command, t0);
  const f = model.metrics.fidelity as CostFidelity;
  console.log(
    `Default outcome model written to ${out}: ${String(model.metrics.step)} steps, within-task Spearman mean ${f.spearmanMean.toFixed(3)}, worst ${f.spearmanWorst.toFixed(3)}, ` +
      `best quarter ${f.bestQuarterMean.toFixed(3)}, worst pick rank ${f.pickRankWorst} of ${f.designs}, capture error ${f.captureError.toFixed(3)} (${f.designs} held-out designs x ${f.tasks} tasks; ${Math.round((Date.now() - t0) / 1000)} s)`,
  );
  return f;
}
