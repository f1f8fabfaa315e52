// model.json of a diffusion model's folder: with weights.bin and model.onnx, enough to sample
// from it or resume its training.
import type { ModelInfo } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { bytesToFloats } from '../nn/floats';
import type { ModelStore } from '../models/store';
import type { ConditionScale } from './training-data';
import { unflattenWeights, type DenoiserConfig, type DenoiserWeights } from './denoiser';
import { makeSchedule, type Schedule, type ScheduleKind } from './schedule';

export interface DiffusionModelFile {
  version: 1;
  denoiser: DenoiserConfig;
  schedule: { kind: ScheduleKind; timesteps: number };
  /** how tasks and costs were normalized into the condition */
  scale: ConditionScale;
}

export const DIFFUSION_MODEL_FILES = ['model.json', 'weights.bin', 'model.onnx'] as const;

/** A diffusion model of the project that can be sampled from, or a clear error. */
export function readyDiffusionModel(models: ModelStore, projectId: number, modelId: number | undefined, path = 'params.modelId'): ModelInfo {
  const model = modelId === undefined ? models.list(projectId, 'diffusion').find((m) => m.status === 'ready') : models.get(modelId);
  if (!model) throw new ApiError('invalid_argument', 'This project has no trained diffusion model yet: train one first (the Diffusion tab, or `idw diffusion train`).', [{ path, message: 'no ready diffusion model' }]);
  if (model.projectId !== projectId || model.kind !== 'diffusion') throw new ApiError('invalid_argument', `Model ${model.id} is not a diffusion model of this project.`, [{ path, message: 'wrong model' }]);
  if (model.status !== 'ready') throw new ApiError('invalid_argument', `Diffusion model "${model.name}" is ${model.status}, not ready.`, [{ path, message: `model is ${model.status}` }]);
  for (const f of DIFFUSION_MODEL_FILES) {
    if (!models.hasFile(model, f)) throw new ApiError('invalid_argument', `Diffusion model "${model.name}" has no ${f}.`, [{ path, message: `no ${f}` }]);
  }
  return model;
}

export function readDiffusionModel(models: ModelStore, model: ModelInfo): { file: DiffusionModelFile; schedule: Schedule; onnx: Uint8Array; weights: () => DenoiserWeights } {
  const file = JSON.parse(models.readFile(model, 'model.json').toString('utf8')) as DiffusionModelFile;
  if (file.version !== 1) throw new Error(`diffusion model ${model.id}: unknown model.json version ${String(file.version)}`);
  return {
    file,
    schedule: makeSchedule(file.schedule.kind, file.schedule.timesteps),
    onnx: new Uint8Array(models.readFile(model, 'model.onnx')),
    weights: () => unflattenWeights(file.denoiser, bytesToFloats(models.readFile(model, 'weights.bin'))),
  };
}
