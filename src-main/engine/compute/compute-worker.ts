import { parentPort } from 'node:worker_threads';
import { COMPUTE_FUNCTIONS, transferables, type ComputeFunction } from './functions';

// A compute worker: runs one pure function call at a time for a ComputePool.
const port = parentPort!;
port.on('message', async (msg: { id: number; fn: ComputeFunction; args: unknown }) => {
  try {
    // a function may be async (TF.js); the pool sends the next call only after this answer
    const result = await (COMPUTE_FUNCTIONS[msg.fn] as (a: unknown) => unknown)(msg.args);
    port.postMessage({ id: msg.id, ok: true, result }, transferables(result));
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
