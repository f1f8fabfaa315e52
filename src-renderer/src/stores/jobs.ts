import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ACTIVE_JOB_STATUSES, type JobInfo, type JobKind, type JobStatus, type MethodInput } from '@shared/api';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';

const LIST_LIMIT = 100;

/** the server's order for jobs.list */
function newestFirst(a: JobInfo, b: JobInfo): number {
  return b.id - a.id;
}

export function isActive(job: JobInfo): boolean {
  return ACTIVE_JOB_STATUSES.includes(job.status);
}

export const JOB_KIND_LABELS: Record<JobKind, string> = {
  selfcheck: 'Self-check',
  'dataset.physics': 'Physics dataset',
  'gns.train': 'GNS training',
  'outcome.train': 'Outcome model training',
  optimize: 'Optimization',
  'dataset.optimization': 'Trajectory dataset',
  'diffusion.train': 'Diffusion training',
  sample: 'Diffusion sampling',
};

/** How a job's progress bar reads: running, done, failed, or stopped without a result. */
export function jobTone(status: JobStatus): 'active' | 'done' | 'failed' | 'idle' {
  switch (status) {
    case 'succeeded':
      return 'done';
    case 'failed':
      return 'failed';
    case 'running':
    case 'queued':
      return 'active';
    default:
      return 'idle';
  }
}

/** Background jobs of the whole workbench, live through `job.updated`. */
export const useJobsStore = defineStore('jobs', () => {
  const { client, onResync } = useConnection();
  const jobs = ref<JobInfo[]>([]);
  const { loaded, loadError, load } = useLatestLoad();
  /** ids whose cancel request is in flight, to disable the button meanwhile */
  const cancelling = ref(new Set<number>());

  const activeCount = computed(() => jobs.value.filter(isActive).length);

  async function refresh(): Promise<void> {
    await load(
      () => client.call('jobs.list', { limit: LIST_LIMIT }),
      (list) => {
        // an event may have arrived while the list was in flight: keep whichever is newer
        const byId = new Map(jobs.value.map((j) => [j.id, j]));
        jobs.value = list.map((j) => newer(byId.get(j.id), j)).sort(newestFirst);
      },
    );
  }

  function newer(known: JobInfo | undefined, incoming: JobInfo): JobInfo {
    if (!known) return incoming;
    if (known.finishedAt != null && incoming.finishedAt == null) return known;
    return incoming;
  }

  function upsert(job: JobInfo): void {
    const known = jobs.value.find((j) => j.id === job.id);
    const rest = jobs.value.filter((j) => j.id !== job.id);
    jobs.value = [newer(known, job), ...rest].sort(newestFirst).slice(0, LIST_LIMIT);
  }

  async function start(input: MethodInput<'jobs.start'>): Promise<JobInfo> {
    const job = await client.call('jobs.start', input);
    upsert(job);
    return job;
  }

  async function cancel(id: number): Promise<void> {
    cancelling.value = new Set(cancelling.value).add(id);
    try {
      upsert(await client.call('jobs.cancel', { id }));
    } finally {
      const next = new Set(cancelling.value);
      next.delete(id);
      cancelling.value = next;
    }
  }

  client.on('job.updated', upsert);
  onResync(() => void refresh());

  return { jobs, loaded, loadError, cancelling, activeCount, refresh, start, cancel };
});
