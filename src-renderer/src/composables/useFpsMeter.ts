import { ref, type Ref } from 'vue';

const WINDOW_MS = 1000;
const PUBLISH_EVERY_MS = 250;

export interface FpsMeter {
  /** paints per second over the last second, or null before a second's worth was seen */
  fps: Ref<number | null>;
  /** call once per painted frame with performance.now() */
  tick(now: number): void;
  reset(): void;
}

/** Counts paints; publishes the rate a few times a second so the counter itself costs nothing. */
export function useFpsMeter(): FpsMeter {
  const fps = ref<number | null>(null);
  let stamps: number[] = [];
  let lastPublished = 0;

  function tick(now: number): void {
    stamps.push(now);
    while (stamps.length && stamps[0]! <= now - WINDOW_MS) stamps.shift();
    if (now - lastPublished < PUBLISH_EVERY_MS) return;
    lastPublished = now;
    const first = stamps[0]!;
    const span = now - first;
    // a window that is mostly idle (paused, then one paint) says nothing about playback
    if (stamps.length < 3 || span < WINDOW_MS * 0.5) return;
    fps.value = ((stamps.length - 1) * 1000) / span;
  }

  function reset(): void {
    stamps = [];
    fps.value = null;
  }

  return { fps, tick, reset };
}
