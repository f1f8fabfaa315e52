import { ref, type Ref } from 'vue';
import { useNoticesStore } from '../stores/notices';
import { saveText } from '../download';

/** What a designs export returns: the file and how many designs went into it. */
interface DesignFile {
  fileName: string;
  content: string;
  rows: number;
}

/**
 * Exports of designs, one at a time: `run` saves the file that `fetch` returns and says how many
 * designs it holds, or why it failed; `exporting` names the export in flight, for its button.
 */
export function useDesignExport<K extends string>() {
  const notices = useNoticesStore();
  const exporting = ref(null) as Ref<K | null>;

  async function run(kind: K, fetch: () => Promise<DesignFile>): Promise<void> {
    if (exporting.value) return;
    exporting.value = kind;
    try {
      const { fileName, content, rows } = await fetch();
      saveText(content, fileName);
      notices.inform('Designs exported', `${rows} design${rows === 1 ? '' : 's'} to ${fileName}.`);
    } catch (error) {
      notices.reportError('Could not export the designs', error);
    } finally {
      exporting.value = null;
    }
  }

  return { exporting, run };
}
