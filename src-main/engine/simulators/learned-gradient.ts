// The learned simulator's cost and design gradient dE/dx (gns/gradient.ts) for one design at a
// time: what Adam and energy guidance follow. The caller stores each evaluation as a query.
import type { ModelInfo } from '../../../src-shared/api';
import type { Environment } from '../environments';
import { designGradient } from '../gns/gradient';
import { GnsNetwork } from '../gns/network';
import { deserializeWeights, type GnsModelFile } from '../gns/serialize';
import { bytesToFloats } from '../nn/floats';
import type { ModelStore } from '../models/store';
import { loadTf, type TfRuntime } from '../tf';

export interface GradientEvaluation {
  cost: number;
  capture: number;
  /** dE/dx [d] */
  gradient: Float32Array;
  wallMs: number;
}

export class LearnedGradient {
  private constructor(
    private readonly tf: TfRuntime['tf'],
    private readonly network: GnsNetwork,
    private readonly file: GnsModelFile,
    private readonly env: Environment,
    private readonly settings: { particles: number; grid: number; thetaMax: number },
  ) {}

  /** The model's TF.js weights (model.json, weights.bin). */
  static async load(models: ModelStore, model: ModelInfo, env: Environment, settings: { particles: number; grid: number; thetaMax: number }): Promise<LearnedGradient> {
    const { tf } = await loadTf();
    const file = JSON.parse(models.readFile(model, 'model.json').toString('utf8')) as GnsModelFile;
    const network = GnsNetwork.fromWeights(tf, file.gns, deserializeWeights(file.layout, bytesToFloats(models.readFile(model, 'weights.bin'))));
    return new LearnedGradient(tf, network, file, env, settings);
  }

  async evaluate(design: Float32Array, task: Float32Array): Promise<GradientEvaluation> {
    const t0 = performance.now();
    // the model's own steps: stepsPerFrame per frame; the cost is the last state's either way
    const steps = (this.env.frames - 1) * (this.file.stepsPerFrame ?? 1) + 1;
    const g = await designGradient(this.tf, this.network, this.file.gns, this.file.norm, this.settings, design, task, steps, this.env.constraint(design));
    const wallMs = performance.now() - t0;
    const { particleTypes } = this.env.initialState(design);
    // the stored cost and capture are the environment's, as LearnedSimulator stores them
    const { cost, capture } = this.env.evaluate({ frames: steps, particles: particleTypes.length, positions: g.rollout, particleTypes, frameDt: this.env.frameDt }, task);
    return { cost, capture, gradient: g.gradient, wallMs };
  }

  /** the network's weights are tensors: free them when done */
  dispose(): void {
    this.network.dispose();
  }
}
