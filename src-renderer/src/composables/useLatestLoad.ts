import { ref } from 'vue';

/**
 * A store's list load state and its loader: of overlapping loads only the newest applies its
 * result or its error, so a slow reply never overwrites a newer one.
 */
export function useLatestLoad() {
  const loaded = ref(false);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  let latestRequest = 0;

  /** Fetches and applies; `apply` returns false when it started another load instead. */
  async function load<T>(fetch: () => Promise<T>, apply: (result: T) => boolean | void): Promise<void> {
    const request = ++latestRequest;
    loading.value = true;
    try {
      const result = await fetch();
      if (request !== latestRequest) return;
      if (apply(result) === false) return;
      loaded.value = true;
      loadError.value = null;
    } catch (error) {
      if (request === latestRequest) loadError.value = error;
    } finally {
      if (request === latestRequest) loading.value = false;
    }
  }

  /** forgets what was loaded, for a store switching to another project */
  function reset(): void {
    loaded.value = false;
    loadError.value = null;
  }

  return { loaded, loading, loadError, load, reset };
}
