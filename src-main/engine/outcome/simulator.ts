// An outcome model as a trained simulator: the model row a training writes to (resumed, fine-tuned
// from a ready model, or new on the project's outcomes) and the files a finished model is made of.
import type { ModelInfo } from '../../../src-shared/api';
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import type { Environment } from '../environments';
import type { JobContext } from '../jobs/job-context';
import { MIN_FINE_TUNE_EXAMPLES, MIN_OUTCOME_EXAMPLES, readyOutcomeModel, type OutcomeTrainParams } from '../jobs/kinds/outcome-train.check';
import type { ModelStore } from '../models/store';
import { floatBytes } from '../nn/floats';
import type { QueryStore } from '../storage/queries';
import { loadTf } from '../tf';
import { physicsSettings, type OutcomeModel, type OutcomeModelFile } from './model-file';
import { exportOutcomeOnnx } from './onnx-export';
import { flattenOutcomeWeights, type OutcomeModelConfig, type OutcomeNormalization, type OutcomeWeights } from './spec';
import { collectOutcomes } from './training-data';

/** What the model row's config holds: the network, its normalization and where its data ends. */
export interface OutcomeConfig {
  outcome: OutcomeModelConfig;
  norm: OutcomeNormalization;
  training: OutcomeTrainParams;
  /** the training data: the project's ground-truth outcomes with query ids in (fromId, upToId] */
  data: { fromId: number; upToId: number };
  physics: Record<string, unknown>;
  backend: string;
  initModelId?: number;
  /** a fine-tune: the last query id its starting model learned from (newer outcomes get more weight) */
  startUpToId?: number;
}

/**
 * The model row an outcome training writes to. A resumed model keeps its config (only the step
 * budget may grow) and its fine-tune's starting model; a new one collects its outcomes first
 * (new rollouts when asked, then the stored ones) and takes a fine-tune's network, or a fresh one
 * of the requested width.
 */
export async function openOutcomeModel(
  ctx: JobContext,
  at: { models: ModelStore; queries: QueryStore; env: Environment; project: { id: number; settings: FluidTool2DSettings } },
  requested: OutcomeTrainParams,
): Promise<{ model: ModelInfo; config: OutcomeConfig; start: OutcomeModel | null }> {
  const { models, queries, env, project } = at;
  const projectId = project.id;
  const spec = env.outcomeSpec;
  if (requested.resumeModelId !== undefined) {
    const model = models.get(requested.resumeModelId);
    const before = model.config as unknown as OutcomeConfig;
    // where it trains is asked each time, a resume included
    const config = { ...before, training: { ...before.training, steps: Math.max(requested.steps, before.training.steps), queue: requested.queue } };
    // a fine-tune's anchors come from its starting model: it must still be there
    const start = before.initModelId !== undefined ? readyOutcomeModel(models, projectId, before.initModelId, env, project.settings, 'params.resumeModelId').model : null;
    return { model, config, start };
  }
  let start: OutcomeModel | null = null;
  let startUpToId: number | undefined;
  if (requested.initModelId !== undefined) {
    const ready = readyOutcomeModel(models, projectId, requested.initModelId, env, project.settings, 'params.initModelId');
    start = ready.model;
    // a shipped model learned in another database: every outcome of this project is new to it
    const startConfig = ready.info.config as Partial<OutcomeConfig> & { shipped?: boolean };
    startUpToId = startConfig.shipped ? 0 : (startConfig.data?.upToId ?? 0);
  }
  const least = start ? MIN_FINE_TUNE_EXAMPLES : MIN_OUTCOME_EXAMPLES;
  const data = await collectOutcomes(ctx, queries, { projectId, outcomeDim: spec.dim, least, fineTune: start !== null }, requested, 0.5);
  const outcome: OutcomeModelConfig = start?.file.config ?? { designDim: env.designSpace.dim, outcomeDim: spec.dim, costEntries: spec.costEntries, hidden: requested.hidden, outcomeVersion: spec.version };
  const { backend } = await loadTf();
  const config: OutcomeConfig = { outcome, norm: start?.file.norm ?? { mean: [], std: [] }, training: requested, data, physics: physicsSettings(project.settings), backend, initModelId: requested.initModelId, startUpToId };
  const name = requested.name ?? `Outcome ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const model = models.create({ projectId, kind: 'outcome', name, config, datasetId: null, jobId: ctx.jobId, status: 'training' });
  return { model, config, start };
}

/** A finished outcome model's files: model.json, weights.bin and model.onnx. */
export function outcomeModelFiles(config: OutcomeConfig, weights: OutcomeWeights, meta: Record<string, string>): { file: OutcomeModelFile; files: [string, string | Uint8Array][] } {
  const file: OutcomeModelFile = { version: 1, kind: 'outcome', config: config.outcome, norm: config.norm, physics: config.physics };
  return {
    file,
    files: [
      ['model.json', JSON.stringify(file)],
      ['weights.bin', floatBytes(flattenOutcomeWeights(weights))],
      ['model.onnx', exportOutcomeOnnx(config.outcome, weights, config.norm, meta)],
    ],
  };
}
