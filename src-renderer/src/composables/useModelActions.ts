import { ref } from 'vue';
import type { JobInfo, ModelInfo } from '@shared/api';
import { useDeleteConfirmation } from './useDeleteConfirmation';
import { useJobsStore } from '../stores/jobs';
import { useNoticesStore } from '../stores/notices';
import { saveBytes } from '../download';

/** What the actions need of a models store (learned simulators or diffusion models). */
interface ModelsStore {
  exportOnnx(id: number): Promise<{ fileName: string; bytes: Uint8Array }>;
  resume(model: ModelInfo): Promise<JobInfo>;
  remove(id: number): Promise<void>;
}

/**
 * What a models tab does to one model: export its ONNX file, resume or stop its training, and
 * delete it once confirmed. `busy` holds the ids with an export, resume or stop in flight; a
 * failure becomes a notice. `resumed` and `deleted` let the tab follow the model.
 */
export function useModelActions(models: ModelsStore, on: { resumed?: (model: ModelInfo) => void; deleted?: (model: ModelInfo) => void } = {}) {
  const jobs = useJobsStore();
  const notices = useNoticesStore();
  const busy = ref(new Set<number>());

  async function withBusy(model: ModelInfo, action: string, work: () => Promise<void>): Promise<void> {
    busy.value = new Set(busy.value).add(model.id);
    try {
      await work();
    } catch (error) {
      notices.reportError(`Could not ${action} “${model.name}”`, error);
    } finally {
      const next = new Set(busy.value);
      next.delete(model.id);
      busy.value = next;
    }
  }

  function exportOnnx(model: ModelInfo): Promise<void> {
    return withBusy(model, 'export', async () => {
      const { fileName, bytes } = await models.exportOnnx(model.id);
      saveBytes(bytes, fileName);
    });
  }

  function resume(model: ModelInfo): Promise<void> {
    return withBusy(model, 'resume', async () => {
      const job = await models.resume(model);
      on.resumed?.(model);
      notices.inform('Training resumed', `“${model.name}” continues from its last checkpoint in job #${job.id}.`);
    });
  }

  function stop(model: ModelInfo): Promise<void> {
    return withBusy(model, 'stop', async () => {
      if (model.jobId !== null) await jobs.cancel(model.jobId);
    });
  }

  const deletion = useDeleteConfirmation(async (model: ModelInfo) => {
    await models.remove(model.id);
    on.deleted?.(model);
    notices.inform('Model deleted', `“${model.name}” and its files were removed.`);
  });

  return { busy, exportOnnx, resume, stop, deletion };
}
