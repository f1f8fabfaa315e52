// The learned simulator's configuration and weights as plain data (docs/method.md §8). TF.js
// training, the ONNX export and the reference forward pass all read this one layout, so a
// model can be stored, resumed, exported and compared without any framework in between.

import type { GnsNetworkConfig } from '../../../src-shared/models';

/** The network (declared in src-shared/models.ts, where a model row's config holds it). */
export type GnsConfig = GnsNetworkConfig;

// Smaller than the reference (latent 128, M = 10) so a 50-frame learned rollout of the default
// FluidTool-2D takes about 0.3 s on one CPU core (bench:gns); configurable per model.
export const GNS_DEFAULTS: GnsConfig = {
  latent: 48,
  mlpLayers: 2,
  messagePassingSteps: 4,
  radius: 0.018,
  historyLength: 5,
  typeEmbedding: 16,
  numTypes: 9,
  noiseStd: 3e-4,
  bounds: [3 / 64, 1 - 3 / 64, 3 / 64, 1 - 3 / 64],
};

/** Dense layer y = x W + b: w is row-major [inSize, outSize]. */
export interface DenseWeights {
  inSize: number;
  outSize: number;
  w: Float32Array;
  b: Float32Array;
}

/** MLP: dense layers with ReLU between them (none after the last), then optional LayerNorm. */
export interface MlpWeights {
  layers: DenseWeights[];
  /** LayerNorm over the output features, epsilon 1e-5 */
  layerNorm: { gamma: Float32Array; beta: Float32Array } | null;
}

export interface GnsWeights {
  /** [numTypes, typeEmbedding], row-major */
  typeEmbedding: Float32Array;
  nodeEncoder: MlpWeights;
  edgeEncoder: MlpWeights;
  /** per message-passing step: edge MLP on [e, v_sender, v_receiver], node MLP on [v, sum of new edges] */
  processor: { edge: MlpWeights; node: MlpWeights }[];
  decoder: MlpWeights;
}

/** Dataset statistics the features are normalized with (per dimension, box units per frame). */
export interface GnsNormalization {
  velocityMean: [number, number];
  velocityStd: [number, number];
  accelerationMean: [number, number];
  accelerationStd: [number, number];
}

/**
 * Feature layout, fixed:
 * - node features [N, nodeIn]: the last C velocities (x_t - x_{t-1}, ..., oldest last), each
 *   normalized (v - velocityMean) / velocityStd, flattened as [v_t.x, v_t.y, v_{t-1}.x, ...];
 *   then the distances to the 4 walls (x - xMin, xMax - x, y - yMin, yMax - y) divided by R and
 *   clipped to [-1, 1]; then the particle type's embedding row.
 * - edge features [E, 3]: (x_sender - x_receiver) / R and its norm.
 * - output [N, 2]: normalized acceleration; acceleration = out * accelerationStd + accelerationMean,
 *   then v_{t+1} = v_t + a, x_{t+1} = x_t + v_{t+1} (semi-implicit Euler, one frame).
 */
export function nodeInputSize(c: GnsConfig): number {
  return 2 * c.historyLength + 4 + c.typeEmbedding;
}
export const EDGE_INPUT_SIZE = 3;
