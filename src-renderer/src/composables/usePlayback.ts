import { computed, onBeforeUnmount, ref, watch, type ComputedRef, type Ref } from 'vue';

export const PLAYBACK_SPEEDS = [0.25, 0.5, 1, 2, 4] as const;
export type PlaybackSpeed = (typeof PLAYBACK_SPEEDS)[number];

/** a frame that took longer than this (a hidden tab, a breakpoint) does not jump the playback */
const MAX_STEP_S = 0.1;

export interface Playback {
  /** fractional frame index, 0 … frames − 1: what the canvas draws */
  position: Ref<number>;
  /** the whole frame shown, for the scrubber and the counter */
  frame: ComputedRef<number>;
  playing: Ref<boolean>;
  speed: Ref<PlaybackSpeed>;
  loop: Ref<boolean>;
  play(): void;
  pause(): void;
  toggle(): void;
  seek(frame: number): void;
  /** back to frame 0 for a new rollout */
  restart(autoplay: boolean): void;
}

/**
 * Plays `frames` frames at `frameDt` simulated seconds each, scaled by the speed, on
 * requestAnimationFrame: the position advances by real elapsed time, so the speed is true
 * whatever the display's refresh rate.
 */
export function usePlayback(frames: Ref<number>, frameDt: Ref<number>): Playback {
  const position = ref(0);
  const playing = ref(false);
  const speed = ref<PlaybackSpeed>(1);
  const loop = ref(true);
  let handle: number | null = null;
  let lastTime: number | null = null;

  const lastFrame = computed(() => Math.max(0, frames.value - 1));
  const frame = computed(() => Math.min(lastFrame.value, Math.floor(position.value + 1e-9)));

  function step(now: number): void {
    handle = null;
    if (!playing.value) return;
    const elapsed = lastTime === null ? 0 : Math.min(MAX_STEP_S, (now - lastTime) / 1000);
    lastTime = now;
    let next = position.value + (elapsed * speed.value) / frameDt.value;
    if (next >= lastFrame.value) {
      if (loop.value && lastFrame.value > 0) {
        next %= lastFrame.value;
      } else {
        position.value = lastFrame.value;
        pause();
        return;
      }
    }
    position.value = next;
    handle = requestAnimationFrame(step);
  }

  function play(): void {
    if (lastFrame.value === 0) return;
    if (position.value >= lastFrame.value) position.value = 0;
    playing.value = true;
    lastTime = null;
    if (handle === null) handle = requestAnimationFrame(step);
  }

  function pause(): void {
    playing.value = false;
    if (handle !== null) cancelAnimationFrame(handle);
    handle = null;
    lastTime = null;
  }

  function toggle(): void {
    if (playing.value) pause();
    else play();
  }

  function seek(target: number): void {
    position.value = Math.min(lastFrame.value, Math.max(0, Math.round(target)));
    lastTime = null;
  }

  function restart(autoplay: boolean): void {
    pause();
    position.value = 0;
    if (autoplay) play();
  }

  watch(frames, () => {
    if (position.value > lastFrame.value) position.value = lastFrame.value;
  });
  onBeforeUnmount(pause);

  return { position, frame, playing, speed, loop, play, pause, toggle, seek, restart };
}
