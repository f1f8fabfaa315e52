import { createRequire } from 'node:module';

// TF.js backend choice (README, "TF.js backend"): tfjs-node (libtensorflow) when it is installed,
// else the wasm backend with SIMD. Never the pure-JS cpu backend: 25-45x slower.
type Tf = typeof import('@tensorflow/tfjs');
export interface TfRuntime {
  tf: Tf;
  backend: 'tensorflow' | 'wasm';
  version: string;
  /** why the other backend is not in use */
  detail: string;
}

const requireHere = createRequire(typeof __filename !== 'undefined' ? __filename : import.meta.url);
let runtime: Promise<TfRuntime> | null = null;

export function loadTf(): Promise<TfRuntime> {
  runtime ??= (async (): Promise<TfRuntime> => {
    try {
      const tf = requireHere('@tensorflow/tfjs-node') as Tf;
      await tf.ready();
      return { tf, backend: 'tensorflow', version: tf.version.tfjs, detail: 'Native TensorFlow (@tensorflow/tfjs-node) is installed and in use.' };
    } catch (err) {
      const why = describeMissing(err, '@tensorflow/tfjs-node');
      const tf = requireHere('@tensorflow/tfjs') as Tf;
      requireHere('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error(`TF.js wasm backend failed to initialise (${why})`);
      await tf.ready();
      return { tf, backend: 'wasm', version: tf.version.tfjs, detail: `Using the WebAssembly backend (SIMD): ${why}` };
    }
  })();
  return runtime;
}

export function describeMissing(err: unknown, pkg: string): string {
  const code = (err as { code?: string }).code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    return `${pkg} is not installed (its install step downloads a native library, which needs internet).`;
  }
  return `${pkg} failed to load: ${(err as Error).message?.split('\n')[0] ?? String(err)}`;
}

/**
 * The wasm backend ends with a bare "Aborted()" when its heap (at most 4 GB) runs out; say what
 * that means and what to change. Other errors pass through unchanged.
 */
export function explainTfError(err: unknown, advice: string): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!/^Aborted\(/.test(message)) return err;
  return new Error(`TF.js's WebAssembly backend ran out of memory (${message.split('.')[0]}): ${advice}`);
}
