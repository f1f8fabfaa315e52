// One step of an exported learned simulator (onnx-export.ts) in onnxruntime-node, CPU only.

import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { readOnnxMetadata } from '../nn/onnx-metadata';
import type { StepInputs } from './features';
import { GNS_ONNX_CONFIG_KEY, GNS_ONNX_IO } from './onnx-export';
import { EDGE_INPUT_SIZE, type GnsConfig } from './spec';


/** int64 index tensors for ORT, written from Int32Array without a BigInt per element. */
class Int64Staging {
  private big = new BigInt64Array(0);
  private words = new Int32Array(0);

  /** [length] view valid until the next fill(); values are checked to lie in [0, bound). */
  fill(name: string, values: Int32Array, bound: number): BigInt64Array {
    const length = values.length;
    if (this.big.length < length) {
      this.big = new BigInt64Array(Math.max(length, 2 * this.big.length));
      this.words = new Int32Array(this.big.buffer);
    }
    const words = this.words;
    for (let i = 0; i < length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v < bound)) throw new Error(`OnnxGnsStep.run: ${name}[${i}] = ${v} is outside [0, ${bound})`);
      // little-endian int64 of a non-negative int32: low word, then zero
      words[2 * i] = v;
      words[2 * i + 1] = 0;
    }
    return this.big.subarray(0, length);
  }
}

export interface OnnxGnsStepOptions {
  /**
   * Threads ORT uses inside one operator: 1, the default, and the only value accepted. ORT's CPU
   * ScatterND splits the edges over threads without atomics, so with more than one thread edges
   * into the same receiver race and the sum is wrong now and then (onnxruntime issues #18048,
   * #23396; seen here with 1.30 at N = 330, E = 10,000: 3 wrong steps in 40, half of them on a
   * loaded machine, errors up to 4e-2 of the output's scale). Parallelism
   * comes from running several sessions, e.g. one per worker.
   */
  intraOpThreads?: number;
}

/** A loaded one-step model: run(StepInputs) -> normalized acceleration [N * 2]. */
export class OnnxGnsStep {
  private readonly particleTypes = new Int64Staging();
  private readonly senders = new Int64Staging();
  private readonly receivers = new Int64Staging();
  /** runs are serialized: the int64 staging buffers are shared between them */
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;

  private constructor(
    private readonly session: InferenceSession,
    readonly config: GnsConfig,
    readonly metadata: Record<string, string>,
  ) {}

  /** bytesOrPath: the model from exportGnsOnnx, or the path of a .onnx file holding it. */
  static async load(bytesOrPath: Uint8Array | string, opts: OnnxGnsStepOptions = {}): Promise<OnnxGnsStep> {
    const intraOpThreads = opts.intraOpThreads ?? 1;
    if (intraOpThreads !== 1) {
      throw new Error(`OnnxGnsStep.load: intraOpThreads must be 1, got ${intraOpThreads}: ORT's ScatterND add races between threads on repeated receivers`);
    }
    const bytes = typeof bytesOrPath === 'string' ? new Uint8Array(await readFile(bytesOrPath)) : bytesOrPath;
    const metadata = readOnnxMetadata(bytes);
    const configJson = metadata[GNS_ONNX_CONFIG_KEY];
    if (configJson === undefined) throw new Error(`OnnxGnsStep.load: the model has no ${GNS_ONNX_CONFIG_KEY} metadata; was it made by exportGnsOnnx?`);
    const config = JSON.parse(configJson) as GnsConfig;
    const session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: intraOpThreads,
    });
    return new OnnxGnsStep(session, config, metadata);
  }

  /** Normalized acceleration [N * 2] of one step. */
  run(inputs: StepInputs): Promise<Float32Array> {
    if (this.released) return Promise.reject(new Error('OnnxGnsStep.run: the session was released'));
    const result = this.queue.then(() => this.runNow(inputs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(inputs: StepInputs): Promise<Float32Array> {
    const { n, e } = inputs;
    const width = 2 * this.config.historyLength + 4;
    const expectLength = (name: string, actual: number, expected: number, layout: string) => {
      if (actual !== expected) throw new Error(`OnnxGnsStep.run: ${name} has ${actual} values, expected ${layout} = ${expected}`);
    };
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(e) || e < 0) throw new Error(`OnnxGnsStep.run: bad sizes n = ${n}, e = ${e}`);
    expectLength('nodeFeatures', inputs.nodeFeatures.length, n * width, `N*(2C+4) = ${n}*${width}`);
    expectLength('particleTypes', inputs.particleTypes.length, n, 'N');
    expectLength('edgeFeatures', inputs.edgeFeatures.length, e * EDGE_INPUT_SIZE, `E*3 = ${e}*3`);
    expectLength('senders', inputs.senders.length, e, 'E');
    expectLength('receivers', inputs.receivers.length, e, 'E');
    const io = GNS_ONNX_IO;
    const feeds = {
      [io.nodeFeatures]: new Tensor('float32', inputs.nodeFeatures, [n, width]),
      [io.particleType]: new Tensor('int64', this.particleTypes.fill('particleTypes', inputs.particleTypes, this.config.numTypes), [n]),
      [io.edgeFeatures]: new Tensor('float32', inputs.edgeFeatures, [e, EDGE_INPUT_SIZE]),
      [io.senders]: new Tensor('int64', this.senders.fill('senders', inputs.senders, n), [e]),
      [io.receivers]: new Tensor('int64', this.receivers.fill('receivers', inputs.receivers, n), [e]),
    };
    let output: InferenceSession.OnnxValueMapType;
    try {
      output = await this.session.run(feeds);
    } catch (err) {
      throw new Error(`OnnxGnsStep.run: onnxruntime failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const acceleration = output[io.acceleration];
    if (!acceleration || !(acceleration.data instanceof Float32Array)) throw new Error('OnnxGnsStep.run: the model returned no float32 acceleration');
    return acceleration.data;
  }

  /** Frees the native session once the runs already asked for are done; later runs reject. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    await this.session.release();
  }
}
