import { availableParallelism } from 'node:os';
import type { Environment, Rollout } from '../environments';
import { OnnxGnsStep } from '../gns/onnx-step';
import { learnedRollout } from '../gns/rollout';
import type { GnsConfig, GnsNormalization } from '../gns/spec';
import type { ModelInfo } from '../../../src-shared/api';
import type { GnsModelFile } from '../gns/serialize';
import type { ModelStore } from '../models/store';
import type { QueryStore } from '../storage/queries';
import type { QueryContext, QueryOutcome, Simulator } from './simulator';

/** What a trained simulator model needs at inference: its config, normalization and ONNX file. */
export interface LearnedModel {
  id: number;
  config: GnsConfig;
  norm: GnsNormalization;
  onnx: Uint8Array;
  /** GNS steps per environment frame; 1 when absent */
  stepsPerFrame?: number;
}

/**
 * Learned rollouts on onnxruntime: one single-threaded session per core (ORT's ScatterND add is
 * not safe with several intra-op threads), designs spread over them; graph building in
 * TypeScript between steps.
 */
export class LearnedRunner {
  private readonly free: OnnxGnsStep[];
  private readonly waiting: ((s: OnnxGnsStep) => void)[] = [];

  private constructor(
    readonly model: LearnedModel,
    private readonly sessions: OnnxGnsStep[],
  ) {
    this.free = [...sessions];
  }

  /** A stored simulator model (model.json, model.onnx) with `sessions` ORT sessions. */
  static fromModel(models: ModelStore, model: ModelInfo, sessions = availableParallelism()): Promise<LearnedRunner> {
    const file = JSON.parse(models.readFile(model, 'model.json').toString('utf8')) as GnsModelFile;
    return LearnedRunner.load({ id: model.id, config: file.gns, norm: file.norm, onnx: models.readFile(model, 'model.onnx'), stepsPerFrame: file.stepsPerFrame }, sessions);
  }

  static async load(model: LearnedModel, sessions = availableParallelism()): Promise<LearnedRunner> {
    const steps = await Promise.all(Array.from({ length: Math.max(1, sessions) }, () => OnnxGnsStep.load(model.onnx, { intraOpThreads: 1 })));
    return new LearnedRunner(model, steps);
  }

  /** The learned trajectory of a design from rest: [frames * N * 2] like the ground truth's. */
  async rollout(env: Environment, design: Float32Array): Promise<Rollout & { computeMs: number }> {
    const { positions, particleTypes } = env.initialState(design);
    const k = this.model.stepsPerFrame ?? 1;
    const fine = await this.rolloutFrom(positions, particleTypes, (env.frames - 1) * k + 1, env.constraint(design));
    if (k === 1) return { ...fine, frameDt: env.frameDt };
    // k GNS steps per frame: keep every k-th state, so the rollout has the environment's frames
    const frame = positions.length;
    const out = new Float32Array(env.frames * frame);
    for (let f = 0; f < env.frames; f++) out.set(fine.positions.subarray(f * k * frame, (f * k + 1) * frame), f * frame);
    return { ...fine, frames: env.frames, positions: out, frameDt: env.frameDt };
  }

  /**
   * From a state at rest (positions [N * 2], types [N]): the water was still before frame 0,
   * so the history is C + 1 copies of it; kinematic particles stay where they are. `frames`
   * states at the model's own step (stepsPerFrame of them per environment frame).
   */
  async rolloutFrom(
    positions: Float32Array,
    particleTypes: Uint8Array,
    frames: number,
    constrain?: (next: Float32Array, current: Float32Array) => void,
  ): Promise<Omit<Rollout, 'frameDt'> & { computeMs: number }> {
    const session = await this.acquire();
    const t0 = performance.now(); // from here: the rollout's own time, not the wait for a session
    try {
      const c = this.model.config.historyLength;
      const frame = positions.length;
      const history = new Float32Array((c + 1) * frame);
      for (let k = 0; k <= c; k++) history.set(positions, k * frame);
      const out = await learnedRollout((inputs) => session.run(inputs), this.model.config, this.model.norm, history, particleTypes, positions, frames + c, constrain);
      return { frames, particles: frame / 2, positions: out.slice(c * frame), particleTypes, computeMs: performance.now() - t0 };
    } finally {
      this.release(session);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }

  private acquire(): Promise<OnnxGnsStep> {
    const s = this.free.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: OnnxGnsStep): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }
}

/** A trained GNS behind the Simulator interface: every query stored with its model. */
export class LearnedSimulator implements Simulator {
  readonly kind = 'learned' as const;
  readonly modelId: number;

  constructor(
    private readonly env: Environment,
    private readonly runner: LearnedRunner,
    private readonly queries: QueryStore,
    private readonly onRecorded?: (projectId: number, count: number) => void,
  ) {
    this.modelId = runner.model.id;
  }

  async evaluate(designs: readonly Float32Array[], task: Float32Array, ctx: QueryContext): Promise<QueryOutcome[]> {
    const results = await Promise.all(designs.map((d) => this.one(d, task)));
    return this.record(designs, task, results, ctx);
  }

  async rollout(design: Float32Array, task: Float32Array, ctx: QueryContext): Promise<QueryOutcome & { rollout: Rollout }> {
    const r = await this.one(design, task);
    const [recorded] = this.record([design], task, [r], ctx);
    return { ...recorded!, rollout: r.rollout };
  }

  replay(design: Float32Array, task: Float32Array): Promise<Omit<QueryOutcome, 'queryId'> & { rollout: Rollout }> {
    return this.one(design, task);
  }

  private async one(design: Float32Array, task: Float32Array): Promise<{ cost: number; capture: number; wallMs: number; rollout: Rollout }> {
    const rollout = await this.runner.rollout(this.env, design);
    const { cost, capture } = this.env.evaluate(rollout, task);
    return { cost, capture, wallMs: rollout.computeMs, rollout };
  }

  private record(designs: readonly Float32Array[], task: Float32Array, results: { cost: number; capture: number; wallMs: number }[], ctx: QueryContext): QueryOutcome[] {
    const first = this.queries.record(
      results.map((r, i) => ({
        projectId: ctx.projectId,
        design: designs[i]!,
        task,
        simulator: 'learned' as const,
        modelId: this.modelId,
        cost: r.cost,
        capture: r.capture,
        wallMs: r.wallMs,
        method: ctx.method,
        run: ctx.run ?? null,
      })),
    );
    this.onRecorded?.(ctx.projectId, results.length);
    return results.map((r, i) => ({ queryId: first + i, cost: r.cost, capture: r.capture, wallMs: r.wallMs }));
  }
}
