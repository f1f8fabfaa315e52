// A trained outcome model on disk (model.json + weights.bin + model.onnx) and in memory: predict
// outcomes, cost and capture for any task, and the cost's design gradient.
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import { ApiError } from '../../../src-shared/errors';
import type { Environment } from '../environments';
import { bytesToFloats } from '../nn/floats';
import { outcomeVjp, predictOutcome } from './reference';
import { checkOutcomeConfig, unflattenOutcomeWeights, type OutcomeModelConfig, type OutcomeNormalization, type OutcomeWeights } from './spec';

export const OUTCOME_MODEL_FILES = ['model.json', 'weights.bin', 'model.onnx'] as const;

export interface OutcomeModelFile {
  version: 1;
  kind: 'outcome';
  config: OutcomeModelConfig;
  norm: OutcomeNormalization;
  /** the environment settings that shape a rollout (all but the task range and target radius) */
  physics: Record<string, unknown>;
}

/** The settings an outcome depends on: the target's place and size do not change a rollout. */
export function physicsSettings(settings: FluidTool2DSettings): Record<string, unknown> {
  const { taskRange: _range, targetRadius: _radius, ...physics } = settings;
  return Object.fromEntries(Object.entries(physics).sort(([a], [b]) => a.localeCompare(b)));
}

export class OutcomeModel {
  constructor(
    readonly file: OutcomeModelFile,
    readonly weights: OutcomeWeights,
  ) {
    checkOutcomeConfig(file.config);
  }

  static fromBytes(json: Uint8Array | string, weightsBin: Uint8Array): OutcomeModel {
    const file = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8')) as OutcomeModelFile;
    if (file.version !== 1 || file.kind !== 'outcome') throw new Error('model.json is not an outcome model of a version this build reads');
    return new OutcomeModel(file, unflattenOutcomeWeights(file.config, bytesToFloats(weightsBin)));
  }

  /**
   * Refuses a model trained for other physics or another outcome definition than the
   * environment's: its predictions would not mean what the cost algebra assumes.
   */
  checkFor(env: Environment, settings: FluidTool2DSettings, name: string): void {
    const c = this.file.config;
    const mismatch =
      c.outcomeVersion !== env.outcomeSpec.version
        ? `it predicts outcomes "${c.outcomeVersion}", this environment's are "${env.outcomeSpec.version}"`
        : c.designDim !== env.designSpace.dim
          ? `it takes ${c.designDim}-entry designs, this project's have ${env.designSpace.dim}`
          : JSON.stringify(this.file.physics) !== JSON.stringify(physicsSettings(settings))
            ? `it was trained on other environment settings (${describeDifference(this.file.physics, physicsSettings(settings))})`
            : null;
    if (mismatch) throw new ApiError('invalid_argument', `Outcome model "${name}" does not fit this project: ${mismatch}.`, [{ path: 'modelId', message: 'model trained for other settings' }]);
  }

  predict(design: ArrayLike<number>): Float32Array {
    return predictOutcome(this.file.config, this.weights, this.file.norm, design);
  }

  /** cost and capture for a task from the predicted outcome, and dCost/dx [d] */
  costAndGradient(env: Environment, design: ArrayLike<number>, task: ArrayLike<number>): { cost: number; capture: number; gradient: Float32Array } {
    const outcome = this.predict(design);
    const { cost, capture, costGradient } = env.evaluateOutcome(outcome, task);
    const { gradient } = outcomeVjp(this.file.config, this.weights, this.file.norm, design, () => costGradient);
    return { cost, capture, gradient };
  }
}

function describeDifference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return keys.map((k) => `${k} ${JSON.stringify(a[k])} there, ${JSON.stringify(b[k])} here`).join('; ');
}
