import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { SimulationResult } from '@shared/api';
import { useWorkbench } from '../api/workbench';
import { decodeRollout, type DecodedRollout } from '../rollout';

export interface Simulation {
  running: Ref<boolean>;
  error: Ref<unknown>;
  /** the last run's figures; its rollout's base64 is dropped once decoded */
  result: ShallowRef<SimulationResult | null>;
  rollout: ShallowRef<DecodedRollout | null>;
  /** the design and task as sent for the result (the server may round them, e.g. to float32) */
  sent: ShallowRef<{ design: number[]; task: [number, number] } | null>;
  /** resolves true when the run succeeded and became the result */
  run(projectId: number, design: number[], task: [number, number]): Promise<boolean>;
  clear(): void;
}

/** One ground-truth rollout at a time through `simulate.run`; a newer run supersedes an older one. */
export function useSimulation(): Simulation {
  const { client } = useWorkbench();
  const running = ref(false);
  const error = ref<unknown>(null);
  const result = shallowRef<SimulationResult | null>(null);
  const rollout = shallowRef<DecodedRollout | null>(null);
  const sent = shallowRef<{ design: number[]; task: [number, number] } | null>(null);
  let latestRequest = 0;

  async function run(projectId: number, design: number[], task: [number, number]): Promise<boolean> {
    const request = ++latestRequest;
    running.value = true;
    error.value = null;
    try {
      const answer = await client.call('simulate.run', { projectId, design, task });
      if (request !== latestRequest) return false;
      const decoded = decodeRollout(answer.rollout);
      rollout.value = decoded;
      result.value = { ...answer, rollout: { ...answer.rollout, positions: '' } };
      sent.value = { design, task };
      return true;
    } catch (e) {
      if (request === latestRequest) error.value = e;
      return false;
    } finally {
      if (request === latestRequest) running.value = false;
    }
  }

  function clear(): void {
    latestRequest++;
    running.value = false;
    error.value = null;
    result.value = null;
    rollout.value = null;
    sent.value = null;
  }

  return { running, error, result, rollout, sent, run, clear };
}
