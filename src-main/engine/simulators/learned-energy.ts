// One interface for every differentiable learned model (docs/method.md §3, §5): the cost, capture and
// design gradient dE/dx that Adam and energy guidance follow, from the learned outcome model
// (microseconds a design) or through a GNS rollout (seconds). The caller stores each evaluation
// as a learned query. Also the outcome model behind the Simulator interface, for scoring.
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import type { ModelInfo } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import type { Environment, Rollout } from '../environments';
import type { ModelStore } from '../models/store';
import { OutcomeModel } from '../outcome/model-file';
import type { QueryStore } from '../storage/queries';
import { LearnedGradient, type GradientEvaluation } from './learned-gradient';
import type { QueryContext, QueryOutcome, Simulator } from './simulator';

export interface LearnedEnergy {
  readonly modelId: number;
  readonly modelKind: 'outcome' | 'simulator';
  /** cost, capture and dE/dx [d] of each design for one task */
  evaluate(designs: readonly Float32Array[], task: Float32Array): Promise<GradientEvaluation[]>;
  dispose(): void;
}

/** The outcome model's energy: the cost algebra of the environment on the predicted outcome. */
export class OutcomeEnergy implements LearnedEnergy {
  readonly modelKind = 'outcome' as const;
  constructor(
    readonly modelId: number,
    private readonly model: OutcomeModel,
    private readonly env: Environment,
  ) {}

  evaluate(designs: readonly Float32Array[], task: Float32Array): Promise<GradientEvaluation[]> {
    return Promise.resolve(
      designs.map((design) => {
        const t0 = performance.now();
        const r = this.model.costAndGradient(this.env, design, task);
        return { ...r, wallMs: performance.now() - t0 };
      }),
    );
  }

  dispose(): void {}
}

/** The GNS's energy: the cost of its rollout and the gradient through it (recomputed per frame). */
export class GnsEnergy implements LearnedEnergy {
  readonly modelKind = 'simulator' as const;
  constructor(
    readonly modelId: number,
    private readonly gradient: LearnedGradient,
  ) {}

  async evaluate(designs: readonly Float32Array[], task: Float32Array): Promise<GradientEvaluation[]> {
    const out: GradientEvaluation[] = [];
    for (const design of designs) out.push(await this.gradient.evaluate(design, task));
    return out;
  }

  dispose(): void {
    this.gradient.dispose();
  }
}

/** Reads a stored outcome model and checks that it fits the project's environment. */
export function readOutcomeModel(models: ModelStore, info: ModelInfo, env: Environment, settings: FluidTool2DSettings): OutcomeModel {
  const model = OutcomeModel.fromBytes(models.readFile(info, 'model.json'), models.readFile(info, 'weights.bin'));
  model.checkFor(env, settings, info.name);
  return model;
}

export async function loadLearnedEnergy(models: ModelStore, info: ModelInfo, env: Environment, settings: FluidTool2DSettings): Promise<LearnedEnergy> {
  if (info.kind === 'outcome') return new OutcomeEnergy(info.id, readOutcomeModel(models, info, env, settings), env);
  return new GnsEnergy(info.id, await LearnedGradient.load(models, info, env, settings));
}

/** The outcome model behind the Simulator interface: costs without trajectories, each a stored learned query. */
export class OutcomeSimulator implements Simulator {
  readonly kind = 'learned' as const;
  constructor(
    readonly modelId: number,
    private readonly model: OutcomeModel,
    private readonly env: Environment,
    private readonly queries: QueryStore,
    private readonly onRecorded?: (projectId: number, count: number) => void,
  ) {}

  evaluate(designs: readonly Float32Array[], task: Float32Array, ctx: QueryContext): Promise<QueryOutcome[]> {
    const results = designs.map((design) => {
      const t0 = performance.now();
      const { cost, capture } = this.env.evaluateOutcome(this.model.predict(design), task);
      return { cost, capture, wallMs: performance.now() - t0 };
    });
    const first = this.queries.record(
      results.map((r, i) => ({ projectId: ctx.projectId, design: designs[i]!, task, simulator: 'learned' as const, modelId: this.modelId, cost: r.cost, capture: r.capture, wallMs: r.wallMs, method: ctx.method, run: ctx.run ?? null })),
    );
    this.onRecorded?.(ctx.projectId, results.length);
    return Promise.resolve(results.map((r, i) => ({ queryId: first + i, ...r })));
  }

  rollout(): Promise<QueryOutcome & { rollout: Rollout }> {
    return Promise.reject(new ApiError('invalid_argument', 'An outcome model predicts the final state, not a trajectory: play the design on the ground truth or a GNS.', [{ path: 'modelId', message: 'outcome models have no rollout' }]));
  }

  replay(): Promise<Omit<QueryOutcome, 'queryId'> & { rollout: Rollout }> {
    return this.rollout();
  }
}

/** The project a learned model must fit: its environment and settings. */
export interface ProjectFit {
  env: Environment;
  settings: FluidTool2DSettings;
}

/**
 * A ready learned model of the project for a use: an outcome model (model.json, weights.bin;
 * trained for the project's physics) or a GNS (model.json and weights.bin for gradients,
 * model.onnx for rollouts). Without modelId, the newest ready outcome model, else the newest
 * GNS. Throws ApiError naming `needs.path`, before any job row or query is written.
 */
export function resolveLearnedModel(
  models: ModelStore,
  projectId: number,
  modelId: number | undefined,
  fit: ProjectFit,
  needs: { gradient: boolean; rollouts: boolean; why: string; user: string; path: string },
): ModelInfo {
  const path = needs.path;
  const gnsFiles = ['model.json', ...(needs.gradient ? ['weights.bin'] : []), ...(needs.rollouts ? ['model.onnx'] : [])];
  const outcomeFits = (m: ModelInfo): boolean => {
    try {
      readOutcomeModel(models, m, fit.env, fit.settings);
      return true;
    } catch {
      return false;
    }
  };
  if (modelId === undefined) {
    const outcome = models.list(projectId, 'outcome').find((m) => m.status === 'ready' && models.hasFile(m, 'weights.bin') && models.hasFile(m, 'model.json') && outcomeFits(m));
    const gns = models.list(projectId, 'simulator').find((m) => m.status === 'ready' && gnsFiles.every((f) => models.hasFile(m, f)));
    const found = outcome ?? gns;
    if (!found) {
      throw new ApiError('invalid_argument', `This project has no ready learned model yet, and ${needs.why}: train an outcome model (or a GNS) first (the Simulator tab, or "idw outcome train").`, [{ path, message: 'no ready learned model' }]);
    }
    return found;
  }
  const model = models.get(modelId);
  if (model.projectId !== projectId || (model.kind !== 'simulator' && model.kind !== 'outcome')) {
    throw new ApiError('invalid_argument', `Model ${model.id} is not a learned model of this project (an outcome model or a GNS).`, [{ path, message: 'wrong model' }]);
  }
  if (model.status !== 'ready') throw new ApiError('invalid_argument', `Model "${model.name}" is ${model.status}, not ready.`, [{ path, message: `model is ${model.status}` }]);
  const files = model.kind === 'outcome' ? ['model.json', 'weights.bin'] : gnsFiles;
  for (const file of files) {
    if (!models.hasFile(model, file)) throw new ApiError('invalid_argument', `Model "${model.name}" has no ${file}, which ${needs.user} needs.`, [{ path, message: `no ${file}` }]);
  }
  if (model.kind === 'outcome') {
    try {
      readOutcomeModel(models, model, fit.env, fit.settings);
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError('invalid_argument', err.message, [{ path, message: 'model trained for other settings' }]);
      throw err;
    }
  }
  return model;
}
