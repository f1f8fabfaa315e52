// An exported denoiser (onnx-export.ts) in onnxruntime-node, CPU, forward only: what samplers call.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { readOnnxMetadata } from '../nn/onnx-metadata';
import { conditionSize, type DenoiserConfig } from './denoiser';
import { DENOISER_ONNX_CONFIG_KEY, DENOISER_ONNX_IO } from './onnx-export';

/** What a sampler needs of a denoiser: eps for a batch at one timestep. */
export interface EpsilonModel {
  readonly config: DenoiserConfig;
  /**
   * x [B*d] at timestep t (0-based) -> eps [B*d]; condition [B*(taskDim+1)], or null for the null
   * token (an unconditional denoiser ignores it).
   */
  predict(x: Float32Array, t: number, condition: Float32Array | null, batch: number): Promise<Float32Array>;
}

export class OnnxDenoiser implements EpsilonModel {
  private constructor(
    private readonly session: InferenceSession,
    readonly config: DenoiserConfig,
  ) {}

  static async load(bytes: Uint8Array, opts: { intraOpThreads?: number } = {}): Promise<OnnxDenoiser> {
    const json = readOnnxMetadata(bytes)[DENOISER_ONNX_CONFIG_KEY];
    if (json === undefined) throw new Error(`OnnxDenoiser.load: the model has no ${DENOISER_ONNX_CONFIG_KEY} metadata; was it made by exportDenoiserOnnx?`);
    const session = await InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: opts.intraOpThreads ?? 1 });
    return new OnnxDenoiser(session, JSON.parse(json) as DenoiserConfig);
  }

  async predict(x: Float32Array, t: number, condition: Float32Array | null, batch: number): Promise<Float32Array> {
    const c = this.config;
    const k = conditionSize(c);
    if (x.length !== batch * c.dim) throw new Error(`OnnxDenoiser.predict: x has ${x.length} values, expected B*d = ${batch}*${c.dim}`);
    if (condition && condition.length !== batch * k) throw new Error(`OnnxDenoiser.predict: condition has ${condition.length} values, expected B*${k}`);
    const io = DENOISER_ONNX_IO;
    const feeds = {
      [io.x]: new Tensor('float32', x, [batch, c.dim]),
      [io.t]: new Tensor('float32', new Float32Array(batch).fill(t), [batch, 1]),
      [io.condition]: new Tensor('float32', condition ?? new Float32Array(batch * k), [batch, k]),
      [io.conditionMask]: new Tensor('float32', new Float32Array(batch).fill(condition ? 1 : 0), [batch, 1]),
    };
    const out = await this.session.run(feeds);
    const eps = out[io.epsilon];
    if (!eps || !(eps.data instanceof Float32Array)) throw new Error('OnnxDenoiser.predict: the model returned no float32 epsilon');
    return eps.data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The TF.js denoiser behind the same interface (the bench's TF.js throughput, tests). */
export class TfDenoiser implements EpsilonModel {
  constructor(private readonly network: { config: DenoiserConfig; predict(x: Float32Array, t: ArrayLike<number>, condition: Float32Array | null): Float32Array }) {}

  get config(): DenoiserConfig {
    return this.network.config;
  }

  predict(x: Float32Array, t: number, condition: Float32Array | null, batch: number): Promise<Float32Array> {
    return Promise.resolve(this.network.predict(x, new Float32Array(batch).fill(t), condition));
  }
}
