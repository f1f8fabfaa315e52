import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Capabilities } from '@shared/api';
import { useConnection } from '../api/connection';

/** What this installation can do: runtimes, bindings, paths. Loaded once, reloadable. */
export const useCapabilitiesStore = defineStore('capabilities', () => {
  const { client } = useConnection();
  const report = ref<Capabilities | null>(null);
  const loading = ref(false);
  const loadError = ref<unknown>(null);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      report.value = await client.call('app.capabilities');
      loadError.value = null;
    } catch (error) {
      loadError.value = error;
    } finally {
      loading.value = false;
    }
  }

  return { report, loading, loadError, load };
});
