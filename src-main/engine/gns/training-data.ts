// A GNS's training data (as learning_to_simulate's reading and noise steps): the trajectories of
// the chosen physics datasets, split by trajectory into training and held-out ones, each padded
// at rest for the history window; and the seeds that make every batch a function of its step.
import { asDatasetKind } from '../../../src-shared/api';
import type { ModelStore } from '../models/store';
import { PhysicsDatasets, type StoredTrajectory } from '../datasets/physics';
import { bytesToFloats } from '../nn/floats';
import { seededRandom } from '../random';
import type { Db } from '../storage/database';
import type { TrajectoryPositions } from './normalization';
import { deserializeWeights, type GnsModelFile } from './serialize';
import { GNS_DEFAULTS, type GnsConfig, type GnsWeights } from './spec';

/** The water was still before its release: pad C copies of frame 0 in front of a trajectory. */
export function padAtRest(t: StoredTrajectory, c: number): TrajectoryPositions {
  const frame = t.particles * 2;
  const positions = new Float32Array((t.frames + c) * frame);
  for (let k = 0; k < c; k++) positions.set(t.positions.subarray(0, frame), k * frame);
  positions.set(t.positions, c * frame);
  return { positions, frames: t.frames + c, particles: t.particles, particleTypes: t.particleTypes };
}

/** A seed for step k of a training seeded with `seed` (negative k: validation, evaluation). */
export function mixSeed(seed: number, k: number): number {
  let h = Math.imul(seed ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(k + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}

export interface GnsTrainingData {
  /** training trajectories, padded at rest */
  train: TrajectoryPositions[];
  /** held-out trajectories as stored (for the evaluation's rollouts) and padded (for the validation loss) */
  heldOut: StoredTrajectory[];
  val: TrajectoryPositions[];
  /** states per frame of the data (one value for all datasets, checked before the job started) */
  stepsPerFrame: number;
}

/** Every trajectory of the datasets, split by trajectory with a seeded shuffle: the same seed, the same held-out set. */
export function loadGnsTrainingData(db: Db, datasetIds: number[], split: { seed: number; validationFraction: number }, historyLength: number): GnsTrainingData {
  const datasets = new PhysicsDatasets(db);
  const all: StoredTrajectory[] = [];
  for (const id of datasetIds) all.push(...datasets.trajectories(id));
  const stepsPerFrame = datasetIds.length ? (asDatasetKind(datasets.get(datasetIds[0]!), 'physics').stats.stepsPerFrame ?? 1) : 1;
  const order = all.map((_, i) => i);
  const shuffle = seededRandom(split.seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.min(all.length - 1, Math.max(1, Math.round(all.length * split.validationFraction)));
  const heldOut = order.slice(0, nVal).map((i) => all[i]!);
  return {
    train: order.slice(nVal).map((i) => padAtRest(all[i]!, historyLength)),
    heldOut,
    val: heldOut.map((t) => padAtRest(t, historyLength)),
    stepsPerFrame,
  };
}

/** The network of a new GNS: the defaults, the request's sizes, walls at the project's grid. */
export function gnsConfigOf(params: Pick<GnsConfig, 'latent' | 'messagePassingSteps' | 'mlpLayers' | 'radius' | 'noiseStd'>, bounds: GnsConfig['bounds']): GnsConfig {
  return {
    ...GNS_DEFAULTS,
    latent: params.latent,
    messagePassingSteps: params.messagePassingSteps,
    mlpLayers: params.mlpLayers,
    radius: params.radius,
    noiseStd: params.noiseStd,
    bounds,
  };
}

/** The weights and model file of a ready learned simulator (checked before the job started), to fine-tune. */
export function readGnsModel(models: ModelStore, id: number): { file: GnsModelFile; weights: GnsWeights } {
  const model = models.get(id);
  const file = JSON.parse(models.readFile(model, 'model.json').toString('utf8')) as GnsModelFile;
  return { file, weights: deserializeWeights(file.layout, bytesToFloats(models.readFile(model, 'weights.bin'))) };
}

