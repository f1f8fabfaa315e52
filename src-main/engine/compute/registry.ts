// The functions a compute pool can run, registered by the modules that own them (the ground-truth
// rollout by environments/, a GNS training half-step by gns/), so the pool itself knows none of
// them. A module that registers a function also declares it on ComputeFunctions, which types the
// pool's run/map calls. A worker thread registers what it can run by importing those modules
// (compute-worker.ts); the calling thread has registered them by importing what it calls.

/** name → function; augmented by each registering module (declaration merging). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ComputeFunctions {}
export type ComputeFunction = keyof ComputeFunctions & string;
export type ComputeArgs<F extends ComputeFunction> = ComputeFunctions[F] extends (a: infer A) => unknown ? A : never;
export type ComputeResult<F extends ComputeFunction> = ComputeFunctions[F] extends (a: never) => infer R ? Awaited<R> : never;

interface Entry {
  fn: (args: unknown) => unknown;
  /** buffers of a result that can be moved, not copied, back to the caller's thread */
  transfer?: (result: unknown) => ArrayBuffer[];
}
const registry = new Map<string, Entry>();

export function registerComputeFunction<F extends ComputeFunction>(
  name: F,
  fn: ComputeFunctions[F],
  transfer?: (result: ComputeResult<F>) => ArrayBuffer[],
): void {
  registry.set(name, { fn: fn as unknown as Entry['fn'], transfer: transfer as Entry['transfer'] });
}

export function computeEntry(name: string): Entry {
  const entry = registry.get(name);
  if (!entry) throw new Error(`No compute function "${name}" is registered in this thread (registered: ${[...registry.keys()].join(', ') || 'none'}).`);
  return entry;
}
