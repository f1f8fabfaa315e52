import { ref, watch, type Ref } from 'vue';

/**
 * A training dialog's step time measured now, on this machine, when no model of its kind was
 * trained here: each time the dialog is open and the sizes settle (300 ms after the last change),
 * `measure` runs once per key (the server keeps each size's figure); an answer for sizes since
 * changed is dropped.
 */
export function useStepCalibration<F, C>(opts: {
  open: () => boolean;
  /** the sizes the form describes; null while they are not valid */
  sizes: Ref<F | null>;
  /** a model trained here to take the figure from: then nothing is measured */
  trainedHere: () => string | null;
  /** one key per size to measure; null: nothing to measure */
  key: (sizes: F) => string | null;
  measure: (sizes: F) => Promise<C>;
}): { measured: Ref<{ key: string; calibration: C } | null>; measuring: Ref<boolean>; failed: Ref<string | null> } {
  const measured = ref<{ key: string; calibration: C } | null>(null) as Ref<{ key: string; calibration: C } | null>;
  const measuring = ref(false);
  const failed = ref<string | null>(null);
  let pending = 0;
  watch(
    [opts.open, () => (opts.sizes.value === null ? null : opts.key(opts.sizes.value)), opts.trainedHere],
    async () => {
      const f = opts.sizes.value;
      const key = f === null ? null : opts.key(f);
      if (!opts.open() || opts.trainedHere() || f === null || key === null || measured.value?.key === key) return;
      const ticket = ++pending;
      measuring.value = true;
      try {
        // while a size is being typed, wait for it to settle
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (ticket !== pending) return;
        const calibration = await opts.measure(f);
        if (ticket !== pending) return;
        measured.value = { key, calibration };
        failed.value = null;
      } catch (error) {
        if (ticket === pending) failed.value = error instanceof Error ? error.message : String(error);
      } finally {
        if (ticket === pending) measuring.value = false;
      }
    },
    { immediate: true },
  );
  return { measured, measuring, failed };
}
