import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export interface CanvasSize {
  /** backing-store size in device pixels (width = height: the canvas is square) */
  pixels: Ref<number>;
  /** device pixels per CSS pixel at the last measurement */
  ratio: Ref<number>;
}

/**
 * Keeps a square canvas's backing store at its displayed size times devicePixelRatio, through
 * layout changes (ResizeObserver) and moves between screens or zoom (a resolution media query).
 */
export function useCanvasSize(canvas: Ref<HTMLCanvasElement | null>): CanvasSize {
  const pixels = ref(0);
  const ratio = ref(window.devicePixelRatio || 1);
  let observer: ResizeObserver | null = null;
  let resolutionQuery: MediaQueryList | null = null;

  function apply(devicePixels: number): void {
    const el = canvas.value;
    if (!el) return;
    const size = Math.max(1, Math.round(devicePixels));
    if (el.width !== size || el.height !== size) {
      el.width = size;
      el.height = size;
    }
    pixels.value = size;
  }

  function measure(): void {
    const el = canvas.value;
    if (!el) return;
    ratio.value = window.devicePixelRatio || 1;
    apply(el.getBoundingClientRect().width * ratio.value);
  }

  function watchResolution(): void {
    resolutionQuery?.removeEventListener('change', onResolutionChange);
    resolutionQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    resolutionQuery.addEventListener('change', onResolutionChange);
  }

  function onResolutionChange(): void {
    measure();
    watchResolution();
  }

  onMounted(() => {
    const el = canvas.value;
    if (!el) return;
    observer = new ResizeObserver((entries) => {
      const entry = entries[entries.length - 1];
      ratio.value = window.devicePixelRatio || 1;
      const estimate = (entry?.contentRect.width ?? 0) * ratio.value;
      // exact device pixels where the browser reports them (Chromium, so Electron too); under
      // device-scale emulation Chromium reports CSS pixels there, so trust it only when it agrees
      const exact = entry?.devicePixelContentBoxSize?.[0]?.inlineSize;
      apply(exact !== undefined && Math.abs(exact - estimate) <= 2 ? exact : estimate);
    });
    try {
      observer.observe(el, { box: 'device-pixel-content-box' });
    } catch {
      observer.observe(el);
    }
    watchResolution();
    measure();
  });

  onBeforeUnmount(() => {
    observer?.disconnect();
    resolutionQuery?.removeEventListener('change', onResolutionChange);
  });

  return { pixels, ratio };
}
