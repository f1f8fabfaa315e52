import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { costAtQuantile, conditionScale, normalizeCondition, selectIterates, type IterateRecord } from '../../src-main/engine/diffusion/training-data';
import { DenoiserNetwork, initialDenoiserWeights, type DenoiserConfig } from '../../src-main/engine/diffusion/denoiser';
import { exportDenoiserOnnx } from '../../src-main/engine/diffusion/onnx-export';
import { OnnxDenoiser, TfDenoiser, type EpsilonModel } from '../../src-main/engine/diffusion/onnx-denoiser';
import { conditionalGuidance, energyGuidance, unconditional } from '../../src-main/engine/diffusion/samplers/guidance';
import { boltzmannWeights, systematicResample } from '../../src-main/engine/diffusion/samplers/particles';
import { sampleDesigns, samplingMethod, type SampleSettings } from '../../src-main/engine/diffusion/samplers/pipeline';
import { reverseProcess, reverseTimesteps } from '../../src-main/engine/diffusion/samplers/reverse';
import { addNoise, ddimStep, ddimTimesteps, ddpmStep, makeSchedule, predictX0 } from '../../src-main/engine/diffusion/schedule';
import { denoisingBatch, DiffusionTrainer, stepRandom } from '../../src-main/engine/diffusion/train';
import { gaussian } from '../../src-main/engine/random';
import { seededRandom } from '../../src-main/engine/random';
import { loadTf } from '../../src-main/engine/tf';

const normalFrom = (seed: number) => gaussian(seededRandom(seed));
const randn = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, normalFrom(seed));

describe('noise schedules', () => {
  it.each(['cosine', 'linear'] as const)('%s: abar is the running product of 1 - beta, falls from ~1 to ~0', (kind) => {
    for (const T of [10, 100, 1000]) {
      const s = makeSchedule(kind, T);
      let p = 1;
      for (let t = 0; t < T; t++) {
        p *= 1 - s.betas[t]!;
        expect(s.alphaBars[t]).toBeCloseTo(p, 12);
        expect(s.alphas[t]).toBeCloseTo(1 - s.betas[t]!, 15);
        if (t > 0) expect(s.alphaBars[t]!).toBeLessThan(s.alphaBars[t - 1]!);
      }
      expect(s.alphaBars[0]!).toBeGreaterThan(0.9);
      expect(s.alphaBars[T - 1]!).toBeLessThan(0.01);
    }
  });

  it('rejects a schedule of fewer than 2 steps and an unknown kind, naming the problem', () => {
    expect(() => makeSchedule('cosine', 1)).toThrow(/T >= 2/);
    expect(() => makeSchedule('sigmoid' as never, 10)).toThrow(/unknown schedule "sigmoid"/);
  });

  it('add_noise agrees with applying the one-step forward kernel t+1 times (same mean and variance)', () => {
    // q(x_t | x_0) must equal the composition of q(x_s | x_{s-1}) = N(sqrt(alpha_s) x, beta_s)
    const s = makeSchedule('linear', 50);
    const x0 = 0.7;
    const n = 40_000;
    const normal = normalFrom(11);
    for (const t of [0, 10, 49]) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        let x = x0;
        for (let k = 0; k <= t; k++) x = Math.sqrt(s.alphas[k]!) * x + Math.sqrt(s.betas[k]!) * normal();
        sum += x;
        sq += x * x;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      const closed = addNoise(s, Float32Array.of(x0), Float32Array.of(0), t)[0]!;
      expect(mean).toBeCloseTo(closed, 1);
      expect(Math.abs(variance - (1 - s.alphaBars[t]!))).toBeLessThan(0.02);
    }
  });

  it('with the true noise, x0^ recovers x0 and a DDIM step lands exactly on add_noise at the earlier step', () => {
    const s = makeSchedule('cosine', 100);
    const x0 = Float32Array.from(randn(16, 3), (v) => Math.tanh(v));
    const eps = randn(16, 4);
    for (const [t, tPrev] of [
      [99, 60],
      [40, 39],
      [5, -1],
    ] as const) {
      const xt = addNoise(s, x0, eps, t);
      // float32 arithmetic: x0^ divides by sqrt(abar_t), small at the noisiest step
      predictX0(s, xt, eps, t).forEach((v, i) => expect(v).toBeCloseTo(x0[i]!, 3));
      const prev = ddimStep(s, xt, eps, t, tPrev, 0, null, null);
      const expected = tPrev === -1 ? x0 : addNoise(s, x0, eps, tPrev);
      prev.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
    }
  });

  it('DDIM with eta = 0 is deterministic; eta > 0 needs noise and uses it', () => {
    const s = makeSchedule('linear', 100);
    const xt = randn(8, 5);
    const eps = randn(8, 6);
    expect(ddimStep(s, xt, eps, 80, 60, 0, null)).toEqual(ddimStep(s, xt, eps, 80, 60, 0, null));
    expect(() => ddimStep(s, xt, eps, 80, 60, 1, null)).toThrow(/needs noise/);
    expect(ddimStep(s, xt, eps, 80, 60, 1, randn(8, 7))).not.toEqual(ddimStep(s, xt, eps, 80, 60, 1, randn(8, 8)));
    expect(ddimTimesteps(100, 5)).toEqual([99, 74, 50, 25, 0]);
    expect(ddimTimesteps(10, 50)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('the DDPM step is the Gaussian posterior q(x_{t-1} | x_t, x0): its mean and variance by the closed form', () => {
    const s = makeSchedule('linear', 20);
    const t = 7;
    const x0 = 0.3;
    const eps = 0.8;
    const xt = addNoise(s, Float32Array.of(x0), Float32Array.of(eps), t);
    const mean = ddpmStep(s, xt, Float32Array.of(eps), t, Float32Array.of(0), null)[0]!;
    const plusOne = ddpmStep(s, xt, Float32Array.of(eps), t, Float32Array.of(1), null)[0]!;
    const ab = s.alphaBars[t]!;
    const abPrev = s.alphaBars[t - 1]!;
    // posterior of x_{t-1}: precision-weighted combination of q(x_{t-1}|x0) and q(x_t|x_{t-1})
    const precision = 1 / (1 - abPrev) + s.alphas[t]! / s.betas[t]!;
    const expectedMean = (Math.sqrt(abPrev) * x0) / (1 - abPrev) + (Math.sqrt(s.alphas[t]!) * xt[0]!) / s.betas[t]!;
    expect(mean).toBeCloseTo(expectedMean / precision, 5);
    expect(plusOne - mean).toBeCloseTo(Math.sqrt(1 / precision), 5);
    expect(ab).toBeLessThan(abPrev);
  });
});

const CONFIG: DenoiserConfig = { dim: 5, taskDim: 2, width: 32, blocks: 2, timeEmbedding: 16, conditional: true };

describe('denoiser', () => {
  it('ONNX export matches TF.js within 1e-4 relative, with the condition and with the null token', async () => {
    const { tf } = await loadTf();
    const weights = initialDenoiserWeights(CONFIG, 7);
    // non-trivial LayerNorm and biases, so every weight matters
    const r = seededRandom(2);
    for (const w of weights) if (!w.name.endsWith('/w')) w.values.forEach((_, i) => (w.values[i] = w.values[i]! + 0.3 * (r() - 0.5)));
    const net = DenoiserNetwork.fromWeights(tf, CONFIG, weights);
    const onnx = await OnnxDenoiser.load(exportDenoiserOnnx(CONFIG, weights));
    try {
      const b = 9;
      const x = randn(b * CONFIG.dim, 1);
      const cond = randn(b * 3, 2);
      for (const t of [0, 17, 99]) {
        for (const c of [cond, null]) {
          const ref = net.predict(x, new Float32Array(b).fill(t), c);
          const got = await onnx.predict(x, t, c, b);
          const scale = Math.max(...ref.map(Math.abs));
          got.forEach((v, i) => expect(Math.abs(v - ref[i]!) / scale).toBeLessThan(1e-4));
        }
      }
      // the null token is not the zero condition
      expect(net.predict(x, new Float32Array(b).fill(3), new Float32Array(b * 3))).not.toEqual(net.predict(x, new Float32Array(b).fill(3), null));
    } finally {
      net.dispose();
      await onnx.release();
    }
  });

  it('the exported model declares its inputs and output with opset >= 16', async () => {
    const bytes = exportDenoiserOnnx(CONFIG, initialDenoiserWeights(CONFIG, 1));
    const session = await InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['x', 't', 'condition', 'condition_mask']);
    expect(session.outputNames).toEqual(['epsilon']);
    await session.release();
  });

  it('learns a 2D Gaussian mixture: DDPM samples match its means, spreads and mode weights', async () => {
    const { tf } = await loadTf();
    const config: DenoiserConfig = { dim: 2, taskDim: 1, width: 64, blocks: 2, timeEmbedding: 16, conditional: false };
    const schedule = makeSchedule('cosine', 50);
    // modes at (±0.5, ±0.3-ish) with weights 0.7 / 0.3 and std 0.08
    const rand = seededRandom(4);
    const normal = gaussian(rand);
    const n = 2000;
    const designs = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const left = rand() < 0.7;
      designs[2 * i] = (left ? -0.5 : 0.5) + 0.08 * normal();
      designs[2 * i + 1] = (left ? 0.3 : -0.2) + 0.08 * normal();
    }
    const examples = { n, dim: 2, designs, conditions: new Float32Array(2 * n) };
    const net = DenoiserNetwork.create(tf, config, 3);
    const trainer = new DiffusionTrainer(tf, net, { learningRate: 3e-3 });
    for (let step = 0; step < 3000; step++) {
      trainer.learningRate = 3e-3 * 0.1 ** (step / 3000);
      trainer.step(denoisingBatch(examples, schedule, 128, 0, stepRandom(1, step)));
    }
    const model = new TfDenoiser(net);
    const m = 1000;
    const x = await reverseProcess(schedule, unconditional(model), randn(2 * m, 9), m, { sampler: 'ddpm' }, normalFrom(10));
    trainer.dispose();
    net.dispose();
    const left: number[][] = [];
    const right: number[][] = [];
    // each sample to its nearer mode
    for (let i = 0; i < m; i++) {
      const p = [x[2 * i]!, x[2 * i + 1]!];
      (Math.hypot(p[0]! + 0.5, p[1]! - 0.3) < Math.hypot(p[0]! - 0.5, p[1]! + 0.2) ? left : right).push(p);
    }
    const stats = (pts: number[][]) => {
      const mean = [0, 1].map((k) => pts.reduce((a, p) => a + p[k]!, 0) / pts.length);
      const std = [0, 1].map((k) => Math.sqrt(pts.reduce((a, p) => a + (p[k]! - mean[k]!) ** 2, 0) / pts.length));
      return { mean, std };
    };
    expect(left.length / m).toBeGreaterThan(0.6);
    expect(left.length / m).toBeLessThan(0.8);
    const l = stats(left);
    const r = stats(right);
    expect(l.mean[0]).toBeCloseTo(-0.5, 1);
    expect(l.mean[1]).toBeCloseTo(0.3, 1);
    expect(r.mean[0]).toBeCloseTo(0.5, 1);
    expect(r.mean[1]).toBeCloseTo(-0.2, 1);
    for (const s of [...l.std, ...r.std]) {
      expect(s).toBeGreaterThan(0.04);
      expect(s).toBeLessThan(0.16);
    }
    console.log(`mixture: left weight ${(left.length / m).toFixed(3)}, means ${l.mean.map((v) => v.toFixed(3))} / ${r.mean.map((v) => v.toFixed(3))}, stds ${[...l.std, ...r.std].map((v) => v.toFixed(3))}`);
  }, 120_000);
});

/**
 * The exact denoiser of data x0 ~ N(0, I): x_t ~ N(0, I) at every t, and E[eps | x_t] =
 * sqrt(1 - abar_t) x_t. No training needed, so guidance can be tested against it alone.
 */
function standardNormalDenoiser(dim: number, alphaBars: Float64Array, conditionalShift = 0): EpsilonModel {
  return {
    config: { dim, taskDim: 1, width: 1, blocks: 1, timeEmbedding: 2, conditional: true },
    async predict(x, t, condition) {
      // conditioned: data N(shift, I), so eps = (x - sqrt(abar) shift) sqrt(1 - abar)
      const shift = condition ? conditionalShift : 0;
      const ab = alphaBars[t]!;
      return x.map((v) => (v - Math.sqrt(ab) * shift) * Math.sqrt(1 - ab));
    },
  };
}

describe('guidance and particle sampling', () => {
  const schedule = makeSchedule('linear', 100);
  const dim = 3;

  it('conditional guidance with w = 0 equals the unconditional denoiser exactly, w = 1 the conditional one', async () => {
    const { tf } = await loadTf();
    const net = DenoiserNetwork.create(tf, CONFIG, 5);
    const model = new TfDenoiser(net);
    const x = randn(4 * CONFIG.dim, 1);
    const cond = Float32Array.of(0.2, -0.4, -1);
    const tiled = new Float32Array(12);
    for (let i = 0; i < 4; i++) tiled.set(cond, 3 * i);
    expect(await conditionalGuidance(model, cond, 0)(x, 30, 4)).toEqual(await unconditional(model)(x, 30, 4));
    const w1 = await conditionalGuidance(model, cond, 1)(x, 30, 4);
    const c = await model.predict(x, 30, tiled, 4);
    w1.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 5));
    expect(() => conditionalGuidance(model, Float32Array.of(1), 1)).toThrow(/has 1 entries, the denoiser takes 3/);
    net.dispose();
  });

  it('conditional guidance moves samples toward the condition, more with a larger w', async () => {
    const model = standardNormalDenoiser(dim, schedule.alphaBars, 0.5);
    const mean = async (w: number) => {
      const x = await reverseProcess(schedule, conditionalGuidance(model, Float32Array.of(0, 0), w), randn(300 * dim, 2), 300, { sampler: 'ddim', steps: 20, clip: null }, normalFrom(3));
      return x.reduce((a, b) => a + b, 0) / x.length;
    };
    const [m0, m1, m3] = [await mean(0), await mean(1), await mean(3)];
    expect(Math.abs(m0)).toBeLessThan(0.1);
    expect(m1).toBeGreaterThan(0.35);
    expect(m3).toBeGreaterThan(m1);
  });

  it('energy guidance lowers the energy of a quadratic against unguided sampling from the same noise', async () => {
    const target = Float32Array.of(0.6, -0.4, 0.2);
    const energy = (x: Float32Array) => x.reduce((a, v, j) => a + (v - target[j]!) ** 2, 0);
    let queries = 0;
    const gradient = async (designs: Float32Array[]) => {
      queries += designs.length;
      return designs.map((x) => ({ cost: energy(x), gradient: x.map((v, j) => 2 * (v - target[j]!)) }));
    };
    const model = standardNormalDenoiser(dim, schedule.alphaBars);
    const opts = { sampler: 'ddim' as const, steps: 20 };
    const ts = reverseTimesteps(schedule, opts);
    const n = 200;
    const meanEnergy = (x: Float32Array) => Array.from({ length: n }, (_, i) => energy(x.slice(i * dim, (i + 1) * dim))).reduce((a, b) => a + b, 0) / n;
    const plain = await reverseProcess(schedule, unconditional(model), randn(n * dim, 4), n, opts, normalFrom(5));
    const guided = await reverseProcess(schedule, energyGuidance(unconditional(model), schedule, gradient, { scale: 2, clip: 10, guideAt: new Set(ts.slice(-10)) }), randn(n * dim, 4), n, opts, normalFrom(5));
    expect(queries).toBe(10 * n);
    expect(meanEnergy(guided)).toBeLessThan(0.6 * meanEnergy(plain));
  });

  it('systematic resampling is unbiased: each index is drawn n w_i times on average, floor or ceil of it each time', () => {
    const w = [0.05, 0.4, 0.01, 0.3, 0.24];
    const n = 7;
    const counts = new Float64Array(w.length);
    const draws = 20_000;
    const rand = seededRandom(8);
    for (let k = 0; k < draws; k++) {
      const once = new Int32Array(w.length);
      for (const i of systematicResample(w, n, rand())) once[i]!++;
      once.forEach((c, i) => {
        expect(c).toBeGreaterThanOrEqual(Math.floor(n * w[i]!));
        expect(c).toBeLessThanOrEqual(Math.ceil(n * w[i]!));
        counts[i]! += c;
      });
    }
    counts.forEach((c, i) => expect(c / draws).toBeCloseTo(n * w[i]!, 1));
    expect(() => systematicResample([0, 0], 3, 0.5)).toThrow(/sum to 0/);
    expect(() => systematicResample([1, Number.NaN], 3, 0.5)).toThrow(/weight 1 is NaN/);
  });

  it('Boltzmann weights are normalized, favour low energy, and survive huge energies', () => {
    const w = boltzmannWeights([1, 2, 1e9, Number.NaN], 0.5);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w[0]).toBeGreaterThan(w[1]!);
    expect(w[2]).toBe(0);
    expect(w[3]).toBe(0);
  });

  it('particle sampling lowers the final energy at equal final samples, and counts N k + count queries', async () => {
    const target = Float32Array.of(1.2, -0.8, 0.5);
    const model = standardNormalDenoiser(dim, schedule.alphaBars);
    const run = async (particles: boolean, seed: number) => {
      let queries = 0;
      const rand = seededRandom(seed);
      const settings: SampleSettings = {
        count: 16,
        sampler: 'ddim',
        ddimSteps: 10,
        eta: 0,
        conditional: { enabled: false, weight: 0 },
        condition: null,
        energy: { enabled: false, scale: 0, clip: 1, lastSteps: 1 },
        particles: { enabled: particles, count: 32, rounds: 3, temperature: 0.1, sigma: 0.5, estimatorSteps: 2 },
      };
      const out = await sampleDesigns(
        {
          model,
          schedule,
          uniform: rand,
          normal: gaussian(rand),
          score: async (designs) => {
            queries += designs.length;
            return designs.map((x) => x.reduce((a, v, j) => a + (v - target[j]!) ** 2, 0));
          },
        },
        settings,
      );
      return { queries, median: out.costs.slice().sort((a, b) => a - b)[8]! };
    };
    const plain = await run(false, 1);
    const ps = await run(true, 1);
    expect(plain.queries).toBe(16);
    expect(ps.queries).toBe(32 * 3 + 16);
    expect(ps.median).toBeLessThan(0.7 * plain.median);
  });

  it('names each sampling method by its guidance and particle sampling', () => {
    const off = { enabled: false };
    expect(samplingMethod({ conditional: off, energy: off, particles: off } as never)).toBe('ddm');
    expect(samplingMethod({ conditional: { enabled: true }, energy: { enabled: true }, particles: { enabled: true } } as never)).toBe('ddm+energy+cond+ps');
  });
});

describe('training data', () => {
  const rec = (run: string, iteration: number, cost: number, datasetId = 1): IterateRecord => ({ datasetId, run, iteration, task: [0.5, 0.2], design: [0, 0], cost });
  const runs = [rec('a', 0, 5), rec('a', 1, 3), rec('a', 2, 4), rec('a', 3, 1), rec('b', 0, 2), rec('b', 1, 9), rec('a', 0, 7, 2)];

  it('selects all iterates, the last fraction of each run, or the best of each run; runs of different datasets stay apart', () => {
    expect(selectIterates(runs, { iterates: 'all' }).map((r) => r.length)).toEqual([4, 2, 1]);
    expect(selectIterates(runs, { iterates: 'last', lastFraction: 0.5 }).map((r) => r.map((x) => x.iteration))).toEqual([[2, 3], [1], [0]]);
    expect(selectIterates(runs, { iterates: 'best' }).map((r) => r[0]!.cost)).toEqual([1, 2, 7]);
  });

  it('normalizes tasks over the task range and costs by their spread; cost levels come from quantiles', () => {
    const scale = conditionScale(runs, [0, 0], [1, 0.4]);
    const y = normalizeCondition(scale, [0.75, 0.1], scale.costMean + scale.costStd);
    expect(Array.from(y)).toEqual([0.5, -0.5, 1].map(Math.fround));
    expect(costAtQuantile(scale, 0)).toBe(1);
    expect(costAtQuantile(scale, 1)).toBe(9);
    expect(() => normalizeCondition(scale, [0.5], 1)).toThrow(/task has 1 entries/);
  });
});
