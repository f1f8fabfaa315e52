// One sampling run (docs/method.md §2-4): the denoiser, guided as asked (conditional, energy, both),
// optionally started from particles refined in the base distribution, then scored. Query
// accounting is the caller's: `score` and `energyGradient` are where simulator queries happen.
import type { EpsilonModel } from '../onnx-denoiser';
import type { Schedule } from '../schedule';
import { conditionalGuidance, energyGuidance, unconditional, type EnergyGradientFn, type EpsilonFn } from './guidance';
import { particleSampling } from './particles';
import { normals, reverseProcess, reverseTimesteps, type ReverseOptions } from './reverse';

export interface SampleSettings {
  /** designs drawn by the final reverse process */
  count: number;
  sampler: 'ddpm' | 'ddim';
  ddimSteps: number;
  eta: number;
  /** classifier-free guidance toward `condition` ([task, cost level], normalized) */
  conditional: { enabled: boolean; weight: number };
  condition: Float32Array | null;
  energy: { enabled: boolean; scale: number; clip: number; lastSteps: number };
  particles: { enabled: boolean; count: number; rounds: number; temperature: number; sigma: number; estimatorSteps: number };
}

/** The method a run's queries and designs are recorded under: ddm[+energy][+cond][+ps] (one copy, shared with the renderer). */
export { samplingMethod } from '../../../../src-shared/sampling';

export interface SampleDeps {
  model: EpsilonModel;
  schedule: Schedule;
  /** the costs of clean designs: one query each */
  score(designs: Float32Array[], phase: 'particles' | 'final'): Promise<number[]>;
  /** the learned simulator's cost gradient; needed when energy guidance is on */
  energyGradient?: EnergyGradientFn;
  uniform(): number;
  normal(): number;
  /** between units of work: progress in 0..1 (may throw to cancel) */
  progress?(fraction: number, message: string): void;
}

export interface SampleOutcome {
  /** the final designs [count][d], in [-1, 1] */
  designs: Float32Array[];
  costs: number[];
}

function guided(deps: SampleDeps, settings: SampleSettings, timesteps: number[]): EpsilonFn {
  const { model, schedule } = deps;
  let epsilon: EpsilonFn;
  if (settings.conditional.enabled) {
    if (!settings.condition) throw new Error('conditional guidance needs a condition (task and cost level)');
    epsilon = conditionalGuidance(model, settings.condition, settings.conditional.weight);
  } else {
    epsilon = unconditional(model);
  }
  if (settings.energy.enabled) {
    if (!deps.energyGradient) throw new Error('energy guidance needs the learned simulator’s gradient');
    const last = Math.min(settings.energy.lastSteps, timesteps.length);
    epsilon = energyGuidance(epsilon, schedule, deps.energyGradient, { scale: settings.energy.scale, clip: settings.energy.clip, guideAt: new Set(timesteps.slice(timesteps.length - last)) });
  }
  return epsilon;
}

function split(x: Float32Array, n: number, d: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => x.slice(i * d, (i + 1) * d));
}

/** The scoring simulator's queries a run makes: N particles scored in each of k rounds, then the final designs. */
export function expectedQueries(settings: Pick<SampleSettings, 'count' | 'particles'>): number {
  return (settings.particles.enabled ? settings.particles.count * settings.particles.rounds : 0) + settings.count;
}

/**
 * A sampling run's progress, moved by its queries (the simulator's rollouts are its time) with
 * a small share for the denoising between them, so it moves while particle rounds query and
 * never goes back.
 */
export function samplingProgress(queries: number, expected: number, pipelineFraction: number): number {
  const byQueries = expected > 0 ? Math.min(1, queries / expected) : 0;
  return 0.85 * byQueries + 0.15 * Math.min(1, Math.max(0, pipelineFraction));
}

export async function sampleDesigns(deps: SampleDeps, settings: SampleSettings): Promise<SampleOutcome> {
  const d = deps.model.config.dim;
  const n = settings.count;
  if (!Number.isInteger(n) || n < 1) throw new Error(`count must be a positive integer, got ${n}`);
  const final: ReverseOptions = { sampler: settings.sampler, steps: settings.ddimSteps, eta: settings.eta };
  const finalSteps = reverseTimesteps(deps.schedule, final);
  const p = settings.particles;
  const progressShare = p.enabled ? 0.5 : 0;

  let xT: Float32Array;
  deps.progress?.(0, p.enabled ? `particle round 1/${p.rounds}` : 'denoising');
  if (p.enabled) {
    const estimator: ReverseOptions = { sampler: 'ddim', steps: p.estimatorSteps, eta: 0 };
    const estimatorEpsilon = guided(deps, settings, reverseTimesteps(deps.schedule, estimator));
    const particles = await particleSampling({
      count: p.count,
      dim: d,
      rounds: p.rounds,
      temperature: p.temperature,
      sigma: p.sigma,
      estimate: (x, batch) => reverseProcess(deps.schedule, estimatorEpsilon, x, batch, estimator, deps.normal),
      energy: (designs) => deps.score(designs, 'particles'),
      normal: deps.normal,
      uniform: deps.uniform,
      onRound: (r) => deps.progress?.((progressShare * r) / p.rounds, r < p.rounds ? `particle round ${r + 1}/${p.rounds}` : 'denoising the survivors'),
    });
    // the final pass starts from the survivors; beyond N, further perturbed copies of them
    xT = new Float32Array(n * d);
    const keep = Math.sqrt(1 - p.sigma * p.sigma);
    for (let i = 0; i < n; i++) {
      const from = (i % p.count) * d;
      for (let j = 0; j < d; j++) xT[i * d + j] = i < p.count ? particles[from + j]! : keep * particles[from + j]! + p.sigma * deps.normal();
    }
  } else {
    xT = normals(n * d, deps.normal);
  }

  const x0 = await reverseProcess(deps.schedule, guided(deps, settings, finalSteps), xT, n, final, deps.normal, (k, of) =>
    deps.progress?.(progressShare + ((1 - progressShare) * 0.9 * k) / of, `reverse step ${k}/${of}`),
  );
  const designs = split(x0, n, d);
  deps.progress?.(0.95, `scoring ${n} designs`);
  const costs = await deps.score(designs, 'final');
  return { designs, costs };
}
