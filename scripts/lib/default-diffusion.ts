// The default optimization dataset and diffusion model for the built-in FluidTool-2D settings
// (issue #6): CEM runs on the ground truth over tasks sampled from the whole task range, every
// iterate kept; a conditional diffusion prior trained on them; both written to resources/, from
// where new workbenches install them into the built-in project.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JobParams, asKind, jobResult } from '../../src-shared/api';
import { OptimizationDatasets } from '../../src-main/engine/datasets/trajectories';
import { DEFAULT_DIFFUSION_DIR, DEFAULT_DIFFUSION_FILES, DEFAULT_TRAJECTORIES_FILE } from '../../src-main/engine/models/default-model';
import type { Workbench } from '../../src-main/engine/workbench';
import { shipModel, waitForJob } from './shipping';
import { SHIPPED_OUTCOMES_PER_RUN, pickPerRun, writeShippedOutcomes } from './shipped-outcomes';
import { QueryStore } from '../../src-main/engine/storage/queries';

export interface DefaultDiffusionOptions {
  /** CEM runs, each on its own random task */
  runs: number;
  /** queries per run */
  budget: number;
  population: number;
  /** diffusion training steps */
  steps: number;
  /** the weights kept: the best validation loss (early stopping) or the last (every step) */
  keep: 'best' | 'last';
  /** with keep "last": the decay of the moving average of the weights kept (0: none) */
  ema: number;
  seed: number;
}

/**
 * 48 runs of 256 queries (CEM's full budget in bench:paper): the last iterations of a full run sit
 * in the narrow low-cost valleys of the ground truth, which the prior then proposes; with runs of
 * 96 the polished diffusion setting's 16 checks reached C* in 8 of 48 runs, with 256 in 17 (ad hoc; README).
 * Early stopping keeps the best validation loss (step 300 for the shipped prior). 192 runs with
 * the moving average of the weights kept (keep "last", ema 0.998, 1,500 steps) gave better priors
 * on average over training seeds, but the one this command made was no better than the shipped
 * one on new tasks (ad hoc; README, "The prior's training"), so the recipe stays.
 */
export const DEFAULT_DIFFUSION_OPTIONS: DefaultDiffusionOptions = { runs: 48, budget: 256, population: 16, steps: 3000, keep: 'best', ema: 0, seed: 1 };

/** Generates the trajectories and trains the model in `projectId` (default settings), then writes both to resources/. */
export async function makeDefaultDiffusion(wb: Workbench, projectId: number, root: string, opts: DefaultDiffusionOptions, command: string): Promise<void> {
  const t0 = Date.now();
  console.log(`Generating ${opts.runs} CEM runs of ${opts.budget} ground-truth queries…`);
  const dataParams = JobParams['dataset.optimization'].parse({ name: 'default trajectories', runs: opts.runs, optimizers: ['cem'], budget: opts.budget, seed: opts.seed, cem: { population: opts.population } });
  const data = await waitForJob(wb, wb.jobs.start('dataset.optimization', dataParams, projectId), 'trajectories');
  const datasetId = jobResult(data, 'dataset.optimization').datasetId;
  const params = JobParams['diffusion.train'].parse({ name: 'FluidTool-2D default diffusion prior', datasetIds: [datasetId], steps: opts.steps, evalEvery: 100, patience: 10, keep: opts.keep, ema: opts.ema, seed: opts.seed });
  console.log(`Training the diffusion prior: ${JSON.stringify(params)}`);
  const trained = await waitForJob(wb, wb.jobs.start('diffusion.train', params, projectId), 'diffusion');
  const model = asKind(wb.models.get(jobResult(trained, 'diffusion.train').modelId), 'diffusion');

  const records = [...new OptimizationDatasets(wb.db).records(datasetId)].map((r) => ({ run: r.run, optimizer: r.optimizer, iteration: r.iteration, task: Array.from(r.task), design: Array.from(r.design), cost: r.cost }));
  const trajectories = join(root, DEFAULT_TRAJECTORIES_FILE);
  mkdirSync(dirname(trajectories), { recursive: true });
  writeFileSync(trajectories, JSON.stringify(records) + '\n');
  const out = join(root, DEFAULT_DIFFUSION_DIR);
  shipModel(wb, model, out, DEFAULT_DIFFUSION_FILES, command, t0);
  const m = model.metrics;
  console.log(`Default diffusion model written to ${out} (${m.step} steps, best validation loss ${m.bestValLoss?.toPrecision(4)}, ${m.examples?.train} + ${m.examples?.val} designs)`);
  console.log(`Default trajectories written to ${trajectories} (${records.length} iterates)`);
  // their best designs' outcomes, from the runs' own queries: the built-in project's stored designs
  writeShippedOutcomes(root, projectId, new QueryStore(wb.db), records, pickPerRun(records, SHIPPED_OUTCOMES_PER_RUN), command, t0);
}
