// A GNS as a trained simulator (as learning_to_simulate's learned_simulator module): the model row
// a training writes to, its checkpoints' weights, and the files a finished model is made of (the
// training loop itself: train-run.ts).
import type { ModelInfo, SimulatorModelConfig } from '../../../src-shared/api';
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import type { GnsTrainParams } from '../jobs/kinds/gns-train.check';
import type { ModelStore } from '../models/store';
import { floatBytes } from '../nn/floats';
import { exportGnsOnnx } from './onnx-export';
import { serializeWeights, type GnsModelFile, type WeightsLayout } from './serialize';
import { GNS_DEFAULTS, type GnsConfig, type GnsNormalization, type GnsWeights } from './spec';
import { gnsConfigOf, readGnsModel } from './training-data';

/** What checkpoint.json holds besides the training state: how to read the weights back. */
export type GnsCheckpointLayout = {
  norm: GnsNormalization;
  layout: WeightsLayout;
};

/**
 * The model row a GNS training writes to, and what it trains with: a resumed model keeps the
 * parameters it was started with (only the step budget may grow); a fine-tune keeps its starting
 * model's network and features (only the noise is a training setting); a new model takes the
 * request's sizes, with walls at the project's grid.
 */
export function openGnsModel(
  models: ModelStore,
  project: { id: number; settings: FluidTool2DSettings },
  requested: GnsTrainParams,
  made: { jobId: number; backend: string },
): { model: ModelInfo; params: GnsTrainParams; gns: GnsConfig; start: { file: GnsModelFile; weights: GnsWeights } | null } {
  if (requested.resumeModelId !== undefined) {
    const model = models.get(requested.resumeModelId);
    const before = model.config.training as GnsTrainParams;
    // where it trains is asked each time, a resume included
    const params = { ...before, steps: Math.max(requested.steps, before.steps), queue: requested.queue };
    return { model, params, gns: (model.config as SimulatorModelConfig).gns ?? gnsConfigOf(params, GNS_DEFAULTS.bounds), start: null };
  }
  const start = requested.initModelId !== undefined ? readGnsModel(models, requested.initModelId) : null;
  const wall = 3 / project.settings.grid;
  const gns = start ? { ...start.file.gns, noiseStd: requested.noiseStd } : gnsConfigOf(requested, [wall, 1 - wall, wall, 1 - wall]);
  const params = { ...requested, latent: gns.latent, messagePassingSteps: gns.messagePassingSteps, mlpLayers: gns.mlpLayers, radius: gns.radius };
  const name = params.name ?? `GNS ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const model = models.create({ projectId: project.id, kind: 'simulator', name, config: { gns, training: params, backend: made.backend }, datasetId: params.datasetIds[0]!, jobId: made.jobId, status: 'training' });
  return { model, params, gns, start };
}

/** A checkpoint's weights: the current and the best, with how to read them back. */
export function gnsCheckpoint(current: GnsWeights, best: GnsWeights, norm: GnsNormalization): { weights: Float32Array; best: Float32Array; layout: GnsCheckpointLayout } {
  const weights = serializeWeights(current);
  return { weights: weights.data, best: serializeWeights(best).data, layout: { norm, layout: weights.layout } };
}

/** A finished GNS's files: model.onnx, model.json and weights.bin. */
export function gnsModelFiles(gns: GnsConfig, norm: GnsNormalization, weights: GnsWeights, stepsPerFrame: number, meta: Record<string, string>): { onnx: Uint8Array; files: [string, string | Uint8Array][] } {
  const layout = serializeWeights(weights);
  const file: GnsModelFile = { gns, norm, layout: layout.layout, stepsPerFrame };
  const onnx = exportGnsOnnx(gns, weights, meta);
  return { onnx, files: [['model.onnx', onnx], ['model.json', JSON.stringify(file)], ['weights.bin', floatBytes(layout.data)]] };
}
