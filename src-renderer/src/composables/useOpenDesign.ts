import { useRouter } from 'vue-router';
import { useConnection } from '../api/connection';
import { simulatorLocation } from '../designLink';

function close(a: readonly number[], b: readonly number[]): boolean {
  // designs are stored as float32: equal to about 1e-7
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);
}

/**
 * Opens a run's best design in the Simulator tab, playing. When the run kept that design with the
 * query that scored it (the designs table), the stored query is replayed and nothing new is
 * stored; otherwise (none kept, or the lookup failed) the design runs on the ground truth there.
 */
export function useOpenDesign() {
  const router = useRouter();
  const { client } = useConnection();

  async function openRunBest(projectId: number, jobId: number, design: readonly number[], task: readonly number[], cost: number | null): Promise<void> {
    let queryId: number | undefined;
    try {
      const kept = await client.call('designs.list', { projectId, jobId, limit: 100 });
      queryId = kept.find((d) => d.queryId !== null && close(d.design, design))?.queryId ?? undefined;
      // designs an optimizer kept without naming their query: the project's query of that cost and design
      if (queryId === undefined && cost !== null) {
        const cheap = await client.call('queries.list', { projectId, sort: 'cost', costMax: cost + 1e-9 * Math.max(1, Math.abs(cost)), limit: 100 });
        queryId = cheap.rows.find((q) => Math.abs(q.cost - cost) <= 1e-9 * Math.max(1, Math.abs(cost)) && close(q.design, design) && close(q.task, task))?.id;
      }
    } catch {
      // the design still opens and plays, as a new ground-truth query
    }
    await router.push(simulatorLocation(projectId, design, task, queryId));
  }

  return { openRunBest };
}
