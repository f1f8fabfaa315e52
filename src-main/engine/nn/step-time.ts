/**
 * The median seconds of `steps` training steps after one warm-up step (which pays TF.js's
 * first-call costs); each step's input is prepared outside the timing, as a training job's is.
 */
export function medianStepSeconds<T>(steps: number, prepare: () => T, step: (input: T) => void): { secondsPerStep: number; steps: number } {
  const times: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const input = prepare();
    const t0 = performance.now();
    step(input);
    if (s > 0) times.push((performance.now() - t0) / 1000);
  }
  times.sort((x, y) => x - y);
  return { secondsPerStep: times[Math.floor(times.length / 2)]!, steps: times.length };
}
