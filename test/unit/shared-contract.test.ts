import { describe, expect, it } from 'vitest';
import { JobParams, asKind, isKind, jobResult, type DiffusionModelInfo, type JobInfo, type ModelInfo, type SimulatorModelInfo } from '../../src-shared/api';
import { POLISHED_SAMPLING, costAtQuantile, quantileSorted, samplingMethod } from '../../src-shared/sampling';
import { countOrRange, framesOf, particleCountOf, particlesOf } from '../../src-shared/datasetStats';
import { costAtQuantile as rendererCostAtQuantile, diffusionConfig } from '../../src-renderer/src/diffusionModel';
import { simulatorConfig, simulatorMetrics } from '../../src-renderer/src/simulatorModel';

// The typed contract's shared functions (one copy for the engine, the CLI and the renderer) and
// the renderer's typed accessors on a model that has just started training.

const base = { id: 7, projectId: 1, name: 'm', status: 'training' as const, files: [], datasetId: 3, jobId: 2, createdAt: 0, updatedAt: 0 };

describe('sampling', () => {
  it('names a run by the switches that are on, from full or partial parameters', () => {
    expect(samplingMethod({})).toBe('ddm');
    expect(samplingMethod({ energy: { enabled: true }, conditional: { enabled: false }, particles: { enabled: true } })).toBe('ddm+energy+ps');
    expect(samplingMethod({ conditional: { enabled: true }, energy: { enabled: true }, particles: { enabled: true } })).toBe('ddm+energy+cond+ps');
  });

  it('the polished preset is a valid sample job that spends a fifth of CEM\'s 256 queries on the ground truth', () => {
    const p = JobParams.sample.parse({ ...POLISHED_SAMPLING, task: [0.4, 0.07], modelId: 1, simulatorModelId: 2 });
    expect(p.simulator).toBe('learned');
    expect(p.energy.enabled && p.conditional.enabled && !p.particles.enabled).toBe(true);
    expect(samplingMethod(p)).toBe('ddm+energy+cond');
    expect(p.refine).toMatchObject({ enabled: true, checks: 8, polish: 43, steps: 0 });
    expect(p.refine.checks + p.refine.polish).toBeLessThanOrEqual(256 / 5);
  });
  it('reads a cost level between the stored quantiles, clamped to [0, 1]', () => {
    const quantiles = Array.from({ length: 21 }, (_, i) => i / 10);
    expect(costAtQuantile(quantiles, 0)).toBe(0);
    expect(costAtQuantile(quantiles, 1)).toBe(2);
    expect(costAtQuantile(quantiles, 0.025)).toBeCloseTo(0.05, 12);
    expect(costAtQuantile(quantiles, 2)).toBe(2);
    expect(quantileSorted([], 0.5)).toBeNaN();
    // the renderer's reading: null without levels or a number
    const levels = { min: 0, max: 2, quantiles };
    expect(rendererCostAtQuantile(levels, 0.5)).toBeCloseTo(1, 12);
    expect(rendererCostAtQuantile(null, 0.5)).toBeNull();
    expect(rendererCostAtQuantile(levels, Number.NaN)).toBeNull();
  });
});

describe('dataset statistics', () => {
  it('shows one count, or a range where trajectories differ', () => {
    expect(countOrRange(50, undefined, undefined)).toBe('50');
    expect(countOrRange(undefined, 40, 50)).toBe('40–50');
    expect(countOrRange(null, undefined, undefined)).toBeNull();
    expect(framesOf({ frames: 51 })).toBe('51');
    expect(particlesOf({ particles: 300, particlesMin: 280, particlesMax: 300 })).toBe('280–300');
    expect(particleCountOf({ particles: 280, particlesMax: 300 })).toBe(300);
    expect(particleCountOf({})).toBeNull();
  });
});

describe('typed models and results', () => {
  it('narrows a model to its kind, and refuses another', () => {
    const model: ModelInfo = { ...base, kind: 'diffusion', config: {}, metrics: {} };
    expect(isKind(model, 'diffusion')).toBe(true);
    expect(asKind(model, 'diffusion').kind).toBe('diffusion');
    expect(() => asKind(model, 'simulator')).toThrow(/not a simulator model/);
  });

  it('gives a job result by kind, and throws for another kind or none', () => {
    const job = { id: 4, projectId: 1, kind: 'diffusion.train', params: {}, status: 'succeeded', progress: 1, message: null, error: null, createdAt: 0, startedAt: 0, finishedAt: 0, result: { modelId: 7, steps: 20, bestValLoss: 1, stoppedEarly: false, examples: 16 } } satisfies JobInfo;
    expect(jobResult(job, 'diffusion.train').modelId).toBe(7);
    expect(() => jobResult(job, 'gns.train')).toThrow(/no gns.train result/);
    expect(() => jobResult({ ...job, result: null }, 'diffusion.train')).toThrow();
  });

  it('reads a model that has just started training as nulls, its datasets from the row', () => {
    const gns: SimulatorModelInfo = { ...base, kind: 'simulator', config: { training: { steps: 100 } }, metrics: {} };
    const m = simulatorMetrics(gns);
    expect([m.step, m.spearman, m.trajectories, m.learnedRolloutMs]).toEqual([null, null, null, null]);
    expect(m.positionError).toEqual([]);
    const c = simulatorConfig(gns);
    expect([c.steps, c.latent, c.backend]).toEqual([100, null, null]);
    expect(c.datasetIds).toEqual([3]);
    const diffusion: DiffusionModelInfo = { ...base, kind: 'diffusion', config: { denoiser: { dim: 8, taskDim: 2, width: 32, blocks: 2, timeEmbedding: 64, conditional: false }, training: { width: 256 } }, metrics: {} };
    // the network's own config wins over the request
    expect(diffusionConfig(diffusion)).toMatchObject({ width: 32, blocks: 2, conditional: false, costLevels: null, schedule: null });
  });

  it('reads the stored position errors by frame, leaving out frames without a value', () => {
    const gns: SimulatorModelInfo = { ...base, kind: 'simulator', config: {}, metrics: { positionError: { '50': 0.02, '10': 0.01, '25': null } } };
    expect(simulatorMetrics(gns).positionError).toEqual([
      { frame: 10, error: 0.01 },
      { frame: 50, error: 0.02 },
    ]);
  });
});
