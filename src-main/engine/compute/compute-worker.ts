import { parentPort } from 'node:worker_threads';
import { computeEntry } from './registry';
// what this worker can run: each module registers its functions when imported
import './rollout';
import '../gns/train';
import '../diffusion/calibrate';
import '../outcome/calibrate';
import '../storage/record-insert';

// A compute worker: runs one pure function call at a time for a ComputePool.
const port = parentPort!;
port.on('message', async (msg: { id: number; fn: string; args: unknown }) => {
  try {
    const entry = computeEntry(msg.fn);
    // a function may be async (TF.js); the pool sends the next call only after this answer
    const result = await entry.fn(msg.args);
    port.postMessage({ id: msg.id, ok: true, result }, entry.transfer?.(result) ?? []);
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
